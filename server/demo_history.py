"""The demo city's past months: what the four open neighbourhoods wrote since they opened,
so that the city's topic insights show real figures (and, for the quieter topics, figures
too small to show). Generated from a fixed seed: the same posts on every run, placed
relative to the moment of seeding.

Each neighbourhood has its favourite topics: those get a dozen posts a month, with comments
and reactions, and pass the suppression rules; the rare ones get one to three and stay
suppressed. Posts come in small bursts (one to three on a day), the way a street talks.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from models.community import PostKind
from server.demo_data import DemoComment, DemoPost

# The hand-written posts of server/demo_data.py lead the feed: the history stops before.
RECENT_DAYS = 3
# The first whole month after the last demo resident is verified (server/demo.py): every
# author may post, and no month of the history is a partial one.
FIRST_DAY = 170
SEED = 7100

# fmt: off
TOPIC_POSTS: dict[str, tuple[tuple[PostKind, str, str], ...]] = {
    "entraide": (
        (PostKind.SERVICE_REQUEST, "Quelqu'un pour promener mon chien ?",
         "Je suis immobilisé·e pour quelques jours. Quelqu'un pourrait-il sortir mon labrador "
         "le matin ? Il est très sage."),
        (PostKind.SERVICE_OFFER, "Courses pour les voisins âgés",
         "Je fais mes courses le samedi matin au marché : si cela rend service, je peux "
         "ramener ce qu'il vous faut."),
        (PostKind.SERVICE_REQUEST, "Aide pour monter une armoire",
         "Il me faudrait deux bras de plus samedi pour monter une armoire au premier étage. "
         "Café et tarte offerts !"),
        (PostKind.SERVICE_OFFER, "Covoiturage vers l'hôpital de Jolimont",
         "Je vais à Jolimont tous les mardis matin et je peux emmener quelqu'un."),
        (PostKind.SERVICE_REQUEST, "Garde de chat pendant les congés",
         "Nous partons une semaine : qui pourrait nourrir notre chat une fois par jour ?"),
    ),
    "objets": (
        (PostKind.ITEM_GIVEAWAY, "Donne vêtements d'enfant 4-6 ans",
         "Deux sacs de vêtements en bon état, garçon et fille. À venir chercher en soirée."),
        (PostKind.ITEM_REQUEST, "Cherche perceuse à emprunter",
         "Quelqu'un aurait une perceuse à me prêter pour une heure ? Je la rends le jour même."),
        (PostKind.ITEM_GIVEAWAY, "Livres à donner",
         "Une trentaine de romans et de BD, à récupérer devant chez moi ce week-end."),
        (PostKind.ITEM_GIVEAWAY, "Bocaux en verre à donner",
         "Une cinquantaine de bocaux pour les confitures de l'été, gratuits."),
        (PostKind.ITEM_REQUEST, "Cherche vélo d'adulte d'occasion",
         "Pour aller au travail à vélo : je cherche un vélo de ville pas trop cher."),
    ),
    "evenements": (
        (PostKind.EVENT, "Apéro de rue vendredi",
         "Rendez-vous vendredi à 18 h au bout de la rue, chacun apporte quelque chose."),
        (PostKind.EVENT, "Atelier réparation de vélos",
         "Samedi après-midi, on répare les vélos ensemble sur la place. Outils fournis."),
        (PostKind.EVENT, "Tournoi de pétanque du quartier",
         "Inscriptions par équipes de deux, dimanche à 14 h, buvette au profit de l'école."),
        (PostKind.EVENT, "Soirée jeux de société",
         "Mercredi soir à la salle du comité : venez avec vos jeux préférés."),
    ),
    "mobilite": (
        (PostKind.DISCUSSION, "Arrêt de bus déplacé",
         "L'arrêt a été déplacé de cent mètres pendant les travaux : attention le matin."),
        (PostKind.DISCUSSION, "Pistes cyclables vers la gare",
         "Qui serait partant pour demander un itinéraire cyclable sûr vers la gare ?"),
        (PostKind.DISCUSSION, "Stationnement devant l'école",
         "Les voitures se garent sur le trottoir à la sortie de l'école : comment faire ?"),
    ),
    "environnement": (
        (PostKind.EVENT, "Plantation de haies samedi",
         "Le comité plante une haie indigène le long du terrain de foot : venez avec des gants."),
        (PostKind.DISCUSSION, "Compost de quartier : premiers résultats",
         "Le compost collectif tourne bien, on cherche deux volontaires pour le retourner."),
        (PostKind.DISCUSSION, "Nichoirs pour les mésanges",
         "On pourrait installer des nichoirs dans le parc : qui sait les fabriquer ?"),
        (PostKind.EVENT, "Balade à la découverte des oiseaux",
         "Départ dimanche à 9 h, jumelles conseillées, durée deux heures."),
    ),
    "securite": (
        (PostKind.DISCUSSION, "Passage piéton effacé",
         "Le marquage du passage devant la boulangerie est presque invisible."),
        (PostKind.DISCUSSION, "Portail de l'école ouvert la nuit",
         "Le portail reste ouvert le soir, des jeunes y font du bruit tard."),
    ),
    "proprete": (
        (PostKind.DISCUSSION, "Ramassage de déchets au parc",
         "On organise un ramassage des déchets samedi matin, sacs et pinces fournis."),
        (PostKind.DISCUSSION, "Poubelles publiques débordantes",
         "Les poubelles près de l'arrêt débordent chaque lundi."),
    ),
    "travaux": (
        (PostKind.DISCUSSION, "Nid-de-poule dangereux",
         "Un gros nid-de-poule s'est formé au carrefour, attention aux deux-roues."),
        (PostKind.DISCUSSION, "Chantier de la conduite d'eau",
         "Coupure d'eau annoncée jeudi de 8 h à 12 h pour le remplacement des conduites."),
    ),
}

COMMENTS = (
    "Merci pour l'info !", "Je suis intéressé·e, je vous envoie un message.",
    "Bonne idée, je viendrai.", "Je peux aider samedi matin.", "Super initiative !",
    "On en parlait justement avec les voisins.", "Je passe ce soir si c'est toujours d'actualité.",
    "C'est réglé, merci à tous.", "Je relaie à ma sœur qui habite à côté.",
    "Partant·e, dites-moi l'heure.", "Merci, c'est très gentil.", "Même constat chez nous.",
)

# Posts a month per topic: the favourites pass the suppression rules, the rest stay small.
TASTES: dict[str, dict[str, int]] = {
    "La Louvière centre": {"entraide": 12, "objets": 10, "evenements": 9, "mobilite": 3,
                           "travaux": 2, "proprete": 1},
    "Haine-Saint-Paul": {"objets": 11, "entraide": 10, "mobilite": 9, "securite": 3,
                         "evenements": 2, "environnement": 1},
    "Strépy-Bracquegnies": {"environnement": 11, "evenements": 10, "entraide": 9, "objets": 2,
                            "travaux": 1},
    "Houdeng-Goegnies": {"entraide": 11, "environnement": 10, "objets": 9, "proprete": 2,
                         "securite": 1},
}
# fmt: on
# A second topic that often goes with the first.
PAIRS = {"objets": "entraide", "mobilite": "securite", "evenements": "environnement"}


def _bursts(rng: random.Random, count: int) -> list[int]:
    """`count` posts as bursts of one to three on a day, at least one of two or more."""
    sizes: list[int] = []
    while sum(sizes) < count:
        sizes.append(min(rng.choice((1, 1, 2, 2, 3)), count - sum(sizes)))
    if count >= 2 and max(sizes) < 2:
        sizes = [2, *sizes[2:]]
    return sizes


def _post(
    rng: random.Random, section: str, neighbours: int, topic: str, days_ago: float
) -> DemoPost:
    kind, title, body = rng.choice(TOPIC_POSTS[topic])
    author = rng.randrange(neighbours)
    topics: tuple[str, ...] = (topic,)
    if topic in PAIRS and rng.random() < 0.3:
        topics = (topic, PAIRS[topic])
    commenters = [n for n in range(neighbours) if n != author]
    comments = tuple(
        DemoComment(rng.choice(commenters), rng.choice(COMMENTS), rng.uniform(0.5, 60))
        for _ in range(rng.randint(1, 5))
    )
    return DemoPost(
        section,
        author,
        kind,
        title,
        body,
        topics,
        days_ago=days_ago,
        reactions=rng.randint(1, min(8, neighbours - 1)),
        comments=comments,
        # Over a few days, as neighbours come by.
        reaction_hours=rng.uniform(2, 20),
        share_with_city=topic in ("travaux", "proprete", "securite") and rng.random() < 0.5,
    )


def history(moment: datetime, verified: dict[str, int]) -> list[DemoPost]:
    """The posts of every calendar month from FIRST_DAY to RECENT_DAYS before `moment`;
    `verified` gives each section's number of verified residents (the authors)."""
    rng = random.Random(SEED)
    last = moment - timedelta(days=RECENT_DAYS)
    before = moment - timedelta(days=FIRST_DAY)
    month = (before.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    first = month
    posts: list[DemoPost] = []
    while month < last:
        following = (month + timedelta(days=32)).replace(day=1)
        start, end = max(month, first), min(following, last)
        days = (end - start).days
        for section, tastes in TASTES.items():
            for topic, per_month in tastes.items():
                count = round(per_month * days / 30 + rng.choice((-1, 0, 0, 1)))
                for size in _bursts(rng, max(count, 0)):
                    day = start + timedelta(days=rng.randrange(max(days, 1)), hours=8)
                    for _ in range(size):
                        at = day + timedelta(minutes=rng.randrange(13 * 60))
                        ago = (moment - at).total_seconds() / 86400
                        posts.append(_post(rng, section, verified[section], topic, ago))
        month = following
    return posts
