"""Enqueueing a city's announcement to 10,000 residents: the publishing transaction with its
notifications and its e-mails (one INSERT ... SELECT each), timed as a whole and statement by
statement.

    .venv/bin/python -m bench.mail_enqueue                                                       # SQLite
    .venv/bin/python -m bench.mail_enqueue --postgres postgres://postgres@127.0.0.1:5432/postgres

A fresh database (a SQLite file in a temporary directory, or a new PostgreSQL database dropped
at the end) with one city, 10 neighbourhoods and `--residents` verified residents with
confirmed addresses, a tenth of whom said no to alerts by e-mail. Each round publishes one
ALERT to the whole city through `resolvers.announcements.publish`, as the API does, then
checks the outbox holds exactly one row per resident who wants it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime

from tortoise import Tortoise, connections

from models.accounts import Account, Role
from models.city import AnnouncementKind, TargetScope
from models.geography import Neighbourhood, Street, fold
from models.mail import NotificationPreference, OutboxMessage, PreferenceKind
from resolvers.announcements import publish
from resolvers.context import Context
from resolvers.loaders import Loaders
from resolvers.validation import Checks
from server import db
from server.db import sql_log
from server.settings import Settings
from server.taxonomy import create_city
from tests import support


class Timer(logging.Handler):
    """Time between one statement's log record and the next: enough to single out the two
    INSERT ... SELECTs, which dominate."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((time.perf_counter(), record.getMessage()[:60]))


async def build(residents: int) -> tuple[Account, int]:
    city = await create_city("La Louvière")
    streets = []
    for n in range(10):
        hood = await Neighbourhood.create(
            city=city, name=f"Quartier {n}", activation_threshold=10, activated_at=datetime.now(UTC)
        )
        streets.append(
            await Street.create(
                neighbourhood=hood,
                name=f"Rue {n}",
                search_name=fold(f"rue {n}"),
                postal_code="7100",
            )
        )
    moment = datetime.now(UTC)
    accounts = [
        Account(
            email=f"habitant{i}@example.be",
            display_name=f"Habitant {i}",
            role=Role.RESIDENT,
            city_id=city.id,
            street_id=streets[i % 10].id,
            neighbourhood_id=streets[i % 10].neighbourhood_id,
            house_number=str(i % 200 + 1),
            verified_at=moment,
            email_confirmed_at=moment,
            language=("fr", "nl", "en")[i % 3],
        )
        for i in range(residents)
    ]
    await Account.bulk_create(accounts, batch_size=2000)
    ids = await Account.all().order_by("id").values_list("id", flat=True)
    refusing = ids[::10]
    await NotificationPreference.bulk_create(
        [
            NotificationPreference(account_id=i, kind=PreferenceKind.CITY_ALERT, email=False)
            for i in refusing
        ],
        batch_size=2000,
    )
    staff = await Account.create(
        email="ville@example.be", display_name="Ville", role=Role.CITY_STAFF, city=city
    )
    return staff, len(ids) - len(refusing)


async def one_round(staff: Account) -> tuple[float, dict[str, float]]:
    ctx = Context(viewer=staff, token=None, loaders=Loaders(staff), settings=Settings())
    timer = Timer()
    start = time.perf_counter()
    with sql_log(timer):
        row = await publish(
            ctx,
            kind=AnnouncementKind.ALERT,
            title="Coupure d'eau",
            body="Mardi de 8 h à 12 h.",
            scope=TargetScope.CITY,
            neighbourhood_ids=None,
            street_ids=None,
            consultation=None,
            checks=Checks(),
        )
    end = time.perf_counter()
    marks = [*timer.records, (end, "end")]
    steps = {
        text: marks[i + 1][0] - at
        for i, (at, text) in enumerate(marks[:-1])
        if text.upper().startswith(("INSERT INTO NOTIFICATION", "INSERT INTO OUTBOX_MESSAGE"))
    }
    steps = {k.split(" (")[0].strip(): v for k, v in steps.items()}
    assert row.recipient_count > 0
    return end - start, steps


async def run(args: argparse.Namespace) -> None:
    admin = args.postgres
    if admin:
        os.environ[support.POSTGRES_ENV] = admin
        url = await support.create_postgres_database(admin)
    else:
        url = f"sqlite://{tempfile.mkdtemp(prefix='quartier-bench-')}/mail.sqlite3"
    try:
        await db.migrate(url)
        await Tortoise.close_connections()
        await db.start(url)
        staff, wanted = await build(args.residents)
        totals, inserts = [], []
        for n in range(args.rounds):
            total, steps = await one_round(staff)
            outbox = await OutboxMessage.all().count()
            assert outbox == wanted * (n + 1), (outbox, wanted)
            totals.append(total)
            inserts.append(steps.get("INSERT INTO outbox_message", 0.0))
        dialect = connections.get("default").capabilities.dialect
        print(
            f"{dialect}: {args.residents} residents, {wanted} e-mails per announcement, {args.rounds} rounds\n"
            f"  publish transaction (announcement, notifications, e-mails): median {statistics.median(totals) * 1000:.0f} ms"
            f" (min {min(totals) * 1000:.0f}, max {max(totals) * 1000:.0f})\n"
            f"  INSERT INTO outbox_message ... SELECT: median {statistics.median(inserts) * 1000:.0f} ms"
            f" (min {min(inserts) * 1000:.0f}, max {max(inserts) * 1000:.0f})"
        )
    finally:
        await Tortoise.close_connections()
        if admin:
            await support.drop_postgres_database(admin, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="admin URL (a database is created and dropped)")
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
