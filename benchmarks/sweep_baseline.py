"""The reminder sweep done with the plain driver: the baseline of ``reminder sweep, 10% due``.

The same row work as :func:`workflow.usecases.sweep.sweep` on the benchmark campaign, without
the engine: read the due deadlines with their offices, insert one reminder per due slot (the
overdue one and the escalation, under the same unique keys), close the deadlines, group the
reminders into one digest per recipient, compose each as an RFC 5322 message (encoded-word
subject, base64 UTF-8 body, the same headers), insert the mail rows, then deliver in batches
of 500 as the engine does: claim (one UPDATE per batch), write each message to the outbox
folder (a temporary file renamed into place), mark the batch sent. Each step is its own
transaction, as in the engine.

What it leaves out is what the engine decides from the definition (slot series, extensions,
tags, retired offices, cancelled reminders): the baseline knows the benchmark campaign's
answer (a due deadline whose requirement is filed is closed; any other fires two slots, one
recipient each) and writes it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from datetime import datetime, timedelta
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import definition_spec

BATCH = 500  # mails per claim, as workflow.adapters.mailserver.OutboxTransport.batch


def prepare_tenth(url: str) -> datetime:
    """Leave one deadline in ten due at the benchmark's time (not timed); that time."""
    from sqlalchemy import update

    from benchmarks.common import NOW
    from storage.db import Database
    from storage.reminders_models import Deadline

    db = Database(url)
    with db.write() as s:
        s.execute(
            update(Deadline)
            .where(Deadline.id % 10 != 0, Deadline.next_at.is_not(None))  # type: ignore[union-attr]
            .values(next_at=NOW + timedelta(days=365))
        )
    db.dispose()
    return NOW


def baseline_sweep(url: str) -> dict[str, Any]:
    from benchmarks.tasks import _driver
    from storage.db import Database

    now = prepare_tenth(url)
    outbox = Database(url).outbox
    db = _driver(url)
    t0 = time.perf_counter()
    reminders = _fire(db, now)
    mails = _compose(db, now)
    _deliver(db, now, outbox)
    return {"seconds": time.perf_counter() - t0, "reminders": reminders, "mails": mails}


def _fire(db: Any, now: datetime) -> int:
    db.begin()
    found = db.q(
        "SELECT d.id, d.campaign_id, d.section_id, d.requirement, d.due, s.email "
        "FROM deadline d LEFT JOIN section s ON s.id = d.section_id "
        "WHERE d.next_at IS NOT NULL AND d.next_at <= ? ORDER BY d.next_at, d.id",
        (db.stamp(now),),
    )
    filed = set(db.q("SELECT DISTINCT campaign_id, section_id, requirement FROM filing"))
    every, escalate_after = _repeat()
    rows, fired, closed = [], [], []
    for did, cid, sid, req, due, email in found:
        if (cid, sid, req) in filed:  # nothing owed: the deadline is closed, no reminder
            closed.append((did,))
            continue
        fired.append((db.stamp(now), db.stamp(now + timedelta(days=every)), did))
        day = due if isinstance(due, str) else due.isoformat()
        late = (now.date() - datetime.fromisoformat(day).date()).days
        for slot, kind, days in (
            (f"{day}/late-{late}", "late", late),
            (f"{day}/escalate", "escalate", escalate_after),
        ):
            rows.append(
                (
                    f"{cid}:{sid}:{req}:{slot}",
                    cid,
                    sid,
                    req,
                    slot,
                    kind,
                    days,
                    due,
                    json.dumps([email]),
                    "pending",
                    db.stamp(now),
                )
            )
    db.many(
        "INSERT INTO reminder (key, campaign_id, section_id, requirement, slot, kind, days, due, "
        "recipients, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (key) DO NOTHING",
        rows,
    )
    db.many("UPDATE deadline SET last_at = ?, next_at = ? WHERE id = ?", fired)  # the next slot
    db.many("UPDATE deadline SET next_at = NULL WHERE id = ?", closed)
    db.commit()
    return len(rows)


def _compose(db: Any, now: datetime) -> int:
    db.begin()
    pending = db.q(
        "SELECT r.id, r.campaign_id, r.section_id, r.requirement, r.kind, r.days, r.due, "
        "r.recipients, s.name, c.name FROM reminder r JOIN section s ON s.id = r.section_id "
        "JOIN campaign c ON c.id = r.campaign_id WHERE r.status = 'pending' ORDER BY r.id"
    )
    title, titles = _titles()
    digests: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for row in pending:
        for addr in json.loads(row[7]):
            digests.setdefault((row[1], addr), []).append(row)
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    mails = []
    for (cid, addr), rows in digests.items():
        office, campaign, sid = rows[0][8], rows[0][9], rows[0][2]
        items = {(r[3]): r for r in rows}  # the escalation and the reminder of one thing: one line
        lines = [
            f"{n}. {office}：{titles.get(req, req)}（{req}）\n   截止日期：{r[6]}（已逾期{r[5]}天）\n"
            f"   报送方式：直接回复本邮件并附上文件，主题中须含 [manyi:{campaign}/{office}/{req}]\n"
            for n, (req, r) in enumerate(sorted(items.items()), start=1)
        ]
        ref = f"[manyi:{campaign}/{office}/{rows[0][3]}]" if len(items) == 1 else ""
        subject = f"【催办】{title}（{campaign}）：{len(items)}项待办，{len(items)}项已逾期 {ref}"
        body = (
            f"{office}：\n\n{title}（{campaign}）以下事项需要办理：\n\n"
            + "\n".join(lines)
            + f"\n报送后提醒自动停止。如需延期，请联系{title}领导小组。\n\n"
            + f"—— manyi 自动催办，{local.isoformat(timespec='minutes')}\n"
        )
        mid = f"<{secrets.token_hex(10)}.manyi.{cid}.{sid}.-@localhost>"
        head = (
            "From: manyi <manyi@localhost>\r\n"
            f"To: {addr}\r\n"
            f"Subject: {Header(subject, 'utf-8', header_name='Subject').encode()}\r\n"
            f"Date: {format_datetime(local)}\r\n"
            f"Message-ID: {mid}\r\n"
            f"References: <thread.manyi.{cid}.{sid}.-@localhost>\r\n"
            "Auto-Submitted: auto-generated\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\nMIME-Version: 1.0\r\n\r\n"
        ).replace("\n ", "\r\n ")
        encoded = base64.encodebytes(body.replace("\n", "\r\n").encode()).replace(b"\n", b"\r\n")
        mails.append(
            (
                cid,
                addr,
                subject,
                mid,
                head + encoded.decode("ascii"),
                json.dumps(sorted(r[0] for r in rows)),
                "pending",
                0,
                db.stamp(now),
                db.stamp(now),
            )
        )
    db.many(
        "INSERT INTO mail (campaign_id, recipient, subject, message_id, raw, items, status, "
        "attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        mails,
    )
    db.many("UPDATE reminder SET status = 'queued' WHERE id = ?", [(r[0],) for r in pending])
    db.commit()
    return len(mails)


def _repeat() -> tuple[int, int]:
    """(days between overdue reminders, days late when escalated), from the definition."""
    r = definition_spec()["reminders"]
    return int(r["overdue_every"]), int(r["escalate_after"])


def _titles() -> tuple[str, dict[str, str]]:
    """The campaign's title and the requirements' titles, from the definition (as the engine's
    campaign row holds them; read once)."""
    spec = definition_spec()
    reqs = {r["key"]: r["title"] for p in spec["phases"] for r in p.get("requirements", [])}
    return _zh(spec["title"]), {k: _zh(t) for k, t in reqs.items()}


def _zh(title: Any) -> str:
    return title["zh"] if isinstance(title, dict) else str(title)


def _deliver(db: Any, now: datetime, outbox: Path) -> None:
    while True:
        db.begin()
        batch = db.q(
            "SELECT id, recipient, raw FROM mail WHERE status IN ('pending', 'failed') "
            "AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (db.stamp(now), BATCH),
        )
        db.many(
            "UPDATE mail SET status = 'sending', claimed_by = ?, claimed_at = ? WHERE id = ?",
            [("baseline", db.stamp(now), m[0]) for m in batch],
        )
        db.commit()
        if not batch:
            return
        outbox.mkdir(parents=True, exist_ok=True)
        for mail_id, recipient, raw in batch:
            path = outbox / f"{mail_id:06d}-{recipient}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(raw.encode("ascii").replace(b"\r\n", b"\n"))
            os.replace(tmp, path)
        db.begin()
        db.many(
            "UPDATE mail SET status = 'sent', sent_at = ?, sent_via = 'outbox', claimed_by = NULL "
            "WHERE id = ?",
            [(db.stamp(now), m[0]) for m in batch],
        )
        db.commit()
