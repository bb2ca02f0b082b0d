"""The gettext catalogues' upkeep: `python -m server.catalogues` extracts every `tr(...)`
message into server/locale/quartier.pot and merges it into the Dutch and English catalogues
(pybabel extract + update); `python -m server.catalogues --check` lists what is missing.
Compiling happens at install (setup.py)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from server.i18n import DOMAIN, LOCALE_DIR, TRANSLATED

ROOT = LOCALE_DIR.parent.parent
SOURCES = ("models", "permissions", "resolvers", "schema", "server")
POT = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORD = "tr"


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extracted() -> dict[str, list[str]]:
    """Every message the code marks, with where it is written."""
    found: dict[str, list[str]] = {}
    for source in SOURCES:
        for filename, line, message, _comments, _context in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords={KEYWORD: None}
        ):
            if isinstance(message, str):
                found.setdefault(message, []).append(f"{source}/{filename}:{line}")
    return found


def load(language: str) -> Catalog:
    with po_path(language).open("rb") as source:
        return read_po(source, locale=language)


@dataclass
class Coverage:
    language: str
    messages: int
    translated: int
    missing: list[str]


def coverage() -> list[Coverage]:
    wanted = extracted()
    result = []
    for language in TRANSLATED:
        catalogue = load(language.value)
        missing = [
            msgid
            for msgid in wanted
            if (entry := catalogue.get(msgid)) is None or not entry.string or entry.fuzzy
        ]
        result.append(Coverage(language.value, len(wanted), len(wanted) - len(missing), missing))
    return result


def update() -> None:
    cli = CommandLineInterface()
    # Relative paths: the catalogues' "#:" lines must not depend on where the checkout lives.
    with contextlib.chdir(ROOT):
        _extract_and_update(cli)


def _extract_and_update(cli: CommandLineInterface) -> None:
    cli.run(
        [
            "pybabel",
            "extract",
            "--no-default-keywords",
            "-k",
            KEYWORD,
            "--sort-by-file",
            "--project=Quartier",
            "-o",
            str(POT.relative_to(ROOT)),
            *SOURCES,
        ]
    )
    for language in TRANSLATED:
        command = "update" if po_path(language.value).exists() else "init"
        cli.run(
            [
                "pybabel",
                command,
                "-D",
                DOMAIN,
                "-i",
                str(POT.relative_to(ROOT)),
                "-d",
                str(LOCALE_DIR.relative_to(ROOT)),
                "-l",
                language.value,
            ]
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.catalogues", description=__doc__)
    parser.add_argument("--check", action="store_true", help="list untranslated messages")
    args = parser.parse_args(argv)
    if not args.check:
        update()
    failed = False
    for each in coverage():
        print(f"{each.language}: {each.translated}/{each.messages} translated")
        for msgid in each.missing:
            print(f"  missing: {msgid!r}")
        failed = failed or bool(each.missing)
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
