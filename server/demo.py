"""The demo city: La Louvière with neighbours, posts, comments and reactions (`serve --demo`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account, LetterStatus, Role, VerificationLetter
from models.community import Comment, Post, PostTopic, Reaction, Topic
from models.events import Event
from models.geography import City, Neighbourhood, Street, fold
from resolvers import passwords
from resolvers.accounts import new_letter_code
from server import demo_data
from server.demo_city import seed_city_side, seed_reports
from server.demo_data import POSTS, SECTIONS, DemoPost, Section
from server.demo_history import history
from server.taxonomy import create_city

# Comments and reactions never land in the future, however the post's timeline is written.
LATEST = timedelta(minutes=5)
# The neighbourhoods were set up eight months ago; their residents verified their addresses
# over the next two (the k-th of a neighbourhood VERIFIED_DAYS - VERIFIED_STEP * k days ago),
# so the open ones have months of history (server/demo_history.py).
SINCE = timedelta(days=250)
VERIFIED_DAYS = 240
VERIFIED_STEP = 6


def _slug(name: str) -> str:
    return "-".join(fold(name).replace("'", "").split())


def person(serial: int) -> tuple[str, str]:
    """A display name and email address, distinct for each serial below 336."""
    first = demo_data.FIRST_NAMES[serial % len(demo_data.FIRST_NAMES)]
    # 11 is prime to the number of last names: every last name comes round before one repeats.
    last = demo_data.LAST_NAMES[(serial * 11) % len(demo_data.LAST_NAMES)]
    return f"{first} {last}", f"{_slug(first)}.{_slug(last)}@{demo_data.EMAIL_DOMAIN}"


class _Seeder:
    def __init__(self, city: City, password_hash: str, moment: datetime) -> None:
        self.city = city
        self.password_hash = password_hash
        self.moment = moment
        self.serial = 0
        self.verified: dict[str, list[Account]] = {}
        self.letters: list[VerificationLetter] = []

    async def resident(
        self, street: Street, verified_at: datetime | None, since: datetime
    ) -> Account:
        name, email = person(self.serial)
        self.serial += 1
        account = await Account.create(
            email=email,
            password_hash=self.password_hash,
            display_name=name,
            role=Role.RESIDENT,
            city=self.city,
            street=street,
            neighbourhood_id=street.neighbourhood_id,
            house_number=str(3 + (self.serial * 17) % 140),
            verified_at=verified_at,
            # Confirmed, so the demo shows e-mails: a city alert lands in the mail folder.
            email_confirmed_at=since,
            created_at=since,
        )
        self.letters.append(
            VerificationLetter(
                account=account,
                code=new_letter_code(),
                status=LetterStatus.USED if verified_at else LetterStatus.PENDING,
                created_at=since,
                used_at=verified_at,
            )
        )
        return account

    async def section(self, section: Section, index: int) -> None:
        neighbourhood = await Neighbourhood.create(
            city=self.city,
            name=section.name,
            activation_threshold=section.threshold,
            created_at=self.moment - SINCE,
        )
        streets = [
            await Street.create(
                neighbourhood=neighbourhood,
                name=name,
                search_name=fold(name),
                postal_code=section.postal_code,
            )
            for name in section.streets
        ]
        verified = []
        for k in range(section.verified):
            ago = timedelta(days=VERIFIED_DAYS - VERIFIED_STEP * k, hours=k + 5 * index)
            verified_at = self.moment - ago
            since = verified_at - timedelta(days=3)
            verified.append(await self.resident(streets[k % len(streets)], verified_at, since))
        for k in range(section.unverified):
            since = self.moment - timedelta(days=1 + 2 * k, hours=3 + 7 * index)
            await self.resident(streets[(k + 1) % len(streets)], None, since)
        self.verified[section.name] = verified
        if section.verified >= section.threshold:
            # Activated when the resident who reached the threshold entered their code.
            neighbourhood.activated_at = verified[section.threshold - 1].verified_at
            await neighbourhood.save(update_fields=["activated_at"])

    def _at(self, post: datetime, after: timedelta) -> datetime:
        return min(post + after, self.moment - LATEST)

    async def post(
        self, demo: DemoPost, topics: dict[str, int]
    ) -> list[Comment | Reaction | PostTopic]:
        neighbours = self.verified[demo.section]
        author = neighbours[demo.author]
        created_at = self.moment - timedelta(days=demo.days_ago)
        row = await Post.create(
            neighbourhood_id=author.neighbourhood_id,
            author=author,
            kind=demo.kind,
            title=demo.title,
            body=demo.body,
            share_with_city=demo.share_with_city,
            comment_count=len(demo.comments),
            reaction_count=demo.reactions,
            created_at=created_at,
        )
        if demo.event is not None:
            days, hours, place = demo.event
            starts_at = (self.moment + timedelta(days=days)).replace(
                minute=0, second=0, microsecond=0
            )
            await Event.create(
                post=row,
                neighbourhood_id=row.neighbourhood_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=hours),
                place=place,
            )
        others = [n for n in neighbours if n.id != author.id]
        # Start the reactors at a different neighbour on each post, so not always the same ones react.
        start = demo.author + len(demo.title)
        reactors = [others[(start + k) % len(others)] for k in range(demo.reactions)]
        return [
            *(PostTopic(post=row, topic_id=topics[slug]) for slug in demo.topics),
            *(
                Comment(
                    post=row,
                    author=neighbours[c.author],
                    body=c.body,
                    created_at=self._at(created_at, timedelta(hours=c.hours_later)),
                )
                for c in demo.comments
            ),
            *(
                Reaction(
                    post=row,
                    account=reactor,
                    created_at=self._at(created_at, timedelta(hours=demo.reaction_hours * (k + 1))),
                )
                for k, reactor in enumerate(reactors)
            ),
        ]

    async def staff(self) -> None:
        since = self.moment - SINCE
        for (email, name), role, city in (
            (demo_data.MODERATOR, Role.MODERATOR, None),
            (demo_data.CITY_STAFF, Role.CITY_STAFF, self.city),
        ):
            await Account.create(
                email=email,
                password_hash=self.password_hash,
                display_name=name,
                role=role,
                city=city,
                email_confirmed_at=since,
                created_at=since,
            )


async def seed_demo(moment: datetime | None = None) -> bool:
    """Seed the demo city into an empty database; False (and nothing written) when the
    database already has a city. Everything is dated relative to `moment` (now)."""
    if await City.exists():
        return False
    # One argon2 hash for every demo account: hashing each would take seconds.
    password_hash = await passwords.hash_password(demo_data.PASSWORD)
    async with in_transaction():
        if await City.exists():
            return False
        seeder = _Seeder(await create_city(demo_data.CITY), password_hash, moment or now())
        for index, section in enumerate(SECTIONS):
            await seeder.section(section, index)
        await VerificationLetter.bulk_create(seeder.letters)
        await seeder.staff()
        topics = dict(await Topic.filter(city=seeder.city).values_list("slug", "id"))
        rows: list[Comment | Reaction | PostTopic] = []
        sizes = {name: len(people) for name, people in seeder.verified.items()}
        for demo in (*history(seeder.moment, sizes), *POSTS):
            rows.extend(await seeder.post(demo, topics))
        await PostTopic.bulk_create([r for r in rows if isinstance(r, PostTopic)])
        await Comment.bulk_create([r for r in rows if isinstance(r, Comment)])
        await Reaction.bulk_create([r for r in rows if isinstance(r, Reaction)])
        await seed_city_side(seeder.city)
        await seed_reports(seeder.city)
    return True
