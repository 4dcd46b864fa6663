"""The demo's tours as data: ``definitions/tours/<definition>.yaml``.

A tour names a bundled definition, a roster, and numbered steps, each a heading in
both languages and the real ``manyi`` commands it runs. Arguments may hold
placeholders (``{campaign}``, ``{start}``, ``{today}``, ``{today+N}``, ``{roster}``,
``{files}``) or ``{doc: NAME, text: TEXT}``, a document written into the demo's
folder whose path is passed. A step's ``reply`` has an office answer its reminder by
mail into a local Maildir before the step's commands run. Campaign wording lives in
the tour file, never in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflow.engine.specbase import Titles
from workflow.errors import InputError
from workflow.i18n import _


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Doc(_Model):
    doc: str = Field(min_length=1)
    text: str


class Attachment(_Model):
    name: str = Field(min_length=1)
    text: str


class Reply(_Model):
    office: str
    address: str
    requirement: str
    text: str
    attachment: Attachment


class Step(_Model):
    title: Titles
    run: tuple[tuple[str | Doc, ...], ...] = ()
    reply: Reply | None = None


class Roster(_Model):
    file: str = Field(min_length=1)
    encoding: str = "utf-8"
    rows: tuple[tuple[str, ...], ...]


class Tour(_Model):
    tour: int = 1
    definition: str
    default: bool = False
    campaign: str
    start_days_ago: int = Field(default=0, ge=0)
    intro: Titles
    roster: Roster
    report: str | None = None
    steps: tuple[Step, ...] = Field(min_length=1)
    explore: tuple[tuple[str, ...], ...] = ()


def _folders() -> list[Path]:
    from workflow.adapters.definition_files import bundled_dirs

    return [d / "tours" for d in bundled_dirs() if (d / "tours").is_dir()]


def names() -> list[str]:
    return sorted({p.stem for d in _folders() for p in d.glob("*.yaml")})


def load(name: str | None) -> Tour:
    """The bundled tour for definition ``name`` (None: the one marked ``default``)."""
    import yaml

    tours: dict[str, Tour] = {}
    for folder in _folders():
        for path in sorted(folder.glob("*.yaml")):
            if name is not None and path.stem != name:
                continue
            try:
                tours[path.stem] = Tour.model_validate(yaml.safe_load(path.read_text("utf-8")))
            except (ValidationError, yaml.YAMLError) as exc:  # a packaging mistake, said in one line
                raise InputError(
                    _("tour {path} is broken: {e}").format(path=path, e=str(exc).splitlines()[0])
                ) from None
    if name is None:
        chosen = [t for t in tours.values() if t.default]
        if chosen:
            return chosen[0]
    elif name in tours:
        return tours[name]
    raise InputError(
        _("no demo tour for '{name}'; tours: {known}").format(
            name=name or "", known=", ".join(names()) or "-"
        )
    )


@dataclass(frozen=True)
class Values:
    campaign: str
    start: date
    today: date
    roster: Path
    files: Path


_PLACEHOLDER = re.compile(r"\{(campaign|start|today|roster|files)(?:\+(\d+))?\}")


def expand(args: tuple[str | Doc, ...], v: Values) -> list[str]:
    """The command line of one tour command: placeholders filled, documents written."""
    out = []
    for arg in args:
        if isinstance(arg, Doc):
            path = v.files / arg.doc
            path.write_text(arg.text + "\n", encoding="utf-8")
            out.append(str(path))
            continue

        def fill(m: re.Match[str]) -> str:
            value: Any = getattr(v, m.group(1))
            if m.group(2):
                value = value + timedelta(days=int(m.group(2)))
            return value.isoformat() if isinstance(value, date) else str(value)

        out.append(_PLACEHOLDER.sub(fill, arg))
    return out


def write_roster(tour: Tour, files: Path) -> Path:
    """The tour's roster as a CSV in the encoding it names (e.g. GBK, as Excel saves it)."""
    path = files / tour.roster.file
    text = "\r\n".join(",".join(row) for row in tour.roster.rows) + "\r\n"
    path.write_bytes(text.encode(tour.roster.encoding))
    return path
