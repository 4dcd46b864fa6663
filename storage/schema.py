"""Every table of the schema, for what needs them all: Alembic's environment and the check
that the migrations build exactly these tables.

A command loads only the table modules it uses (:mod:`storage.models`); this imports each one.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData
from sqlmodel import SQLModel

#: The modules that define tables; each registers its own in ``SQLModel.metadata``.
TABLE_MODULES = (
    "storage.models",
    "storage.event_models",
    "storage.blob_models",
    "storage.operator_models",
    "storage.operator_chain",
    "storage.inbox_models",
    "storage.sender_models",
    "storage.score_models",
    "storage.extension_models",
    "storage.ledger_models",
    "storage.reminders_models",
)


def metadata() -> MetaData:
    """``SQLModel.metadata`` with every table of the schema registered."""
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return SQLModel.metadata
