"""The demo city's content: La Louvière's sections, some of their streets, neighbours and posts.

Everything here is shown to people trying the platform, hence in French. The residents are
made up; the streets are named the way they are named there.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.community import PostKind

CITY = "La Louvière"
PASSWORD = "quartier-demo-2026"
EMAIL_DOMAIN = "demo.quartier.be"
MODERATOR = ("moderation@demo.quartier.be", "Équipe de modération")
CITY_STAFF = ("ville@demo.quartier.be", "Service Participation - Ville de La Louvière")


@dataclass(frozen=True)
class Section:
    name: str
    postal_code: str
    streets: tuple[str, ...]
    threshold: int
    verified: int
    unverified: int


# Active where verified >= threshold; the others show their progress towards it.
SECTIONS = (
    Section(
        "La Louvière centre",
        "7100",
        (
            "Rue Sylvain Guyaux",
            "Rue Albert Ier",
            "Rue Kéramis",
            "Place Maugrétout",
            "Rue Hamoir",
            "Boulevard Mairaux",
        ),
        threshold=10,
        verified=12,
        unverified=2,
    ),
    Section(
        "Haine-Saint-Paul",
        "7100",
        ("Rue de la Déportation", "Rue Ferrer", "Chaussée de Jolimont", "Place Jules Destrée"),
        threshold=10,
        verified=10,
        unverified=1,
    ),
    Section(
        "Haine-Saint-Pierre",
        "7100",
        ("Place de Haine-Saint-Pierre", "Rue de la Croyère", "Rue du Moulin", "Chaussée de Mons"),
        threshold=10,
        verified=6,
        unverified=2,
    ),
    Section(
        "Saint-Vaast",
        "7100",
        ("Place de Saint-Vaast", "Rue Émile Vandervelde", "Rue de Bouvy", "Rue de la Loi"),
        threshold=10,
        verified=3,
        unverified=1,
    ),
    Section(
        "Trivières",
        "7100",
        ("Place de Trivières", "Rue de Péronnes", "Rue du Bois", "Rue des Prés"),
        threshold=10,
        verified=0,
        unverified=1,
    ),
    Section(
        "Strépy-Bracquegnies",
        "7110",
        (
            "Rue du Canal",
            "Place de Strépy",
            "Rue de Bracquegnies",
            "Rue de la Station",
            "Rue Grande",
        ),
        threshold=10,
        verified=10,
        unverified=0,
    ),
    Section(
        "Houdeng-Aimeries",
        "7110",
        ("Rue Saint-Donat", "Rue de la Brasserie", "Rue Baume", "Chaussée du Rœulx"),
        threshold=10,
        verified=4,
        unverified=2,
    ),
    Section(
        "Houdeng-Goegnies",
        "7110",
        ("Chaussée Paul Houtart", "Place de Goegnies", "Rue des Ascenseurs", "Rue de la Cité"),
        threshold=10,
        verified=11,
        unverified=1,
    ),
    Section(
        "Maurage",
        "7110",
        ("Rue de l'Église", "Place de Maurage", "Rue du Pont", "Rue de Thieu"),
        threshold=8,
        verified=7,
        unverified=2,
    ),
    Section(
        "Boussoit",
        "7110",
        ("Rue Haute", "Rue du Marais", "Place de Boussoit"),
        threshold=6,
        verified=2,
        unverified=1,
    ),
)

# fmt: off
FIRST_NAMES = (
    "Marie", "Luc", "Nathalie", "Giuseppe", "Fabienne", "Salvatore", "Isabelle", "Karim",
    "Sophie", "Michel", "Rosa", "Thierry", "Aurélie", "Francesco", "Chantal", "Didier",
    "Véronique", "Mehmet", "Laurence", "Jean-Marc", "Carine", "Antonio", "Martine", "Olivier",
    "Sandrine", "Youssef", "Christelle", "Philippe", "Lucia", "Benoît", "Anne-Sophie", "Vincent",
    "Graziella", "Pascal", "Nadia", "Éric", "Maria", "Stéphane", "Julie", "Domenico", "Céline",
    "Bruno", "Samira", "Damien", "Patricia", "Rocco", "Hélène", "Kevin",
)
LAST_NAMES = (
    "Lejeune", "Renard", "Bertrand", "Colin", "Lambot", "Ferrara", "Mertens", "Delplanque",
    "Di Marco", "Caruso", "Lefebvre", "Gilson", "Laurent", "Moreau", "Wauters", "Deprez",
    "Bernard", "Cornet", "Marchal", "Genot", "Yilmaz", "Benali", "Fontaine", "Hubert", "Simon",
    "Denis", "Carlier", "Lecomte", "Dumont", "Vitale", "Pirson", "Mahieu", "Duchêne", "Scarpa",
    "Brasseur", "Dufrasne", "Hanot", "Urbano", "Leroy", "Piret", "Castiaux", "D'Angelo",
)
# fmt: on


@dataclass(frozen=True)
class DemoComment:
    author: int  # index among the section's verified residents
    body: str
    hours_later: float


@dataclass(frozen=True)
class DemoPost:
    section: str
    author: int  # index among the section's verified residents
    kind: PostKind
    title: str
    body: str
    topics: tuple[str, ...]
    days_ago: float
    reactions: int
    comments: tuple[DemoComment, ...] = ()
    share_with_city: bool = False
    # Time between one reaction and the next.
    reaction_hours: float = 25 / 60
    # An EVENT's (days from the seeding to its start, hours it lasts, place).
    event: tuple[float, float, str] | None = None


def _c(author: int, body: str, hours_later: float) -> DemoComment:
    return DemoComment(author, body, hours_later)


CENTRE, HAINE, STREPY, GOEGNIES = (
    "La Louvière centre",
    "Haine-Saint-Paul",
    "Strépy-Bracquegnies",
    "Houdeng-Goegnies",
)

# fmt: off
POSTS = (
    DemoPost(
        CENTRE, 0, PostKind.LOST_AND_FOUND, "Chat tigré perdu rue Kéramis",
        "Notre chat Filou, tigré gris avec un collier rouge, n'est pas rentré depuis mardi soir. "
        "Il est craintif mais très gentil. Si vous le voyez dans un garage ou un abri de jardin, "
        "merci de me prévenir !",
        ("entraide",), days_ago=2.5, reactions=7,
        comments=(
            _c(3, "Je regarde dans notre remise ce soir.", 1.5),
            _c(5, "J'ai vu un chat tigré près de la place Maugrétout hier vers 22 h, avec un "
                  "collier rouge, je crois.", 4),
            _c(0, "Merci beaucoup, je vais faire un tour par là !", 4.5),
            _c(0, "Filou est rentré ce matin, affamé mais en pleine forme. Merci à tous !", 30),
        ),
    ),
    DemoPost(
        CENTRE, 1, PostKind.SERVICE_OFFER, "Échelle à prêter",
        "J'ai une échelle coulissante de 6 mètres qui ne sert pas souvent. Si quelqu'un en a "
        "besoin pour nettoyer ses corniches avant l'hiver, je la prête volontiers. À venir "
        "chercher rue Hamoir.",
        ("objets", "entraide"), days_ago=9, reactions=4,
        comments=(
            _c(6, "Super, je pourrais l'emprunter samedi matin ?", 3),
            _c(1, "Pas de souci, passez vers 10 h.", 5),
        ),
    ),
    DemoPost(
        CENTRE, 2, PostKind.DISCUSSION, "Travaux rue Albert Ier : circulation perturbée",
        "Les travaux de réfection des trottoirs ont commencé rue Albert Ier. La rue est en sens "
        "unique alterné jusqu'à la fin du mois et le stationnement est interdit côté pair. "
        "Quelqu'un sait si les bus sont déviés ?",
        ("travaux", "mobilite"), days_ago=5, reactions=5, share_with_city=True,
        comments=(
            _c(4, "D'après l'affiche à l'arrêt, les bus passent par le boulevard Mairaux pendant "
                  "les travaux.", 2),
            _c(7, "Attention le matin, ça bouchonne jusqu'à la place Mansart.", 20),
        ),
    ),
    DemoPost(
        CENTRE, 8, PostKind.EVENT, "Barbecue des voisins samedi prochain",
        "On organise un barbecue sur la place Maugrétout samedi prochain à partir de 17 h. "
        "Chacun apporte un plat ou une boisson, on s'occupe du grill. Les enfants sont les "
        "bienvenus !",
        ("evenements",), days_ago=1, reactions=9, event=(5.3, 5, "Place Maugrétout"),
        comments=(
            _c(9, "On viendra avec une salade de pâtes et les enfants !", 1),
            _c(2, "Je peux prêter deux tables pliantes.", 3),
            _c(8, "Génial, merci ! Il en faudra sans doute deux de plus.", 3.5),
        ),
    ),
    DemoPost(
        CENTRE, 10, PostKind.DISCUSSION, "Dépôt sauvage au coin de la rue Hamoir",
        "Encore des sacs poubelles et un vieux matelas déposés au coin de la rue Hamoir depuis "
        "le week-end. Quelqu'un l'a déjà signalé à la ville ?",
        ("proprete",), days_ago=16, reactions=6, share_with_city=True,
        comments=(_c(11, "Oui, je l'ai signalé lundi. Ils ont tout enlevé ce matin.", 40),),
    ),
    DemoPost(
        HAINE, 0, PostKind.ITEM_GIVEAWAY, "Donne poussette en bon état",
        "Poussette trois roues avec habillage pluie, nos enfants sont trop grands. Elle est "
        "à donner, à venir chercher rue Ferrer en soirée.",
        ("objets",), days_ago=4, reactions=3,
        comments=(
            _c(4, "Elle m'intéresse pour ma petite-fille ! Je peux passer jeudi ?", 2),
            _c(0, "C'est noté pour jeudi, je vous la garde.", 6),
        ),
    ),
    DemoPost(
        HAINE, 2, PostKind.SERVICE_REQUEST, "Quelqu'un pour arroser mes plantes en août ?",
        "Je pars deux semaines en août. Je cherche quelqu'un du quartier pour arroser mes tomates "
        "et nourrir les poissons, deux fois par semaine. Je rends volontiers la pareille !",
        ("entraide",), days_ago=12, reactions=2,
        comments=(_c(6, "J'habite à deux pas, je peux le faire. Envoyez-moi un message.", 5),),
    ),
    DemoPost(
        HAINE, 5, PostKind.DISCUSSION, "Voitures trop rapides chaussée de Jolimont",
        "Le soir, certaines voitures roulent bien au-delà de 50 km/h devant l'école. Est-ce "
        "qu'on pourrait demander ensemble un radar préventif ou des ralentisseurs ?",
        ("securite", "mobilite"), days_ago=20, reactions=8, share_with_city=True,
        comments=(
            _c(1, "Tout à fait d'accord, traverser avec les enfants devient dangereux.", 3),
            _c(7, "On pourrait rédiger un courrier commun au comité de quartier.", 26),
            _c(5, "Bonne idée, je prépare un brouillon ce week-end.", 30),
        ),
    ),
    DemoPost(
        HAINE, 8, PostKind.EVENT, "Brocante de la place Jules Destrée",
        "La brocante annuelle revient dimanche en huit, de 8 h à 16 h. Inscriptions pour les "
        "emplacements auprès du comité, 5 € les 4 mètres.",
        ("evenements",), days_ago=7, reactions=6, event=(12.1, 8, "Place Jules Destrée"),
    ),
    DemoPost(
        STREPY, 0, PostKind.EVENT, "Balade nature le long du canal du Centre",
        "Une promenade tranquille de 5 km le long du canal, jusqu'aux ascenseurs hydrauliques. "
        "Départ dimanche à 10 h de la place de Strépy. Prévoyez de bonnes chaussures.",
        ("evenements", "environnement"), days_ago=3, reactions=5,
        event=(4.2, 3, "Place de Strépy"),
        comments=(_c(3, "On sera quatre avec les enfants !", 6),),
    ),
    DemoPost(
        STREPY, 4, PostKind.ITEM_REQUEST, "Cherche tondeuse pour un week-end",
        "Ma tondeuse a rendu l'âme. Quelqu'un pourrait m'en prêter une ce week-end ? Je rends "
        "le plein d'essence, promis.",
        ("objets", "entraide"), days_ago=6, reactions=2,
        comments=(
            _c(7, "J'ai une tondeuse électrique, passez la prendre rue du Canal.", 2),
            _c(4, "Merci, je passe samedi vers 9 h !", 3),
        ),
    ),
    DemoPost(
        STREPY, 6, PostKind.DISCUSSION, "Éclairage en panne rue de la Station",
        "Trois lampadaires sont éteints depuis une semaine entre le passage à niveau et la "
        "boulangerie. Le soir, le trottoir est complètement dans le noir.",
        ("securite",), days_ago=10, reactions=4, share_with_city=True,
        comments=(_c(2, "Je l'ai signalé aussi, on m'a répondu que l'intervention est prévue.", 22),),
    ),
    DemoPost(
        GOEGNIES, 0, PostKind.SERVICE_OFFER, "Aide aux devoirs pour les primaires",
        "Institutrice retraitée, je propose une aide aux devoirs le mercredi après-midi pour les "
        "enfants de primaire du quartier. Gratuit, bien sûr.",
        ("entraide",), days_ago=14, reactions=9,
        comments=(
            _c(3, "Merci pour cette belle initiative ! Mon fils est en 4e primaire.", 4),
            _c(0, "Avec plaisir, venez mercredi à 14 h.", 8),
        ),
    ),
    DemoPost(
        GOEGNIES, 2, PostKind.DISCUSSION, "Compost collectif : qui serait intéressé ?",
        "Nous sommes quelques-uns à vouloir installer un compost partagé près de la place de "
        "Goegnies. Qui serait partant pour donner un coup de main ou y déposer ses déchets verts ?",
        ("environnement",), days_ago=18, reactions=7,
        comments=(
            _c(5, "Partante ! J'ai des palettes pour construire les bacs.", 6),
            _c(9, "Intéressé aussi, il faudrait demander l'accord de la ville pour l'emplacement.", 28),
        ),
    ),
    DemoPost(
        GOEGNIES, 7, PostKind.LOST_AND_FOUND, "Trouvé un trousseau de clés place de Goegnies",
        "Trouvé ce matin près du banc : trois clés et un porte-clés en forme de tour Eiffel. "
        "Décrivez-le-moi en message privé pour le récupérer.",
        ("entraide",), days_ago=0.5, reactions=1,
    ),
)
# fmt: on
