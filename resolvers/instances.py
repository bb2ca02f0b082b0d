"""Model instances from a statement's rows: what Tortoise's executor builds, built for less.

Tortoise's `execute_select` reads every row generically: a dict and a list of its items per
row, keyword arguments per instance, four attributes through `Model.__setattr__`, and for
each datetime read from SQLite, the `iso8601` package's regular expression and a Decimal
(about 9 µs a value). A feed page of 100 posts makes about 530 instances that way, a fifth of
the request's CPU. Here a function is generated once per model and row shape that makes the
same instances from a row: the same attributes and values, converted by the same fields in
the same groups (`Model._init_from_db`), related objects where select_related puts them.
Datetimes come through `read_datetime`, which gives what `DatetimeField.to_python_value`
gives, with `datetime.fromisoformat` as the parser.

The interpreter's loop is most of a feed request's cost, so the function read first takes
fewer bytecodes for the values rows usually hold (enums and booleans as a lookup, datetimes
in the driver's form converted in line) and hands any row it does not
expect to one that reads it field by field, as above.

tests/test_instances.py compares both ways for every model, over rows with nulls, enums,
JSON and datetimes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from itertools import repeat
from typing import TYPE_CHECKING, Any

from tortoise.fields import DatetimeField
from tortoise.fields.data import CharEnumFieldInstance, IntEnumFieldInstance
from tortoise.timezone import get_default_timezone, get_use_tz

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.fields import Field
    from tortoise.models import Model
    from tortoise.queryset import AwaitableQuery, QuerySet

# Tortoise's executor lets the event loop run between chunks of this many rows; so does this.
_CHUNK = 2000

Read = Callable[[Sequence[Any]], list[Any]]


async def select(
    model: type[Model],
    sql: str,
    values: list[Any],
    related: Any = None,
    db: BaseDBAsyncClient | None = None,
) -> list[Any]:
    """The instances Tortoise's `execute_select(sql, values)` returns, given its executor's
    `select_related_idx` (`related`; None for a statement that has none, as a raw query),
    run on `db` (the model's database by default)."""
    db = db or model._meta.db
    _, rows = await db.execute_query(sql, values)
    if not rows:
        return []
    read = reader(model, related, tuple(rows[0].keys()), db.capabilities.dialect)
    if len(rows) <= _CHUNK:
        return read(rows)
    instances: list[Any] = []
    for start in range(0, len(rows), _CHUNK):
        if start:
            await asyncio.sleep(0)
        instances += read(rows[start : start + _CHUNK])
    return instances


async def fetch(query: QuerySet[Any]) -> list[Any]:
    """What awaiting `query` returns, for a query of whole rows (no `.only`, annotations,
    prefetch or `.get`); any other query is awaited as it is."""
    if query._fields_for_select or query._annotations or query._prefetch_map or query._single:
        return list(await query)
    if query._prefetch_queries:
        return list(await query)
    sql, values = rendered(query)
    return await select(query.model, sql, values, query._select_related_idx, query._db)


def rendered(query: AwaitableQuery[Any]) -> tuple[str, list[Any]]:
    """The SQL and values Tortoise would run for `query`, on the database it chooses."""
    query._choose_db_if_not_chosen()
    query._make_query()
    return query.query.get_parameterized_sql()


def reader(model: type[Model], related: Any, columns: tuple[str, ...], dialect: str) -> Read:
    """The function that makes the instances of a statement's rows with these columns, read
    from a database of `dialect`."""
    shape = tuple((m, index, full_path) for m, index, *_, full_path in related or ())
    use_tz = get_use_tz()
    zone = get_default_timezone()
    key = (model, shape, columns, dialect, use_tz, zone)
    read = _readers.get(key)
    if read is None:
        read = _readers[key] = _generate(model, shape, columns, dialect, use_tz, zone)
    return read


_readers: dict[tuple[Any, ...], Read] = {}


# What Tortoise's SQLite adapter writes, `isoformat(" ")`: in this shape `datetime.fromisoformat`
# and the iso8601 package read the same numbers. (They part on other shapes: an offset with
# seconds, week dates, a separator other than T or space, which iso8601 refuses.)
_WRITTEN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?([+-][0-9]{2}:[0-9]{2})?"
).fullmatch


def read_datetime(field: Field[Any], use_tz: bool, zone: tzinfo) -> Callable[[Any], Any]:
    """`field.to_python_value` for a DatetimeField, with `datetime.fromisoformat` reading the
    strings SQLite returns in the shape Tortoise wrote them; any other value goes to the field
    itself, so its errors are the field's own."""
    to_python = field.to_python_value
    parse = datetime.fromisoformat

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is str and _WRITTEN(value):
            try:
                value = parse(value)
            except ValueError:  # a day or an hour out of range: the field's own error
                return to_python(value)
        elif type(value) is not datetime:
            return to_python(value)
        if use_tz:
            # timezone.make_aware and timezone.localtime, as the field applies them.
            if value.utcoffset() is None:
                return value.replace(tzinfo=zone)
            return value.astimezone(zone)
        if value.utcoffset() is not None:
            return value.replace(tzinfo=None)
        return value

    return convert


def _converter(field: Field[Any], use_tz: bool, zone: tzinfo) -> Callable[[Any], Any]:
    if type(field).to_python_value is DatetimeField.to_python_value:
        return read_datetime(field, use_tz, zone)
    return field.to_python_value


# Tortoise's SQLite adapter writes an aware datetime as `isoformat(" ")` with its offset: the
# string the fast reading parses in line (a subset of _WRITTEN's shape).
_AWARE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?[+-][0-9]{2}:[0-9]{2}"
).fullmatch

_ENUMS = (CharEnumFieldInstance.to_python_value, IntEnumFieldInstance.to_python_value)


class _Table(dict[Any, Any]):
    """A field's conversion as a lookup of its common values, `convert` for any other (so the
    value and the error are the field's own); an unhashable value raises TypeError, which sends
    the row to the exact reading."""

    def __init__(self, values: dict[Any, Any], convert: Callable[[Any], Any]) -> None:
        super().__init__(values)
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        return self.convert(value)


def _generate(
    model: type[Model],
    shape: tuple[tuple[type[Model], int, tuple[Any, ...]], ...],
    columns: tuple[str, ...],
    dialect: str,
    use_tz: bool,
    zone: tzinfo,
) -> Read:
    """Two functions of a row: `exact`, which reads it as `Model._init_from_db` does, field by
    field, and `read`, which reads the values rows usually hold for fewer bytecodes (the
    interpreter's loop is most of a feed request's cost) and hands any row it does not expect
    to `exact`, so unusual values and errors are read as Tortoise reads them; and
    `read_all`, which reads a statement's rows with `read`."""
    if len(set(columns)) != len(columns):
        raise ValueError(f"{model.__name__}: a row with repeated column names: {columns}")
    exact = _Source(use_tz, zone, dialect, fast=False)
    exec("\n".join(_lines("exact", exact, model, shape, columns)), exact.namespace)
    fast = _Source(use_tz, zone, dialect, fast=True)
    fast.namespace["exact"] = exact.namespace["exact"]
    fast.namespace["repeat"] = repeat
    lines = _lines("read", fast, model, shape, columns)
    lines[1:] = ["    try:", *("    " + line for line in lines[1:])]
    lines += ["    except Exception:", "        return exact(row)"]
    # One dict per related object of the statement, its instances by primary key.
    seen = "".join(", repeat({})" for _ in shape[1:])
    lines += ["def read_all(rows):", f"    return list(map(read, rows{seen}))"]
    exec("\n".join(lines), fast.namespace)
    read: Read = fast.namespace["read_all"]
    return read


def _lines(
    name: str,
    source: _Source,
    model: type[Model],
    shape: tuple[tuple[type[Model], int, tuple[Any, ...]], ...],
    columns: tuple[str, ...],
) -> list[str]:
    """The function `name` of a row, making its instance and those select_related puts on it.
    With `source.fast`, it takes a dict per related object (`seen1`, ...) where it keeps the
    instances it made by primary key, and gives a row whose related object an earlier row of
    the same call has made already that instance (a call reads a statement's rows, up to
    `_CHUNK` of them: a longer statement's chunks share less): the rows of one statement read
    the same row of that table (one snapshot), and the instances are read, never changed
    (loaders share their results within a request anyway). A feed page's posts share their
    topics."""
    seen = [f"seen{n}" for n in range(1, len(shape))] if source.fast else []
    lines = [f"def {name}({', '.join(['row', *seen])}):"]
    if not shape:
        # Tortoise's executor passes the whole row by name (`_init_from_db(**row)`).
        lines += source.instance("i0", model, {name: i for i, name in enumerate(columns)})
    else:
        (_, width, root_path), *rest = shape
        lines += source.instance("i0", model, {name: i for i, name in enumerate(columns[:width])})
        names = {root_path: "i0"}
        start = width
        for n, (part, width, full_path) in enumerate(rest, 1):
            if width == 0:
                raise ValueError(f"{model.__name__}: select_related of fields only: {full_path}")
            span = range(start, start + width)
            positions = {columns[i].split(".", 1)[1]: i for i in span}
            var = f"i{n}"
            # No related object: only nulls in its columns (Tortoise asks whether any is truthy).
            present = f"if {' or '.join(f'row[{i}]' for i in span)}:"
            made = source.instance(var, part, positions)
            if source.fast:
                pk = f"row[{positions[part._meta.db_pk_column]}]"
                lines += [
                    f"    {var} = seen{n}.get({pk})",
                    f"    if {var} is None and ({present[3:-1]}):",
                ]
                lines += ["    " + line for line in made]
                lines.append(f"        seen{n}[{pk}] = {var}")
            else:
                lines += [f"    {present}", *("    " + line for line in made)]
                lines += ["    else:", f"        {var} = None"]
            target = names.get(tuple(full_path[:-1]))
            if target == "i0":
                lines.append(f"    put(i0, {'_' + full_path[-1]!r}, {var})")
            elif target is not None:
                lines.append(f"    if {target} is not None:")
                lines.append(f"        put({target}, {'_' + full_path[-1]!r}, {var})")
            names[tuple(full_path)] = var
            start += width
    lines.append("    return i0")
    return lines


class _Source:
    """The generated function's names: the models and the fields' conversions. `fast` writes
    the common cases in line: enums and SQLite's booleans as lookups, datetimes in the form
    the dialect's driver gives them parsed or moved to the time zone without a call of
    read_datetime."""

    def __init__(self, use_tz: bool, zone: tzinfo, dialect: str, fast: bool) -> None:
        self.use_tz = use_tz
        self.zone = zone
        self.dialect = dialect
        self.fast = fast
        self.namespace: dict[str, Any] = {
            "put": object.__setattr__,
            "parse": datetime.fromisoformat,
            "aware": _AWARE,
            "zone": zone,
            "utc": UTC,
            "datetime": datetime,
        }

    def instance(self, var: str, model: type[Model], positions: dict[str, int]) -> list[str]:
        """Lines that make `var`, an instance of `model`, from the row's columns at
        `positions`: the attributes `Model._init_from_db` sets, in its order."""
        meta = model._meta
        self.namespace[f"{var}_model"] = model
        self.namespace[f"{var}_new"] = model.__new__
        items = [
            "'_partial': False",
            "'_saved_in_db': True",
            f"'_custom_generated_pk': {meta.db_pk_column not in meta.generated_db_fields!r}",
            "'_await_when_save': {}",
        ]
        groups = (meta.db_native_fields, meta.db_default_fields, meta.db_complex_fields)
        for key, _, _ in (entry for fields in groups for entry in fields):
            if key not in positions:
                raise ValueError(f"{model.__name__}: the row has no column {key!r}")
        # Native columns one by one, in the dict's display: gathering them in C (an itemgetter,
        # `**dict(zip(...))`) took 2,300 fewer bytecodes in a feed request of 20 posts, yet 0.6 M
        # more instructions (callgrind: dict merges, zip, resizes) than the loop saved.
        items += [
            f"{attribute!r}: row[{positions[key]}]" for key, attribute, _ in meta.db_native_fields
        ]
        for group, fields in enumerate(groups[1:], 1):
            for key, attribute, field in fields:
                value = self.value(var, group, attribute, field, positions[key])
                items.append(f"{attribute!r}: {value}")
        return [
            f"    {var} = {var}_new({var}_model)",
            f"    put({var}, '__dict__', {_display(items)})",
        ]

    def value(self, var: str, group: int, attribute: str, field: Field[Any], index: int) -> str:
        """The expression of a converted field's value from `row[index]`."""
        name = f"{var}_{attribute}"
        column = f"row[{index}]"
        if group == 1:
            # Fields without a conversion of their own: the field's type, None kept.
            if self.fast and field.field_type is bool:
                self.namespace[name] = _Table({None: None, 0: False, 1: True}, bool)
                return f"{name}[{column}]"
            self.namespace[name] = field.field_type
            return f"(None if (v := {column}) is None else {name}(v))"
        convert = _converter(field, self.use_tz, self.zone)
        self.namespace[name] = convert
        if self.fast and type(field).to_python_value in _ENUMS:
            members = {member.value: member for member in field.enum_type}  # type: ignore[attr-defined]
            self.namespace[name] = _Table({**members, None: None}, convert)
            return f"{name}[{column}]"
        if type(field).to_python_value is not DatetimeField.to_python_value:
            return f"{name}({column})"
        # read_datetime gives None for None: not called for it.
        common = ""
        if self.fast and self.dialect == "sqlite" and self.use_tz:
            common = "parse(v).astimezone(zone) if aware(v) else "
        elif self.fast and self.dialect == "postgres":
            moved = "v.astimezone(zone)" if self.use_tz else "v.replace(tzinfo=None)"
            common = f"{moved} if v.tzinfo is utc and type(v) is datetime else "
        return f"(None if (v := {column}) is None else {common}{name}(v))"


def _display(items: list[str]) -> str:
    """A dict display of `items` in chunks of 15: CPython builds a chunk of up to 15 constant
    keys in one step (BUILD_CONST_KEY_MAP), and a longer display entry by entry (a key loaded
    and a MAP_ADD for each), two more bytecodes an entry."""
    chunks = [", ".join(items[i : i + 15]) for i in range(0, len(items), 15)]
    return "{" + ", ".join([chunks[0], *(f"**{{{chunk}}}" for chunk in chunks[1:])]) + "}"
