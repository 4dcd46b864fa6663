"""What a campaign report is made of: tables of plain cells, chart data, summary lines, and the
facts one read transaction gathers for it. The renderers in ``cli/exports.py`` and
``cli/docxreport.py`` only lay these out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

#: A table cell. Dates and times are real values (times already in the campaign's zone):
#: the xlsx writer stores them as dates, the text renderers format them.
Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class ReportTable:
    key: str  # also the xlsx sheet name's source
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[float, ...]  # stacked parts


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    series: tuple[str, ...]  # names of the stacked parts
    bars: list[Bar]
    max: float | None = None
    #: What the horizontal axis counts, shown under it ("phases completed", "items", "points").
    unit: str = ""


@dataclass
class Report:
    title: str
    campaign: str
    start: date
    end: date
    generated: str
    #: Who issues it (the campaign's ``issuing-body`` parameter, else the acting user), and when.
    author: str = ""
    created: datetime | None = None
    #: The issuing body for a letterhead (版头), when the campaign names one.
    issuing_body: str | None = None
    summary: list[str] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def table(self, key: str) -> ReportTable:
        return next(t for t in self.tables if t.key == key)


@dataclass(frozen=True)
class Facts:
    """Everything a report shows, read in one transaction (one snapshot)."""

    st: Any  # the board (workflow.usecases.board.Status)
    items: list[Any]  # rectification items (ledger.ItemView)
    definition: Any
    plan: Any
    filings: list[tuple[Any, str]]  # (filing, office or central body)
    inspections: list[tuple[Any, str]]
    extensions: list[tuple[Any, str]]
    dues: dict[str, Any]
    ranked: Any  # ranking.RankResult, or None without scoring
    pending: list[tuple[Any, ...]]
    forced: list[dict[str, Any]]
    zone: ZoneInfo  # every time in the report is the campaign's local time
    #: The definition's word for a participant (部门, 科室) heads the columns when it names one.
    labelled: bool
    who: str
