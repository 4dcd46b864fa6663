"""Definition files: a path or the name of a bundled definition, read as text and validated."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from workflow.engine.definition import Definition
from workflow.engine.validate import parse
from workflow.errors import DefinitionError
from workflow.i18n import _


def bundled_dirs() -> list[Path]:
    """Folders of the ``definitions`` data package (a namespace package, no code)."""
    spec = importlib.util.find_spec("definitions")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(p) for p in spec.submodule_search_locations if Path(p).is_dir()]


def bundled_names() -> list[str]:
    return sorted({p.stem for d in bundled_dirs() for p in d.glob("*.yaml")})


def read_source(name_or_path: str) -> tuple[str, str]:
    """Return ``(source label, text)`` for a file path or a bundled definition name."""
    from workflow.errors import InputError, os_reason

    path = Path(name_or_path)
    if path.is_file():
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(_("cannot read {path}: {err}").format(path=path, err=os_reason(exc))) from None
        try:
            return str(path), raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DefinitionError(
                str(path), line, "", _("not UTF-8 text; save the definition file as UTF-8")
            ) from None
    if "/" not in name_or_path and not name_or_path.endswith((".yaml", ".yml")):
        for folder in bundled_dirs():
            candidate = folder / f"{name_or_path}.yaml"
            if candidate.is_file():
                return f"definitions/{name_or_path}.yaml", candidate.read_text("utf-8")
    raise InputError(
        _("no definition file '{name}' (bundled: {names})").format(
            name=name_or_path, names=", ".join(bundled_names())
        )
    )


def load(name_or_path: str) -> Definition:
    source, text = read_source(name_or_path)
    return parse(text, source)
