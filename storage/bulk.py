"""Statements over many rows at once, as the driver takes them: rows as tuples of bound values
(``executemany``, ``insert_rows``) and sets of ids bound as one value (``among``, ``for_ids``).

The use cases' bulk paths (advance, history, the reminder sweep) have their rows in column
order already; SQLAlchemy's ORM path would cost a parameter dict and type processing per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, Integer, any_, bindparam, func, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.columns import table_of


def bind_value(s: Session, model: Any, column: str, value: Any) -> Any:
    """``value`` as the driver gets it for ``model.column`` (its type's bind processing, once)."""
    dialect = s.get_bind().dialect
    bind = table_of(model).c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return bind(value) if bind else value


def executemany(s: Session, sql: str, rows: list[tuple[Any, ...]]) -> Any:
    """One statement over many rows, handed to the driver's ``executemany`` as tuples.

    The bulk paths (advance, history) already have their rows in column order
    with values bound; going through ``s.execute(stmt, [dicts])`` would cost a
    parameter dict and type processing per row (about 30 µs each, a third of a
    bulk advance). ``sql`` uses ``?`` placeholders.
    """
    if not rows:  # the driver would run it once with no parameters
        return None
    conn = s.connection()
    return conn.exec_driver_sql(_placeholders(conn, sql), rows)


def _placeholders(conn: Connection, sql: str) -> str:
    """``sql`` written with ``?`` in the driver's own placeholders (psycopg's ``%s``)."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def insert_rows(
    s: Session, table: Any, rows: Sequence[dict[str, Any]], *, skip_existing: bool = False
) -> int | None:
    """Insert ``rows`` (dicts with the same keys) as tuples of bound values through the driver's
    own ``executemany``; with ``skip_existing``, a row whose unique key exists is left out
    (``ON CONFLICT DO NOTHING``). Returns how many rows were inserted: sqlite3 and psycopg 3
    both sum an executemany's rowcount. None, inserting nothing, when the rows differ in their
    keys or leave out a column with a Python-side default (SQLAlchemy fills those in: the
    caller inserts through it).

    SQLAlchemy's path costs a parameter dict and type processing per row (and RETURNING to
    count): 4,000 reminders took 38 ms on SQLite against 21 ms, 290-490 ms on PostgreSQL
    against 128 ms. Values are bound as the columns' types bind them, each distinct value once.
    """
    if not rows:
        return 0
    cols = list(rows[0])
    keys = set(cols)
    if any(not (c.primary_key or c.name in keys or c.default is None) for c in table.c):
        return None
    if any(row.keys() != keys for row in rows):
        return None
    dialect = s.get_bind().dialect
    binds = []
    for name in cols:
        proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        binds.append(None if proc is None else _memo(proc))
    data = [
        tuple(row[name] if bind is None else bind(row[name]) for name, bind in zip(cols, binds, strict=True))
        for row in rows
    ]
    quote = dialect.identifier_preparer.quote
    sql = "INSERT INTO {t} ({c}) VALUES ({v}){skip}".format(
        t=quote(table.name),
        c=", ".join(quote(name) for name in cols),
        v=", ".join("?" for _ in cols),
        skip=" ON CONFLICT DO NOTHING" if skip_existing else "",
    )
    return int(executemany(s, sql, data).rowcount)


def _memo(proc: Any) -> Any:
    """``proc`` once per distinct value (the dates and times of a batch are few). Keyed by type
    too: ``1``, ``True`` and ``1.0`` are equal, yet a column's type may bind them differently."""
    seen: dict[Any, Any] = {}

    def bound(value: Any) -> Any:
        key = (type(value), value)
        try:
            return seen[key]
        except KeyError:
            seen[key] = out = proc(value)
            return out
        except TypeError:  # unhashable
            return proc(value)

    return bound


def among(s: Session, column: Any, ids: Iterable[int]) -> Any:
    """``column IN ids`` with the ids as one bound value, however many: an array on PostgreSQL
    (``= ANY``), a JSON text on SQLite (``IN (SELECT value FROM json_each(?))``).

    An ``IN`` of 500 bound values costs SQLAlchemy a rendering and the server a plan per query,
    and had to be cut into chunks for SQLite's variable limit: 1,000 offices' contact rows took
    22-52 ms in chunks on PostgreSQL and 7-9 ms this way (SQLite: 6-11 ms against 3-4 ms).
    """
    wanted = sorted(set(ids))
    if s.get_bind().dialect.name == "sqlite":
        each = func.json_each(bindparam(None, json.dumps(wanted)))
        return column.in_(select(literal_column("value")).select_from(each))
    return column == any_(bindparam(None, wanted, type_=ARRAY(Integer)))


def for_ids(s: Session, sql: str, params: tuple[Any, ...], ids: Sequence[int]) -> Any:
    """``sql`` (a statement ending in ``WHERE id``, with ``?`` placeholders for ``params``) for
    every row whose id is in ``ids``, as one statement: the ids travel as one array (PostgreSQL,
    ``= ANY(?)``) or one JSON text (SQLite, ``IN (SELECT value FROM json_each(?))``).

    A set of rows given the same values (reminders queued, deadlines moved to the same next
    slot, messages claimed by one run): one statement instead of one per row, which on
    PostgreSQL is a server round of planning and executing each (4,000 reminders: ~60 ms).
    """
    if not ids:
        return None
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql(
            f"{sql} IN (SELECT value FROM json_each(?))", (*params, json.dumps(list(ids)))
        )
    return conn.exec_driver_sql(_placeholders(conn, f"{sql} = ANY(?)"), (*params, list(ids)))
