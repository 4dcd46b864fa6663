"""What the builder, the runner and the baselines share, without importing the engine.

The whole-process baselines import this module only: a baseline that imported
:mod:`benchmarks.build` would pay for sqlalchemy and the engine it is compared with.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CAMPAIGN = "bench"
# The seed as written in format 1: its guards are filings only, which the plain-sqlite3
# baseline (tasks.py) replicates; the bundled seed's dates and central gates are not measured.
DEFINITION = str(Path(__file__).with_name("seed-format1.yaml"))
START = "2026-03-01"
T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
ACTOR = "督查室"
NOW = T0 + timedelta(days=400)  # the clock of the measured operations
#: MANYI_HOME of every measured process: a server database keeps its outbox folder there.
HOME = Path(os.environ.get("MANYI_HOME") or Path(__file__).with_name("work"))


def definition_spec() -> dict[str, Any]:
    """The benchmark definition as plain data, read with PyYAML alone (a whole-process baseline
    does not pay for the engine's imports)."""
    import yaml

    spec: dict[str, Any] = yaml.safe_load(Path(DEFINITION).read_text(encoding="utf-8"))
    return spec
