"""The history as a spreadsheet: every event of one campaign (or of all), in order, with its
hash chain fields, actor and detail (JSON lines, or CSV with times in the campaign's zone)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from storage import audit, chain
from storage.models import Campaign
from workflow.adapters.tabular import BOM, csv_cell, csv_writer
from workflow.errors import InputError, os_reason
from workflow.i18n import _
from workflow.usecases.audit import ChainReport, campaigns_named
from workflow.usecases.context import Context
from workflow.usecases.operators import authorize

EXPORT_FORMATS = ("jsonl", "csv")
EXPORT_VERSION = 1
CSV_COLUMNS = [
    "campaign",
    "seq",
    "at",
    "actor",
    "office",
    "action",
    "from",
    "to",
    "reason",
    "detail",
    "prev",
    "hash",
]


def _export_rows(s: Any, campaign: Campaign) -> Iterator[dict[str, Any]]:
    for ev in chain.iter_events(s, campaign.id):
        try:
            detail: Any = json.loads(ev.detail) if ev.detail else {}
        except ValueError:
            detail = ev.detail  # exported as found; verification will flag it
        yield {
            "campaign": campaign.name,
            "seq": ev.seq,
            "at": audit.format_at(ev.at),
            "actor": ev.actor,
            "office": ev.office,
            "action": ev.action,
            "from": ev.from_state,
            "to": ev.to_state,
            "reason": ev.reason,
            "detail": detail,
            "prev": ev.prev_hash,
            "hash": ev.hash,
        }


def export(ctx: Context, campaign_name: str | None, fmt: str, out: Path) -> list[ChainReport]:
    """Write every event (or one campaign's) with its chain fields to ``out``, streaming.

    Returns per campaign the number of events and the head hash written.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(_("unknown export format '{f}'; use jsonl or csv").format(f=fmt))
    ctx.db.ensure_ready(create=False)
    reports: list[ChainReport] = []
    tmp = out.with_name(out.name + ".partial")
    try:
        with ctx.db.read() as s, tmp.open("w", encoding="utf-8", newline="") as f:
            authorize(s, ctx, "read")
            campaigns = campaigns_named(s, campaign_name)
            writer = _writer(f, fmt)
            for campaign in campaigns:
                n, head = 0, audit.GENESIS
                zone = ZoneInfo(campaign.timezone)
                for row in _export_rows(s, campaign):
                    writer(row, zone)
                    n, head = n + 1, row["hash"]
                reports.append(ChainReport(campaign.name, n, head, 0))
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(_("cannot write {path}: {err}").format(path=out, err=os_reason(exc))) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return reports


def local_time(at: str, zone: ZoneInfo) -> str:
    """An event's stored UTC time as the campaign's wall-clock time with its offset."""
    when = audit.parse_at(at)
    return when.astimezone(zone).isoformat(sep=" ", timespec="seconds")


def _writer(f: IO[str], fmt: str) -> Any:
    """``jsonl`` is the byte-exact machine format (each line re-hashes to its ``hash``);
    ``csv`` is for people: see :mod:`workflow.adapters.tabular` for the BOM and the formula guard."""
    if fmt == "jsonl":
        f.write(audit.dumps({"manyi_audit_export": EXPORT_VERSION, "encoding": "manyi-event-v1"}) + "\n")
        return lambda row, zone: f.write(audit.dumps(row) + "\n")
    f.write(BOM)
    w = csv_writer(f)
    w.writerow(CSV_COLUMNS)

    def write(row: dict[str, Any], zone: ZoneInfo) -> None:
        cells = []
        for col in CSV_COLUMNS:
            v = row[col]
            if col == "detail":
                v = audit.dumps(v) if not isinstance(v, str) else v
            elif col == "at":
                v = local_time(v, zone)
            cells.append(csv_cell(v))
        w.writerow(cells)

    return write
