"""Streets and neighbourhoods from a CSV file: checked whole, then written in one transaction."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from tortoise.transactions import in_transaction

from models.geography import City, Neighbourhood, Street, fold
from resolvers.geography import refresh_activation
from server.operations import CommandError, city_named, find_city
from server.taxonomy import create_city

COLUMNS = ("neighbourhood", "street", "postal_code", "activation_threshold")
REQUIRED = COLUMNS[:3]
# Belgian postal codes: four digits, 1000 to 9992.
POSTAL_CODE = re.compile(r"^[1-9][0-9]{3}$")
MAX_LENGTH = {"neighbourhood": 120, "street": 200}
MAX_REPORTED = 20


class CsvError(CommandError):
    """The file is refused; the message names each bad line."""


@dataclass(frozen=True)
class StreetRow:
    line: int
    neighbourhood: str
    street: str
    postal_code: str
    threshold: int | None


@dataclass
class ImportSummary:
    city: str
    city_created: bool = False
    neighbourhoods_created: int = 0
    neighbourhoods_updated: int = 0
    streets_created: int = 0
    activated: list[str] = field(default_factory=list)


def _column(header: str) -> str:
    return "_".join(header.strip().casefold().replace("-", " ").split())


def _delimiter(first_line: str) -> str:
    # Spreadsheets set to a French or Belgian locale save with semicolons.
    return max(",;\t", key=first_line.count)


def _clean(value: str) -> str:
    return " ".join(value.split())


def _parse_row(line: int, cells: dict[str, str], errors: list[str]) -> StreetRow | None:
    before = len(errors)
    for name in REQUIRED:
        if not cells.get(name):
            errors.append(f"line {line}: {name} is empty")
    for name, limit in MAX_LENGTH.items():
        if len(cells.get(name, "")) > limit:
            errors.append(f"line {line}: {name} is longer than {limit} characters")
    postal_code = cells.get("postal_code", "")
    if postal_code and not POSTAL_CODE.match(postal_code):
        errors.append(f"line {line}: postal_code must be 4 digits, got {postal_code!r}")
    raw_threshold = cells.get("activation_threshold", "")
    threshold = None
    if raw_threshold:
        if re.fullmatch(r"[0-9]{1,6}", raw_threshold) and int(raw_threshold) >= 1:
            threshold = int(raw_threshold)
        else:
            errors.append(
                f"line {line}: activation_threshold must be a whole number of at least 1, "
                f"got {raw_threshold!r}"
            )
    if len(errors) > before:
        return None
    return StreetRow(line, cells["neighbourhood"], cells["street"], postal_code, threshold)


def _check_thresholds(rows: list[StreetRow], errors: list[str]) -> None:
    seen: dict[str, StreetRow] = {}
    for row in rows:
        if row.threshold is None:
            continue
        first = seen.setdefault(fold(row.neighbourhood), row)
        if first.threshold != row.threshold:
            errors.append(
                f"line {row.line}: activation_threshold {row.threshold} for {row.neighbourhood!r} "
                f"contradicts {first.threshold} on line {first.line}"
            )


def parse_streets(text: str) -> list[StreetRow]:
    """The rows of a streets CSV; CsvError naming every bad line (the first 20)."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    header = [_column(cell) for cell in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        problems = [f"missing column(s) {', '.join(missing)}" if missing else ""]
        problems.append(f"unknown column(s) {', '.join(unknown)}" if unknown else "")
        expected = ", ".join(COLUMNS)
        raise CsvError(f"line 1: {'; '.join(p for p in problems if p)} (expected {expected})")
    rows: list[StreetRow] = []
    errors: list[str] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            errors.append(
                f"line {reader.line_num}: {len(cells)} fields, the header has {len(header)}"
            )
            continue
        row = _parse_row(
            reader.line_num, dict(zip(header, map(_clean, cells), strict=False)), errors
        )
        if row is not None:
            rows.append(row)
    _check_thresholds(rows, errors)
    if errors:
        more = f" (and {len(errors) - MAX_REPORTED} more)" if len(errors) > MAX_REPORTED else ""
        raise CsvError("; ".join(errors[:MAX_REPORTED]) + more + "; nothing was imported")
    if not rows:
        raise CsvError("the file has no street rows; nothing was imported")
    return rows


async def _city(name: str | None, summary: ImportSummary) -> City:
    if name is None:
        return await find_city(None)
    city = await city_named(name)
    if city is None:
        summary.city_created = True
        city = await create_city(_clean(name))
    return city


async def _neighbourhoods(
    city: City, rows: list[StreetRow], default_threshold: int, summary: ImportSummary
) -> dict[str, Neighbourhood]:
    by_name = {fold(n.name): n for n in await Neighbourhood.filter(city=city).select_for_update()}
    thresholds = {fold(r.neighbourhood): r.threshold for r in rows if r.threshold is not None}
    for row in rows:
        key = fold(row.neighbourhood)
        wanted = thresholds.get(key)
        existing = by_name.get(key)
        if existing is None:
            by_name[key] = await Neighbourhood.create(
                city=city, name=row.neighbourhood, activation_threshold=wanted or default_threshold
            )
            summary.neighbourhoods_created += 1
        elif wanted is not None and wanted != existing.activation_threshold:
            # An empty threshold leaves an existing neighbourhood's threshold alone: an operator
            # may have set it with `quartier neighbourhoods threshold` since the last import.
            existing.activation_threshold = wanted
            await existing.save(update_fields=["activation_threshold"])
            summary.neighbourhoods_updated += 1
            if not existing.is_active and await refresh_activation(existing):
                summary.activated.append(existing.name)
    return by_name


async def import_streets(
    rows: list[StreetRow], *, city_name: str | None, default_threshold: int
) -> ImportSummary:
    """Create what is missing, in one transaction; re-importing a file creates nothing."""
    summary = ImportSummary(city="")
    async with in_transaction():
        city = await _city(city_name, summary)
        summary.city = city.name
        neighbourhoods = await _neighbourhoods(city, rows, default_threshold, summary)
        known = {
            (n_id, fold(name), code)
            for n_id, name, code in await Street.filter(neighbourhood__city_id=city.id).values_list(
                "neighbourhood_id", "name", "postal_code"
            )
        }
        new: list[Street] = []
        for row in rows:
            neighbourhood = neighbourhoods[fold(row.neighbourhood)]
            key = (neighbourhood.id, fold(row.street), row.postal_code)
            if key not in known:
                known.add(key)
                new.append(
                    Street(
                        neighbourhood=neighbourhood,
                        name=row.street,
                        search_name=fold(row.street),
                        postal_code=row.postal_code,
                    )
                )
        await Street.bulk_create(new)
        summary.streets_created = len(new)
    return summary


def read_streets_file(path: Path) -> list[StreetRow]:
    try:
        # utf-8-sig: spreadsheets often start their CSV with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise CsvError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from None
    return parse_streets(text)
