"""The working-day tables' cache file (see :mod:`workflow.calendar.workdays`).

One small JSON file per country in the user's cache folder (``MANYI_CACHE_DIR``,
else ``$XDG_CACHE_HOME/manyi`` or ``~/.cache/manyi``; ``MANYI_CACHE_DIR=`` with an
empty value turns it off), keyed by the installed ``holidays`` package's version
file, so upgrading the package (say, to the release with next year's notice)
starts a fresh table. Read and written best-effort: an unreadable or unwritable
file only costs the package's start-up.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any


def folder() -> Path | None:
    """Where the tables are kept (the environment read each time; None: no cache)."""
    raw = os.environ.get("MANYI_CACHE_DIR")
    if raw is not None:
        return Path(raw) if raw.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "manyi"


@lru_cache(maxsize=1)
def _package_fingerprint() -> str:
    """A digest of the installed ``holidays`` release (its version file), without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return "none"
    root = Path(spec.origin).parent
    digest = hashlib.sha256(str(root).encode())
    for name in ("version.py", "__init__.py"):
        try:
            digest.update((root / name).read_bytes())
            break
        except OSError:
            continue
    return digest.hexdigest()[:16]


def path_of(code: str) -> Path | None:
    where = folder()
    return where / f"workdays-{code}-{_package_fingerprint()}.json" if where else None


class FileCache:
    """:class:`workflow.calendar.workdays.TableCache` over the cache folder."""

    def load(self, code: str) -> dict[str, Any] | None:
        path = path_of(code)
        if path is None:
            return None
        try:
            raw = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return raw if isinstance(raw, dict) else None

    def save(self, code: str, raw: dict[str, Any]) -> None:
        path = path_of(code)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".workdays-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(raw, f)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home: answers still come from the package
