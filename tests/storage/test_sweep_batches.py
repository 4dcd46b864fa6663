"""A sweep handles everything due in one run, however many batches that takes, and each
recipient gets one digest whatever the batch cut."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

from storage import bulk, repo
from storage.db import Database
from storage.reminders_models import Deadline, Mail, Reminder
from workflow.adapters.mailserver import OutboxTransport
from workflow.usecases import campaigns, sweep
from workflow.usecases.context import Context

START = datetime(2026, 3, 1, 2, tzinfo=UTC)
DUE_SOON = datetime(2026, 3, 16, 2, tzinfo=UTC)  # 7 days before the offices' first due date
SECTIONS = 2600
ADDRESSES = 7  # shared by many sections: each address's reminders straddle every batch cut


def _started(db: Database, sections: int, addresses: int | None = None) -> Context:
    """The seed campaign with ``sections`` offices, mailing ``addresses`` addresses (default: one each)."""
    ctx = Context(db, "tester", lambda: START)
    campaigns.start_campaign(ctx, "people-satisfied-unit", "2026", "2026-03-01", rehearsal=True)
    with db.write() as s:
        campaign = repo.find_campaign(s, "2026")
        repo.add_sections(
            s,
            campaign.id,
            [repo.NewSection(f"科室{i}", f"o{i % (addresses or sections)}@x.cn") for i in range(sections)],
            "mobilization",
            "tester",
            START,
        )
    return ctx


def test_one_sweep_fires_every_due_deadline_and_mails_each_recipient_once(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "m.db"))
    try:
        ctx = _started(db, SECTIONS, ADDRESSES)
        seen: list[tuple[int, int]] = []
        outbox = tmp_path / "outbox"
        result = sweep.sweep(
            ctx, OutboxTransport(outbox), at=DUE_SOON, progress=lambda done, total: seen.append((done, total))
        )
        with db.read() as s:
            still_due = s.execute(
                select(func.count()).select_from(Deadline).where(Deadline.next_at <= DUE_SOON)
            ).scalar_one()  # type: ignore[operator]
            fired = s.execute(select(func.count()).select_from(Reminder)).scalar_one()
            mails = s.execute(select(Mail.recipient)).scalars().all()
        assert still_due == 0
        total = seen[-1][1]
        assert total > 2 * sweep.BATCH and fired >= 5000, (total, fired)  # more than two batches
        assert [d for d, _t in seen] == sorted({d for d, _t in seen}) and seen[-1][0] == total
        assert len(seen) == total // sweep.BATCH + 1
        assert result.reminders == fired
        # one digest per recipient, each listing all of its offices' due requirements
        assert Counter(mails) == Counter({m: 1 for m in mails})
        assert {f"o{k}@x.cn" for k in range(ADDRESSES)} <= set(mails)
        assert result.sent == len(mails)
        files = [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in outbox.glob("*.eml")
        ]
        assert Counter(str(m["To"]) for m in files) == Counter({m: 1 for m in mails})
        # a second sweep at the same moment finds nothing left
        again = sweep.sweep(ctx, OutboxTransport(outbox), at=DUE_SOON)
        assert (again.reminders, again.mails) == (0, [])
    finally:
        db.dispose()


def _mail(cid: int, i: int, **values: object) -> dict[str, object]:
    """Mail row ``i`` of campaign ``cid`` to insert (a pending message due at START), with ``values``."""
    return {
        "campaign_id": cid,
        "recipient": f"o{i}@x.cn",
        "subject": "s",
        "message_id": f"<{i}@x>",
        "raw": "",
        "items": "[]",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": START,
        "created_at": START,
        **values,
    }


def test_the_next_mails_to_send_are_read_through_the_index(db_path: object) -> None:
    """Taking a batch of the outbox reads the index in order and stops: no sort of the backlog."""
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql, sqlite

    from storage import mail_repo

    db = Database(str(db_path))
    try:
        ctx = Context(db, "tester", lambda: START)
        campaigns.start_campaign(ctx, "people-satisfied-unit", "2026", "2026-03-01", rehearsal=True)
        pg = db.url.startswith("postgresql")
        with db.write() as s:
            if pg:  # the table stays without statistics until the delivery's own check
                s.execute(text("ALTER TABLE mail SET (autovacuum_enabled = false)"))
            cid = repo.find_campaign(s, "2026").id
            s.execute(
                insert(Mail),
                [
                    _mail(
                        cid,
                        i,
                        raw="x" * 2000,  # about a digest's size: the planner sees the pages
                        status=("sent", "sent", "failed", "pending")[i % 4],
                        # Not in id order: the resume point compares the time first, then the id.
                        next_attempt_at=START + timedelta(seconds=(i * 7919) % 600),
                    )
                    for i in range(20_000)
                ],
            )

        # Fresh (no statistics, as a backlog queued faster than autovacuum runs): a delivery run
        # analyzes the table first on PostgreSQL, once.
        with db.read() as s:
            assert mail_repo.refresh_statistics(s, DUE_SOON) is pg
        with db.read() as s:
            assert mail_repo.refresh_statistics(s, DUE_SOON) is False
        with db.read() as s:
            first = mail_repo.mails_to_send(s, DUE_SOON, 50)
            resume = (first[-1].next_attempt_at, first[-1].id)
            for status, after in [(st, a) for st in mail_repo.UNSENT for a in (None, resume)]:
                q = mail_repo.to_send_query(status, DUE_SOON, 50, after)
                sql = str(
                    q.compile(
                        dialect=postgresql.dialect() if pg else sqlite.dialect(),
                        compile_kwargs={"literal_binds": True},
                    )
                )
                explain = ("EXPLAIN " if pg else "EXPLAIN QUERY PLAN ") + sql
                plan = "\n".join(str(r[-1]) for r in s.execute(text(explain)))
                assert "ix_mail_status" in plan, plan
                assert "Bitmap" not in plan and "TEMP B-TREE" not in plan, plan
                assert "Sort" not in plan.replace("Incremental Sort", ""), plan
        with db.read() as s:
            batch = mail_repo.mails_to_send(s, DUE_SOON, 50)
            # A run goes on where its last batch ended (the scan skips what it already took).
            second = mail_repo.mails_to_send(s, DUE_SOON, 50, resume)
            everything = mail_repo.mails_to_send(s, DUE_SOON, 100)

        def key(m: mail_repo.MailToSend) -> tuple[datetime, int]:
            return (m.next_attempt_at, m.id)

        assert len(batch) == 50 and {m.status for m in batch} <= {"pending", "failed"}
        assert [key(m) for m in batch] == sorted(key(m) for m in batch)  # earliest attempt first
        assert len({m.next_attempt_at for m in everything}) > 1  # both halves of the key are used
        assert [m.id for m in first + second] == [m.id for m in everything]
        assert min(key(m) for m in second) > max(key(m) for m in first)
    finally:
        db.dispose()


class _Interrupted(OutboxTransport):
    """The outbox folder, with Ctrl-C arriving as message ``cut`` + 1 is written (default: the fifth)."""

    def __init__(self, folder: Path, cut: int = 4):
        super().__init__(folder)
        self.written = 0
        self.cut = cut

    def send(
        self, sender: str, recipient: str, raw: bytes, mail_id: int, timeout: float | None = None
    ) -> str:
        if self.written == self.cut:
            raise KeyboardInterrupt
        self.written += 1
        return super().send(sender, recipient, raw, mail_id, timeout)


def test_outbox_marks_in_batches_and_a_cut_batch_is_written_again_not_twice(tmp_path: Path) -> None:
    """The outbox transport is marked once per claimed batch: a sweep stopped inside a batch
    leaves its files written and unmarked, and the next delivery writes the same files again
    (one file per message, none lost, none doubled)."""
    from datetime import timedelta

    from workflow.usecases import delivery

    db = Database(str(tmp_path / "m.db"))
    try:
        ctx = _started(db, 12)
        outbox = tmp_path / "outbox"
        cut = _Interrupted(outbox)
        try:
            sweep.sweep(ctx, cut, at=DUE_SOON)
            raise AssertionError("the interrupt did not reach the sweep")
        except KeyboardInterrupt:
            pass
        first = {p.name: p.read_bytes() for p in outbox.glob("*.eml")}
        with db.read() as s:
            statuses = Counter(s.execute(select(Mail.status)).scalars().all())
        assert len(first) == 4 and statuses["sent"] == 0, (len(first), statuses)
        # The interrupted owner's claims expire (a live process of ours: only the lease frees them).
        later = DUE_SOON + delivery.LEASE + timedelta(minutes=1)
        result = delivery.deliver(Context(db, "tester", lambda: later), OutboxTransport(outbox))
        with db.read() as s:
            mails = s.execute(select(Mail.id, Mail.status, Mail.sent_via)).all()
        files = sorted(outbox.glob("*.eml"))
        assert all(status == "sent" for _id, status, _via in mails), mails
        assert len(files) == len(mails) == result.sent and len(mails) > 4
        assert sorted(str(f) for f in files) == sorted(via for _id, _s, via in mails)
        for name, data in first.items():  # written again, the same message
            assert (outbox / name).read_bytes() == data
    finally:
        db.dispose()


def test_an_interrupted_outbox_sweep_counts_every_mail_of_a_marked_batch(tmp_path: Path) -> None:
    """Ctrl-C says how many mails were sent and marked: a batch marked in one commit counts
    each of its mails, not one."""
    from workflow.usecases.context import committed

    db = Database(str(tmp_path / "m.db"))
    try:
        ctx = _started(db, OutboxTransport.batch + 10)
        before = committed().get("mail-sent", 0)
        try:
            sweep.sweep(ctx, _Interrupted(tmp_path / "outbox", cut=OutboxTransport.batch + 3), at=DUE_SOON)
            raise AssertionError("the interrupt did not reach the sweep")
        except KeyboardInterrupt:
            pass
        with db.read() as s:
            sent = s.execute(select(func.count()).select_from(Mail).where(Mail.status == "sent")).scalar_one()
        assert sent == OutboxTransport.batch  # the first batch, marked; the second cut before its mark
        assert committed().get("mail-sent", 0) - before == sent
    finally:
        db.dispose()


class _GivesBack(OutboxTransport):
    """The outbox folder; while it writes the run's first message, another run gives back its
    claim on an earlier message (its time budget ended: the message keeps its time)."""

    def __init__(self, folder: Path, db: Database, mail_id: int):
        super().__init__(folder)
        self.db, self.mail_id, self.given = db, mail_id, False

    def send(
        self, sender: str, recipient: str, raw: bytes, mail_id: int, timeout: float | None = None
    ) -> str:
        if not self.given:
            self.given = True
            with self.db.write() as s:
                s.execute(
                    update(Mail).where(Mail.id == self.mail_id).values(status="failed", claimed_by=None)
                )
        return super().send(sender, recipient, raw, mail_id, timeout)


def test_a_run_sends_what_another_run_gave_back_behind_where_it_reads(tmp_path: Path) -> None:
    """Each batch is read from where the last one ended; a message given back behind that point
    during the run is still sent by it (once more from the front before the run ends)."""
    from workflow.adapters.processes import owner_id
    from workflow.usecases import delivery

    db = Database(str(tmp_path / "m.db"))
    try:
        _started(db, 1)  # the campaign the messages belong to
        n = OutboxTransport.batch + 10
        with db.write() as s:
            cid = repo.find_campaign(s, "2026").id
            s.execute(
                insert(Mail),
                [
                    _mail(
                        cid, i, raw=f"Subject: {i}\r\n\r\nx\r\n", next_attempt_at=START + timedelta(seconds=i)
                    )
                    for i in range(n)
                ],
            )
            held = s.execute(select(Mail.id).order_by(Mail.next_attempt_at)).scalars().first()
            # The earliest message is being sent by another live run.
            s.execute(
                update(Mail)
                .where(Mail.id == held)
                .values(status="sending", claimed_by=owner_id(), claimed_at=DUE_SOON)
            )
        transport = _GivesBack(tmp_path / "outbox", db, held)
        result = delivery.deliver(Context(db, "tester", lambda: DUE_SOON), transport, owner="run-b")
        with db.read() as s:
            statuses = Counter(s.execute(select(Mail.status)).scalars().all())
        assert transport.given and result.sent == n and statuses == {"sent": n}, (result.sent, statuses)
    finally:
        db.dispose()


def test_new_reminders_are_counted_and_stored_as_the_orm_reads_them(db_path: object) -> None:
    """The reminder insert (the driver's own executemany) counts only the rows whose key is new,
    and stores dates and times the way the mapped columns read them back, on both backends."""
    from datetime import date

    from storage import reminders_repo as rr
    from storage.columns import table_of

    def row(cid: int, key: str, due: date) -> dict[str, object]:
        return {
            "key": key,
            "campaign_id": cid,
            "section_id": None,
            "requirement": "research-report",
            "slot": f"{due}/late-1",
            "kind": "late",
            "days": 1,
            "due": due,
            "recipients": '["a@x.cn"]',
            "status": "pending",
            "created_at": DUE_SOON,
        }

    db = Database(str(db_path))
    try:
        _started(db, 1)
        with db.write() as s:
            cid = repo.find_campaign(s, "2026").id
            first = rr.add_reminders(s, [row(cid, "k1", date(2026, 3, 2)), row(cid, "k2", date(2026, 3, 9))])
            # the driver's path itself (add_reminders would quietly fall back to SQLAlchemy's)
            again = bulk.insert_rows(
                s,
                table_of(Reminder),
                [row(cid, "k2", date(2026, 3, 9)), row(cid, "k3", date(2026, 4, 1))],
                skip_existing=True,
            )
        with db.read() as s:
            stored = {r.key: (r.due, r.created_at) for r in s.execute(select(Reminder)).scalars()}
        assert (first, again) == (2, 1)
        assert stored == {
            "k1": (date(2026, 3, 2), DUE_SOON),
            "k2": (date(2026, 3, 9), DUE_SOON),
            "k3": (date(2026, 4, 1), DUE_SOON),
        }
    finally:
        db.dispose()


def test_one_statement_for_a_set_of_ids_touches_exactly_those_rows(db_path: object) -> None:
    """``bulk.for_ids`` and ``bulk.among``: the ids as one array (PostgreSQL) or one JSON text
    (SQLite); the other rows, and an empty set, are left as they were and not found."""
    db = Database(str(db_path))
    try:
        _started(db, 1)
        with db.write() as s:
            cid = repo.find_campaign(s, "2026").id
            s.execute(insert(Mail), [_mail(cid, i, next_attempt_at=START) for i in range(6)])
            ids = sorted(s.execute(select(Mail.id)).scalars())
            bulk.for_ids(s, "UPDATE mail SET status = ?, attempts = ? WHERE id", ("cancelled", 7), ids[1:4])
            bulk.for_ids(s, "UPDATE mail SET status = 'sent' WHERE id", (), [])
        with db.read() as s:
            rows = {i: status for i, status in s.execute(select(Mail.id, Mail.status))}
            attempts = set(s.execute(select(Mail.attempts).where(Mail.status == "cancelled")).scalars())
            some = set(
                s.execute(select(Mail.id).where(bulk.among(s, Mail.id, [ids[0], ids[5], 10**9]))).scalars()
            )
            none = s.execute(select(Mail.id).where(bulk.among(s, Mail.id, []))).scalars().all()
        assert [rows[i] for i in ids] == [
            "pending",
            "cancelled",
            "cancelled",
            "cancelled",
            "pending",
            "pending",
        ]
        assert attempts == {7}
        assert some == {ids[0], ids[5]} and none == []
    finally:
        db.dispose()


def test_rows_inserted_through_the_driver_read_back_as_written(db_path: object) -> None:
    """``bulk.insert_rows``: mail rows as tuples through the driver's executemany read back as
    the mapped columns give them; rows that differ in their keys are left to SQLAlchemy."""
    from storage.columns import table_of

    db = Database(str(db_path))
    try:
        _started(db, 1)
        with db.write() as s:
            cid = repo.find_campaign(s, "2026").id
            rows = [
                _mail(cid, i, next_attempt_at=START + timedelta(minutes=i), last_error=None) for i in range(3)
            ]
            assert bulk.insert_rows(s, table_of(Mail), rows) == 3
            odd = [_mail(cid, 7), {k: v for k, v in _mail(cid, 8).items() if k != "subject"}]
            assert bulk.insert_rows(s, table_of(Mail), odd) is None
        with db.read() as s:
            stored = [
                (m.recipient, m.next_attempt_at, m.status, m.attempts)
                for m in s.scalars(select(Mail).order_by(Mail.id))
            ]
        assert stored == [(f"o{i}@x.cn", START + timedelta(minutes=i), "pending", 0) for i in range(3)]
    finally:
        db.dispose()


def test_the_outbox_writes_a_message_to_the_longest_address_and_gives_back_on_a_bad_folder(
    tmp_path: Path,
) -> None:
    """A 254-character address still makes a file name within 255 bytes; a folder that cannot be
    written (here a file in its place) fails the run's messages for a retry instead of ending
    the run with an OSError and leaving them claimed."""
    from workflow.usecases import delivery

    longest = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 58, "cn"])
    assert len(longest) == 254
    folder = tmp_path / "outbox"
    where = OutboxTransport(folder).send("s@x.cn", longest, b"Subject: x\r\n\r\nx\r\n", 7)
    assert Path(where).read_bytes() == b"Subject: x\n\nx\n" and len(Path(where).name.encode()) <= 255

    db = Database(str(tmp_path / "m.db"))
    try:
        _started(db, 1)
        with db.write() as s:
            cid = repo.find_campaign(s, "2026").id
            s.execute(insert(Mail), [_mail(cid, i, raw="Subject: x\r\n\r\nx\r\n") for i in range(3)])
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("a file where the outbox should be")
        ctx = Context(db, "tester", lambda: DUE_SOON)
        result = delivery.deliver(ctx, OutboxTransport(blocked))
        with db.read() as s:
            statuses = Counter(s.execute(select(Mail.status)).scalars().all())
        assert result.unreachable is not None and "not-a-folder" in str(result.unreachable)
        assert (result.sent, result.failed, statuses) == (0, 3, {"failed": 3})
    finally:
        db.dispose()
