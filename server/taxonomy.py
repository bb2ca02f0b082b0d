"""The topic taxonomy a new city starts with (the labels are shown to residents, in French,
Dutch and English; a city may relabel its own)."""

from __future__ import annotations

from models.community import Topic
from models.geography import City

# slug, French, Dutch, English.
DEFAULT_TOPICS: tuple[tuple[str, str, str, str], ...] = (
    ("mobilite", "Mobilité", "Mobiliteit", "Mobility"),
    ("travaux", "Travaux", "Werken", "Roadworks"),
    ("securite", "Sécurité", "Veiligheid", "Safety"),
    ("environnement", "Environnement", "Milieu", "Environment"),
    ("proprete", "Propreté", "Netheid", "Cleanliness"),
    ("entraide", "Entraide", "Burenhulp", "Mutual aid"),
    ("objets", "Objets", "Voorwerpen", "Items"),
    ("evenements", "Événements", "Evenementen", "Events"),
)


async def create_city(name: str) -> City:
    """A city with the default taxonomy, so its residents can tag posts from day one."""
    city = await City.create(name=name)
    await Topic.bulk_create(
        [
            Topic(city=city, slug=slug, label=fr, label_nl=nl, label_en=en)
            for slug, fr, nl, en in DEFAULT_TOPICS
        ]
    )
    return city
