"""Compiles the gettext catalogues (server/locale/*/LC_MESSAGES/quartier.po) into the .mo files
the server reads, at every build and install, editable ones included (`pip install -e .`):
compiled catalogues are built, never committed. Everything else is in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).resolve().parent / "server" / "locale"


def compile_catalogues() -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parts[-3])
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            # Fuzzy entries are drafts: the server falls back to French for them.
            write_mo(target, catalogue, use_fuzzy=False)
        written.append(mo)
    return written


class BuildWithCatalogues(build_py):
    """build_py, after compiling the catalogues beside their sources (so an editable install,
    which serves the source tree, has them too); package data then copies them."""

    def run(self) -> None:
        for mo in compile_catalogues():
            print(f"compiled {mo.relative_to(LOCALE.parent.parent)}")
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
