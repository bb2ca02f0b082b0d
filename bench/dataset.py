"""A fresh database holding a realistic neighbourhood feed, built quickly with bulk inserts.

SQLite (a file in a temporary directory) by default; with a PostgreSQL admin URL, a new
database `quartier_bench_<random>` beside it, dropped by `drop_database`.

One city with the usual topic taxonomy; one active neighbourhood ("La Louvière centre") whose
feed is measured, with `posts` posts by `residents` residents over about four months, each with
0-3 topics, comments and reactions whose counts agree with the post's `comment_count` and
`reaction_count`; a few posts hidden or deleted (the feed must skip them); a second, smaller
neighbourhood so that the neighbourhood filter selects. The viewer is a verified resident of
the measured neighbourhood, with a bearer token, who reacted to about a third of the posts.

    .venv/bin/python -m bench.dataset [--postgres postgres://postgres@127.0.0.1:5432/postgres]

builds one, prints what it holds, and drops it (`--keep` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from tortoise import Tortoise, connections

from models.accounts import Account, Role
from models.community import Comment, Post, PostKind, PostTopic, Reaction, Topic
from models.geography import City, Neighbourhood, Street, fold
from resolvers import tokens
from server import db
from server.taxonomy import DEFAULT_TOPICS

TOPICS = DEFAULT_TOPICS
# fmt: off
FIRST_NAMES = [
    "Alice", "Benoît", "Chloé", "Didier", "Élodie", "François", "Gaëlle", "Hélène", "Ibrahim",
    "Jérôme", "Karima", "Léa", "Mehdi", "Noémie", "Océane", "Pascal", "Quentin", "Renée",
    "Sébastien", "Thérèse", "Ugo", "Valérie", "Wassim", "Yasmine", "Zoé",
]
LAST_NAMES = [
    "Dupont", "Lambert", "Rossi", "Peeters", "Janssens", "Maes", "Dubois", "Lefèvre", "Mertens",
    "Willems", "Claes", "Goossens", "Wouters", "De Smet", "Leclercq", "Hermans", "Michel",
]
WORDS = [
    "rue", "trottoir", "voisin", "voisine", "vélo", "poubelle", "chantier", "fête", "école",
    "parc", "chien", "chat", "lampe", "échelle", "perceuse", "tondeuse", "jardin", "marché",
    "bibliothèque", "concert", "réunion", "travaux", "bruit", "sécurité", "propreté", "entraide",
    "covoiturage", "poussette", "livres", "meubles", "canapé", "frigo", "enfants", "samedi",
    "dimanche", "matin", "soir", "quartier", "commune", "place", "église", "gare", "bus",
    "stationnement",
]
STREETS = [
    "Rue Sylvain Guyaux", "Rue Albert Ier", "Place Mansart", "Rue Hamoir", "Rue Kéramis",
    "Boulevard des Droits de l'Homme", "Rue de Bouvy", "Rue Léon Hiard", "Rue du Moulin",
    "Avenue Rêve d'Or",
]
# fmt: on
KINDS = list(PostKind)


@dataclass
class Dataset:
    url: str
    dialect: str
    neighbourhood_id: int
    viewer_id: int
    token: str = field(repr=False)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("token")
        return data


# --- databases ---------------------------------------------------------------------------


def _asyncpg_dsn(url: str) -> str:
    return re.sub(r"^(postgres|postgresql|asyncpg)://", "postgresql://", url)


async def fresh_database(postgres_admin_url: str | None) -> str:
    """The Tortoise URL of a new, empty database."""
    if postgres_admin_url is None:
        directory = tempfile.mkdtemp(prefix="quartier-bench-")
        return f"sqlite://{os.path.join(directory, 'bench.sqlite3')}"
    name = f"quartier_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url), timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return re.sub(
        r"/[^/]*$", f"/{name}", re.sub(r"^postgresql://", "postgres://", postgres_admin_url)
    )


async def drop_database(postgres_admin_url: str | None, url: str) -> None:
    if url.startswith("sqlite://"):
        directory = os.path.dirname(url.removeprefix("sqlite://"))
        if os.path.basename(directory).startswith("quartier-bench-"):
            shutil.rmtree(directory, ignore_errors=True)
        return
    assert postgres_admin_url is not None
    name = url.rsplit("/", 1)[1]
    assert name.startswith("quartier_bench_"), name
    conn = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url), timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# --- content -----------------------------------------------------------------------------


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize()


def _body(rng: random.Random) -> str:
    paragraphs = [_sentence(rng, 8, 40) + "." for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.2:
        # Characters JSON must escape, and non-ASCII ones it writes as \u escapes.
        paragraphs.append('Contact : « demandez "Jo" au n°12 » — merci !\tÀ bientôt')
    return "\n\n".join(paragraphs)


def _moment(base: datetime, rng: random.Random, days: int) -> datetime:
    return base - timedelta(
        seconds=rng.randint(0, days * 86400), microseconds=rng.randint(0, 999_999)
    )


# --- population --------------------------------------------------------------------------


async def populate(
    url: str,
    *,
    posts: int = 2000,
    residents: int = 200,
    other_posts: int = 300,
    days: int = 120,
    seed: int = 1,
    social: bool = True,
) -> Dataset:
    """Migrate the empty database at `url` and fill it. Leaves Tortoise closed.

    Without `social`, the posts have no comments and only the viewer's reactions: a large
    neighbourhood in seconds rather than minutes, for what reads posts alone (bench.deep_page).
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    await db.migrate(url)
    await Tortoise.close_connections()
    await db.start(url)
    try:
        dataset = await _fill(url, rng, posts, residents, other_posts, days, social)
    finally:
        await db.stop()
    dataset.seconds = round(time.perf_counter() - started, 2)
    return dataset


async def _fill(
    url: str,
    rng: random.Random,
    n_posts: int,
    n_residents: int,
    n_other_posts: int,
    days: int,
    social: bool = True,
) -> Dataset:
    base = datetime.now(UTC).replace(microsecond=0)
    city = await City.create(name="La Louvière")
    await Topic.bulk_create(
        [
            Topic(id=i, city_id=city.id, slug=s, label=fr, label_nl=nl, label_en=en)
            for i, (s, fr, nl, en) in enumerate(TOPICS, 1)
        ]
    )
    topic_ids = list(range(1, len(TOPICS) + 1))
    centre = await Neighbourhood.create(
        city=city, name="La Louvière centre", activated_at=base - timedelta(days=days + 30)
    )
    haine = await Neighbourhood.create(
        city=city, name="Haine-Saint-Paul", activated_at=base - timedelta(days=days + 10)
    )
    streets = [
        Street(
            id=i,
            neighbourhood_id=centre.id if i <= len(STREETS) else haine.id,
            name=name,
            search_name=fold(name),
            postal_code="7100",
        )
        for i, name in enumerate(STREETS + [f"{s} (Haine)" for s in STREETS[:3]], 1)
    ]
    await Street.bulk_create(streets)
    centre_streets = [s.id for s in streets if s.neighbourhood_id == centre.id]
    haine_streets = [s.id for s in streets if s.neighbourhood_id == haine.id]

    accounts: list[Account] = []

    def resident(neighbourhood_id: int, street_ids: list[int], verified: bool) -> Account:
        pk = len(accounts) + 1
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        account = Account(
            id=pk,
            email=f"{fold(name).replace(' ', '.')}.{pk}@example.be",
            display_name=name,
            role=Role.RESIDENT,
            city_id=city.id,
            street_id=rng.choice(street_ids),
            neighbourhood_id=neighbourhood_id,
            house_number=str(rng.randint(1, 180)),
            verified_at=base - timedelta(days=rng.randint(days, days + 60)) if verified else None,
        )
        accounts.append(account)
        return account

    viewer = resident(centre.id, centre_streets, True)
    viewer.display_name = "Hélène Visiteuse"
    centre_residents = [viewer] + [
        resident(centre.id, centre_streets, rng.random() < 0.9) for _ in range(n_residents - 1)
    ]
    haine_residents = [
        resident(haine.id, haine_streets, True) for _ in range(max(10, n_residents // 5))
    ]
    await Account.bulk_create(accounts, batch_size=500)
    verified_centre = [a for a in centre_residents if a.verified_at is not None]
    verified_haine = haine_residents

    posts: list[Post] = []
    links: list[PostTopic] = []
    comments: list[Comment] = []
    reactions: list[Reaction] = []

    def add_post(neighbourhood_id: int, authors: list[Account], neighbours: list[Account]) -> None:
        pk = len(posts) + 1
        # A few posts share their predecessor's instant: the `id` tie-break must order them.
        if posts and rng.random() < 0.02:
            created = posts[-1].created_at
        else:
            created = _moment(base, rng, days)
        flag = rng.random()
        post = Post(
            id=pk,
            neighbourhood_id=neighbourhood_id,
            author_id=rng.choice(authors).id,
            kind=rng.choice(KINDS),
            title=_sentence(rng, 3, 9)[:200],
            body=_body(rng),
            share_with_city=rng.random() < 0.1,
            created_at=created,
            updated_at=created + timedelta(hours=rng.randint(1, 48))
            if rng.random() < 0.1
            else None,
            version=1,
            hidden_at=base - timedelta(days=1) if flag < 0.01 else None,
            deleted_at=base - timedelta(days=2) if 0.01 <= flag < 0.02 else None,
        )
        for topic_id in rng.sample(topic_ids, rng.randint(0, 3)):
            links.append(PostTopic(id=len(links) + 1, post_id=pk, topic_id=topic_id))
        n_comments = rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 8, 13]) if social else 0
        for _ in range(n_comments):
            comments.append(
                Comment(
                    id=len(comments) + 1,
                    post_id=pk,
                    author_id=rng.choice(neighbours).id,
                    body=_sentence(rng, 3, 30),
                    created_at=created + timedelta(minutes=rng.randint(1, 10_000)),
                )
            )
        reactors = (
            {a.id for a in rng.sample(neighbours, min(len(neighbours), rng.randint(0, 12)))}
            if social
            else set()
        )
        if neighbourhood_id == centre.id and rng.random() < 0.35:
            reactors.add(viewer.id)
        for account_id in sorted(reactors):
            reactions.append(Reaction(id=len(reactions) + 1, post_id=pk, account_id=account_id))
        post.comment_count = n_comments
        post.reaction_count = len(reactors)
        posts.append(post)

    for _ in range(n_posts):
        add_post(centre.id, verified_centre, verified_centre)
    for _ in range(n_other_posts):
        add_post(haine.id, verified_haine, verified_haine)

    await Post.bulk_create(posts, batch_size=500)
    await PostTopic.bulk_create(links, batch_size=1000)
    await Comment.bulk_create(comments, batch_size=1000)
    await Reaction.bulk_create(reactions, batch_size=1000)

    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    if dialect == "postgres":
        # Rows were inserted with explicit ids: move the sequences past them.
        for table in ("topic", "street", "account", "post", "post_topic", "comment", "reaction"):
            await conn.execute_script(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        await conn.execute_script("ANALYZE")
    else:
        await conn.execute_script("ANALYZE")

    # bulk_create does not mark its instances saved: issue the token to a fetched account.
    raw, _token = await tokens.issue(await Account.get(id=viewer.id), timedelta(days=2))
    return Dataset(
        url=url,
        dialect=dialect,
        neighbourhood_id=centre.id,
        viewer_id=viewer.id,
        token=raw,
        counts={
            "accounts": len(accounts),
            "posts": len(posts),
            "posts_in_feed_neighbourhood": n_posts,
            "post_topics": len(links),
            "comments": len(comments),
            "reactions": len(reactions),
            "viewer_reactions": sum(1 for r in reactions if r.account_id == viewer.id),
        },
    )


async def _verify(url: str, dataset: Dataset) -> None:
    """Counts on the posts agree with the rows inserted."""
    await db.start(url)
    try:
        conn = connections.get("default")
        rows = await conn.execute_query_dict(
            "SELECT COUNT(*) AS n FROM post p WHERE p.comment_count <> "
            "(SELECT COUNT(*) FROM comment c WHERE c.post_id = p.id) OR p.reaction_count <> "
            "(SELECT COUNT(*) FROM reaction r WHERE r.post_id = p.id)"
        )
        assert rows[0]["n"] == 0, rows
    finally:
        await db.stop()


async def _main(args: argparse.Namespace) -> None:
    url = await fresh_database(args.postgres)
    try:
        dataset = await populate(url, posts=args.posts, residents=args.residents, seed=args.seed)
        await _verify(url, dataset)
        print(dataset.summary())
        if args.keep:
            print(f"kept: DATABASE_URL={url}\nviewer token: {dataset.token}")
    finally:
        if not args.keep:
            await drop_database(args.postgres, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
