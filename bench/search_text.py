"""Text for the search benchmark: titles, bodies and comments drawn from pools of sentences,
whose words follow Zipf's law over a 30,000-word vocabulary: French glue words first, then
the words of a neighbourhood's life spread among made-up ones (a few words are everywhere,
most are rare, as in real text). `bench.city_dataset` assembles posts from these pools with
SQL when asked for `--text words`."""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    return text.split()


# Words residents use, most common first within each group; accents as written.
NOUNS = _words("""
voisin voisine rue quartier maison jardin vélo voiture enfant école parc place chien chat
travaux bruit fête repas barbecue brocante marché bus arrêt trottoir poubelle sac déchets
lampadaire éclairage parking stationnement boulangerie pharmacie médecin plombier électricien
menuisier peintre jardinier coiffeur garage atelier outil échelle perceuse tondeuse
haie arbre fleur potager compost composteur légume tomate salade pomme poire cerise
table chaise armoire lit canapé frigo four lave-linge poussette trottinette jouet livre
vêtement manteau chaussure sac-à-dos parapluie clé portefeuille téléphone lunettes bague
concert spectacle balade promenade randonnée course tournoi match football basket pétanque
réunion assemblée comité association club bénévole collecte don prêt échange troc
chantier déviation circulation vitesse radar ralentisseur passage piéton carrefour feu
canal écluse pont gare train station église mairie bibliothèque piscine salle musée
neige pluie orage vent inondation cave grenier toiture gouttière fuite chauffage chaudière
internet fibre antenne facteur colis livraison courrier boîte sonnette interphone porte
fenêtre volet serrure cambriolage vol police alarme sécurité caméra incendie pompier
""")
VERBS = _words("""
cherche trouve donne prête vends échange organise propose invite répare nettoie plante
arrose promène garde perdu trouvé volé cassé signale demande remercie recommande conseille
partage prépare apporte invite annule reporte déménage installe construit peint taille
""")
ADJECTIVES = _words("""
bon petit grand vieux nouveau gris noir blanc rouge bleu vert gratuit urgent libre
propre sale bruyant calme dangereux fiable sympa disponible cassé neuf ancien électrique
""")
GLUE = _words("""
le la les un une des du de à au aux et ou mais pour avec sans chez dans sur sous par
qui que quoi est sont a ont je tu il elle nous vous ils on ce cette ces mon ma mes son sa
ses notre votre leur très plus moins bien aussi encore déjà demain samedi dimanche soir
matin après avant près loin depuis quelqu'un merci bonjour svp
""")


SYLLABLES = _words("""
ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga ge gi go gu la le li lo lu
ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu
va ve vi vo vu bra bre bri cra cre cri dra dre tra tre tri gra gre gri pla ple pli cha che
chi cho sou tou mou nou rou vou lan len lin lon ran ren rin ron san sen son tan ten ton
""")
ENDINGS = _words("ne re se te le que tion ment age eur euse oir ier ière elle ette on")
VOCABULARY_SIZE = 30_000
# Ranks of the resident words among all words: the glue words lead, as in any French text,
# then one real word every few ranks among made-up ones, so the vocabulary's law is that of
# real text (Zipf) and a word such as "vélo" is in a few percent of posts, not in most.
CONTENT_FROM, CONTENT_STEP = 40, 9


def _made_up(rng: random.Random, taken: set[str]) -> str:
    while True:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
        word += rng.choice(ENDINGS)
        if word not in taken:
            taken.add(word)
            return word


def vocabulary(rng: random.Random) -> list[str]:
    """Every word, most frequent first."""
    real = [w for group in zip(NOUNS, VERBS * 6, ADJECTIVES * 8, strict=False) for w in group]
    real = list(dict.fromkeys(real + NOUNS + VERBS + ADJECTIVES))
    taken = set(GLUE) | set(real)
    words = list(GLUE)
    while len(words) < VOCABULARY_SIZE:
        rank = len(words)
        due = (rank - CONTENT_FROM) // CONTENT_STEP
        if rank >= CONTENT_FROM and (rank - CONTENT_FROM) % CONTENT_STEP == 0 and due < len(real):
            words.append(real[due])
        else:
            words.append(_made_up(rng, taken))
    return words


class Writer:
    """Sentences of words drawn by Zipf's law (weight 1/rank) over `vocabulary`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        total, self.cumulative = 0.0, []
        for rank in range(1, len(self.words) + 1):
            total += 1 / rank
            self.cumulative.append(total)

    def sentence(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        text = " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=count))
        return text[0].upper() + text[1:] + "."


@dataclass(frozen=True)
class Texts:
    titles: list[str]
    bodies: list[str]
    comments: list[str]


def pools(seed: int = 42, size: int = 50_000) -> Texts:
    """Pools of sentences; a post's body joins 2 to 6 of them, a comment is one."""
    writer = Writer(seed)
    return Texts(
        titles=[writer.sentence(2, 7).rstrip(".") for _ in range(size)],
        bodies=[writer.sentence(8, 20) for _ in range(size)],
        comments=[writer.sentence(4, 16) for _ in range(size)],
    )


# Two-word searches a resident types: a thing and a word that goes with it.
QUERIES = [
    "vélo perdu", "plombier fiable", "tondeuse prête", "chat perdu", "barbecue samedi",
    "brocante place", "travaux rue", "lampadaire cassé", "poussette donne", "jardin partagé",
    "bruit soir", "bus arrêt", "échelle prête", "chien trouvé", "fête quartier",
    "compost jardin", "clé trouvée", "parking voiture", "électricien recommande", "fuite cave",
]  # fmt: skip
