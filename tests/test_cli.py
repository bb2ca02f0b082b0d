"""The operator command line, through the real `quartier` script where it matters (the demo
seed is in tests/test_demo.py)."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.accounts import Account, AuthToken, LetterStatus, Role, VerificationLetter
from models.community import Topic
from models.geography import City, Neighbourhood, Street
from resolvers import passwords, tokens
from server import cli, operations
from server.imports import (
    CsvError,
    ImportSummary,
    StreetRow,
    import_streets,
    parse_streets,
    read_streets_file,
)
from server.operations import CommandError
from tests import support

STREETS_CSV = (
    "Neighbourhood,Street,Postal Code,Activation_Threshold\n"
    "La Louvière centre,Rue Sylvain Guyaux,7100,\n"
    "La Louvière centre,Place Maugrétout,7100,\n"
    'Maurage,"Rue de l\'Église",7110,3\n'
)

FRENCH_TOPICS = [
    ("mobilite", "Mobilité"),
    ("travaux", "Travaux"),
    ("securite", "Sécurité"),
    ("environnement", "Environnement"),
    ("proprete", "Propreté"),
    ("entraide", "Entraide"),
    ("objets", "Objets"),
    ("evenements", "Événements"),
]


@dataclass
class Run:
    code: int
    out: str
    err: str


async def quartier(database_url: str, *args: str, **env: str) -> Run:
    """Runs `python -m server.cli` (what the `quartier` script runs) against the test database."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=support.ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "QUARTIER_ENV": "development", **env},
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def refusal(call: Awaitable[object]) -> str:
    """The message of the CommandError that `call` raises."""
    with pytest.raises(CommandError) as refused:
        await call
    return str(refused.value)


async def verified_resident(street: Street, name: str) -> Account:
    return (await support.make_resident(street, name))[0]


# --- tokens ------------------------------------------------------------------------------


async def test_token_create_prints_on_its_last_line_a_token_that_authenticates(database_url):
    city = await support.make_city()

    run = await quartier(
        database_url, "token", "create", "--role", "CITY_INTEGRATION", "--name", "Portail ville"
    )

    assert (run.code, run.err) == (0, "")
    raw = run.out.splitlines()[-1]
    found = await tokens.authenticate(raw)
    assert found is not None
    account, token = found
    assert (account.role, account.display_name, account.city_id) == (
        Role.CITY_INTEGRATION,
        "Portail ville",
        city.id,
    )
    assert (account.email, account.password_hash) == (None, None)
    assert (token.name, token.expires_at, token.token_hash) == (
        "Portail ville",
        None,
        tokens.hash_token(raw),
    )
    assert raw not in run.out.splitlines()[:-1]


async def test_token_revoke_through_the_script_stops_the_token_from_authenticating(database_url):
    await support.make_city()
    created = await quartier(
        database_url, "token", "create", "--role", "MODERATOR", "--name", "Outil modération"
    )
    raw = created.out.splitlines()[-1]

    run = await quartier(database_url, "token", "revoke", "Outil modération")

    assert (run.code, run.out, run.err) == (0, "Revoked token 'Outil modération'.\n", "")
    assert await tokens.authenticate(raw) is None
    assert await AuthToken.filter(name="Outil modération", revoked_at__isnull=False).count() == 1


async def test_token_revoke_of_an_unknown_name_exits_1(database_url):
    run = await quartier(database_url, "token", "revoke", "Inconnu")

    assert (run.code, run.out, run.err) == (1, "", "quartier: no token named 'Inconnu'\n")


async def test_token_create_refuses_a_name_already_taken():
    await support.make_city()
    await operations.create_api_token(role="CITY_INTEGRATION", name="Portail ville")

    assert await refusal(operations.create_api_token(role="ADMIN", name="Portail ville")) == (
        "a token named 'Portail ville' already exists"
    )
    assert await Account.all().count() == 1


async def test_token_create_gives_a_moderator_no_city_and_refuses_residents():
    await support.make_city()

    _, moderator = await operations.create_api_token(role="moderator", name="Modération")

    assert (moderator.role, moderator.city_id) == (Role.MODERATOR, None)
    assert await refusal(operations.create_api_token(role="RESIDENT", name="Habitant")) == (
        "residents get their tokens by signing in through the API"
    )


async def test_city_roles_need_a_city_named_when_there_are_several():
    await support.make_city()
    binche = await support.make_city("Binche")

    assert await refusal(operations.create_api_token(role="CITY_STAFF", name="Ville")) == (
        "there are several cities: name one with --city"
    )
    _, account = await operations.create_api_token(
        role="CITY_STAFF", name="Ville", city_name="binche"
    )
    assert account.city_id == binche.id


# --- accounts ----------------------------------------------------------------------------


async def test_account_create_refuses_a_weak_password():
    refused = await refusal(
        operations.create_account(email="admin@ville.be", password="password123", role="ADMIN")
    )

    assert refused == (
        "password refused: Ce mot de passe est trop courant ; choisissez-en un autre. (PASSWORD_TOO_COMMON)"
    )
    assert await Account.all().count() == 0


async def test_account_create_refuses_residents_integrations_and_duplicate_emails():
    city = await support.make_city()
    account = await operations.create_account(
        email=" Ville@LaLouviere.be",
        password="Terril-du-Bois-42",
        role="CITY_STAFF",
        display_name="Service Participation",
    )

    assert (account.email, account.role, account.city_id) == (
        "ville@lalouviere.be",
        Role.CITY_STAFF,
        city.id,
    )
    assert await passwords.verify_password(account.password_hash, "Terril-du-Bois-42")
    refusals = [
        await refusal(
            operations.create_account(email=email, password="Terril-du-Bois-42", role=role)
        )
        for email, role in (
            ("ville@lalouviere.be", "ADMIN"),
            ("a@b.be", "RESIDENT"),
            ("a@b.be", "CITY_INTEGRATION"),
        )
    ]
    assert refusals == [
        "an account with email ville@lalouviere.be already exists",
        "residents register through the API, not the command line",
        "CITY_INTEGRATION accounts have no password: use `quartier token create`",
    ]


# --- streets import ----------------------------------------------------------------------


async def test_streets_import_through_the_script_creates_the_city_neighbourhoods_and_streets(
    database_url, tmp_path
):
    path = tmp_path / "rues.csv"
    path.write_text(STREETS_CSV, encoding="utf-8")

    run = await quartier(database_url, "streets", "import", str(path), "--city", "La Louvière")

    assert (run.code, run.err) == (0, "")
    assert (
        run.out
        == "La Louvière (created): 2 neighbourhoods created, 0 updated, 3 streets created.\n"
    )
    city = await City.get(name="La Louvière")
    assert await Topic.filter(city=city).count() == len(FRENCH_TOPICS)
    assert await Neighbourhood.filter(city=city).order_by("name").values_list(
        "name", "activation_threshold", "activated_at"
    ) == [("La Louvière centre", 10, None), ("Maurage", 3, None)]
    assert await Street.all().order_by("search_name").values_list(
        "name", "search_name", "postal_code"
    ) == [
        ("Place Maugrétout", "place maugretout", "7100"),
        ("Rue de l'Église", "rue de l'eglise", "7110"),
        ("Rue Sylvain Guyaux", "rue sylvain guyaux", "7100"),
    ]


async def test_reimporting_the_same_file_creates_nothing_and_a_new_threshold_activates():
    rows = parse_streets(STREETS_CSV)
    await import_streets(rows, city_name="La Louvière", default_threshold=10)
    maurage = await Neighbourhood.get(name="Maurage")
    street = await Street.get(name="Rue de l'Église")
    await verified_resident(street, "Lucie Piret")
    await verified_resident(street, "Marc Piret")

    again = await import_streets(rows, city_name=None, default_threshold=10)
    lowered = await import_streets(
        parse_streets(
            "neighbourhood,street,postal_code,activation_threshold\nMaurage,Rue du Pont,7110,2\n"
        ),
        city_name=None,
        default_threshold=10,
    )

    assert again == ImportSummary(city="La Louvière")
    assert lowered == ImportSummary(
        city="La Louvière", neighbourhoods_updated=1, streets_created=1, activated=["Maurage"]
    )
    await maurage.refresh_from_db()
    assert (maurage.activation_threshold, maurage.is_active) == (2, True)
    assert await Street.all().count() == 4
    assert await Neighbourhood.all().count() == 2


async def test_an_empty_threshold_leaves_an_existing_neighbourhood_threshold_alone():
    await import_streets(parse_streets(STREETS_CSV), city_name="La Louvière", default_threshold=10)
    await operations.set_threshold("maurage", 5)

    summary = await import_streets(
        [StreetRow(2, "Maurage", "Rue du Pont", "7110", None)], city_name=None, default_threshold=10
    )

    assert summary == ImportSummary(city="La Louvière", streets_created=1)
    assert (await Neighbourhood.get(name="Maurage")).activation_threshold == 5


async def test_a_bad_row_aborts_the_whole_import_through_the_script_and_writes_nothing(
    database_url, tmp_path
):
    path = tmp_path / "rues.csv"
    path.write_text(
        STREETS_CSV + "Maurage,Rue du Pont,711,\nBoussoit,,7110,cinq\n", encoding="utf-8"
    )

    run = await quartier(database_url, "streets", "import", str(path), "--city", "La Louvière")

    assert (run.code, run.out) == (1, "")
    assert run.err == (
        "quartier: line 5: postal_code must be 4 digits, got '711'; line 6: street is empty; "
        "line 6: activation_threshold must be a whole number of at least 1, got 'cinq'; "
        "nothing was imported\n"
    )
    assert await City.all().count() == 0
    assert await Street.all().count() == 0


def test_a_streets_file_may_use_semicolons_a_byte_order_mark_and_headers_in_any_case(tmp_path):
    path = tmp_path / "rues.csv"
    path.write_text(
        "NEIGHBOURHOOD;Postal code;Street\n\nBoussoit;7110;Rue  Haute\n", encoding="utf-8-sig"
    )

    rows = read_streets_file(path)

    assert rows == [StreetRow(3, "Boussoit", "Rue Haute", "7110", None)]


def test_parse_streets_names_missing_and_unknown_columns():
    with pytest.raises(CsvError) as refused:
        parse_streets("neighbourhood,street,treshold\nMaurage,Rue du Pont,3\n")

    assert str(refused.value) == (
        "line 1: missing column(s) postal_code; unknown column(s) treshold "
        "(expected neighbourhood, street, postal_code, activation_threshold)"
    )


def test_parse_streets_refuses_two_thresholds_for_one_neighbourhood():
    text = "neighbourhood,street,postal_code,activation_threshold\nMaurage,A,7110,3\nmaurage,B,7110,4\n"

    with pytest.raises(CsvError) as refused:
        parse_streets(text)

    assert str(refused.value) == (
        "line 3: activation_threshold 4 for 'maurage' contradicts 3 on line 2; nothing was imported"
    )


# --- neighbourhoods ----------------------------------------------------------------------


async def test_setting_a_threshold_reached_by_verified_residents_activates_the_neighbourhood():
    city = await support.make_city()
    maurage = await support.make_neighbourhood(city, "Maurage", active=False, threshold=10)
    street = await support.make_street(maurage, "Rue du Pont", "7110")
    await verified_resident(street, "Lucie Piret")

    row, verified = await operations.set_threshold("Maurage", 1)

    assert (row.activation_threshold, row.is_active, verified) == (1, True, 1)
    assert await refusal(operations.set_threshold("Boussoit", 1)) == (
        "no neighbourhood named 'Boussoit' in La Louvière"
    )


# --- letters -----------------------------------------------------------------------------


async def test_letters_export_through_the_script_lists_pending_letters_newest_first(database_url):
    city = await support.make_city()
    centre = await support.make_neighbourhood(city, "La Louvière centre")
    guyaux = await support.make_street(centre, "Rue Sylvain Guyaux")
    eglise = await support.make_street(centre, 'Rue "de l\'Église", bis')
    older, _ = await support.make_resident(guyaux, "Zoé Lambot", verified=False, house_number="12A")
    newer, _ = await support.make_resident(eglise, "Luc Renard", verified=False, house_number="3")
    await support.make_resident(guyaux, "Ana Vérifiée")
    for account, moment, code in (
        (older, datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "ABCD2345"),
        (newer, datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "WXYZ6789"),
    ):
        await VerificationLetter.filter(account=account).update(created_at=moment, code=code)

    run = await quartier(database_url, "letters", "export")

    assert (run.code, run.err) == (0, "2 pending letters exported.\n")
    assert run.out.splitlines() == [
        "code,recipient_name,street,house_number,postal_code,neighbourhood,created_at",
        'WXYZ-6789,Luc Renard,"Rue ""de l\'Église"", bis",3,7100,La Louvière centre,2026-03-02T08:00:00+00:00',
        "ABCD-2345,Zoé Lambot,Rue Sylvain Guyaux,12A,7100,La Louvière centre,2026-03-01T09:30:00+00:00",
    ]


async def test_letters_export_leaves_out_used_and_replaced_letters(world):
    await VerificationLetter.create(
        account=world.alice, code="QQQQ2222", status=LetterStatus.REPLACED
    )
    out = io.StringIO()

    count = await operations.write_pending_letters(out)

    assert (count, out.getvalue()) == (
        0,
        "code,recipient_name,street,house_number,postal_code,neighbourhood,created_at\r\n",
    )


async def test_a_configuration_error_exits_2_with_one_line(database_url):
    run = await quartier(database_url, "letters", "export", QUARTIER_ENV="staging")

    assert (run.code, run.out) == (2, "")
    assert run.err == (
        "quartier: configuration error: QUARTIER_ENV must be 'development' or 'production', "
        "got 'staging'\n"
    )


# --- a database that is not there --------------------------------------------------------

SCRIPT = Path(sys.executable).with_name("quartier")


def run_script(cwd: Path, *args: str) -> Run:
    """The installed `quartier` command, run from `cwd` without DATABASE_URL: the default
    SQLite file is then relative to that directory."""
    env = {
        k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("QUARTIER_")
    }
    done = subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    return Run(done.returncode, done.stdout, done.stderr)


def test_the_script_refuses_a_sqlite_file_that_does_not_exist_and_names_it(tmp_path):
    run = run_script(tmp_path, "letters", "export")

    assert (run.code, run.out, run.err) == (1, "", refusal_for(tmp_path))
    assert list(tmp_path.iterdir()) == []


def refusal_for(directory: Path) -> str:
    return (
        f"quartier: no database at {directory / 'quartier.sqlite3'} "
        "(DATABASE_URL=sqlite://quartier.sqlite3): run `quartier migrate` to create it, "
        "or set DATABASE_URL to your database\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["token", "create", "--role", "CITY_INTEGRATION", "--name", "Portail"],
        ["token", "revoke", "Portail"],
        ["account", "create", "--email", "m@exemple.be", "--role", "MODERATOR",
         "--password", "Terril-Bleu-2026!"],
        ["streets", "import", "streets.csv"],
        ["neighbourhoods", "threshold", "Maurage", "3"],
        ["letters", "export", "--out", "letters.csv"],
        ["worker"],
        ["mail", "status"],
    ],
)  # fmt: skip
def test_every_command_but_serve_and_migrate_refuses_a_missing_sqlite_file(
    tmp_path, monkeypatch, capsys, args
):
    (tmp_path / "streets.csv").write_text(STREETS_CSV)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    code = cli.main(args)

    assert (code, capsys.readouterr().err) == (1, refusal_for(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["streets.csv"]


def test_migrate_creates_the_file_and_the_commands_then_use_it(tmp_path):
    migrated = run_script(tmp_path, "migrate")
    exported = run_script(tmp_path, "letters", "export")

    assert (migrated.code, migrated.out) == (
        0,
        "Migrations applied to sqlite://quartier.sqlite3\n",
    )
    assert (exported.code, exported.out, exported.err) == (
        0,
        "code,recipient_name,street,house_number,postal_code,neighbourhood,created_at\n",
        "0 pending letters exported.\n",
    )
    assert (tmp_path / "quartier.sqlite3").is_file()
