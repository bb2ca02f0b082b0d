"""The topic taxonomy a new city starts with (the labels are shown to residents)."""

from __future__ import annotations

from models.community import Topic
from models.geography import City

DEFAULT_TOPICS: tuple[tuple[str, str], ...] = (
    ("mobilite", "Mobilité"),
    ("travaux", "Travaux"),
    ("securite", "Sécurité"),
    ("environnement", "Environnement"),
    ("proprete", "Propreté"),
    ("entraide", "Entraide"),
    ("objets", "Objets"),
    ("evenements", "Événements"),
)


async def create_city(name: str) -> City:
    """A city with the default taxonomy, so its residents can tag posts from day one."""
    city = await City.create(name=name)
    await Topic.bulk_create(
        [Topic(city=city, slug=slug, label=label) for slug, label in DEFAULT_TOPICS]
    )
    return city
