"""Rectification items with a due date are reminded like requirements, and stop once reported done."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from tests.backends import Target, execute, outbox_in
from tests.conftest import OFFICES, Run, doc, write_roster
from tests.smtpd import body

LG = "dcs@example.gov.cn"
OFFICE = OFFICES[0]  # office0@…, head 负责人0 <head0@…>


def at(when: str) -> dict[str, str]:
    return {"MANYI_NOW": when, "MANYI_MAIL_FROM": '"督查室" <duchashi@example.gov.cn>'}


@pytest.fixture
def ledger(run: Run, tmp_path: Path) -> Run:
    rows = [
        (n, f"office{i}@example.gov.cn", f"负责人{i} <head{i}@example.gov.cn>") for i, n in enumerate(OFFICES)
    ]
    roster = write_roster(tmp_path / "roster.csv", rows)
    result = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        "2026-03-01",
        "--offices",
        str(roster),
        "--set",
        f"leading-group-email={LG}",
    )
    assert result.exit_code == 0, result.output
    # item 1 is due with the office's plans (2026-03-23); item 2 has no due date: never reminded
    assert (
        run("rectify", "add", OFFICE, "档案管理不规范", "--source", "review", "--due", "2026-03-23").exit_code
        == 0
    )
    assert run("rectify", "add", OFFICE, "公开栏未更新").exit_code == 0
    return run


def mails_to(folder: Path, address: str) -> list[email.message.EmailMessage]:
    out = []
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if str(msg["To"]) == address:
            out.append(msg)
    return out  # type: ignore[return-value]


def item_keys(db_path: Target) -> list[str]:
    return sorted(k for (k,) in execute(db_path, "SELECT key FROM reminder WHERE requirement LIKE 'item:%'"))


def test_item_is_listed_beside_requirements_with_the_command_that_clears_it(
    ledger: Run, tmp_path: Path, db_path: Target
) -> None:
    result = ledger("remind", "send", env=at("2026-03-16T10:00:00+08:00"))  # 7 days before
    assert result.exit_code == 0, result.output
    (msg,) = mails_to(outbox_in(tmp_path), "office0@example.gov.cn")
    assert str(msg["Subject"]).startswith('【提醒】创建"人民满意单位"活动（2026）：3项待办 [manyi:2026/')
    text = body(msg)
    assert f"{OFFICE}：整改事项#1：档案管理不规范（item:1）" in text
    assert "报送命令" not in text and "manyi rectify" not in text  # offices do not run manyi
    assert "（study-plan）" in text and "（implementation-opinion）" in text
    assert "公开栏未更新" not in text
    [(cid, sid)] = execute(db_path, "SELECT campaign_id, id FROM section WHERE name = :n", {"n": OFFICE})
    assert item_keys(db_path) == [f"{cid}:{sid}:item:1:2026-03-23/before-7"]
    # the same sweep again: nothing new, nothing sent twice
    again = ledger("remind", "send", env=at("2026-03-16T10:00:00+08:00"))
    assert "0 new reminders, 0 messages, 0 sent" in again.stdout
    assert item_keys(db_path) == [f"{cid}:{sid}:item:1:2026-03-23/before-7"]


def test_overdue_item_escalates_to_the_head_and_leading_group(ledger: Run, tmp_path: Path) -> None:
    assert ledger("remind", "send", env=at("2026-03-27T10:00:00+08:00")).exit_code == 0  # 4 days late
    (head,) = mails_to(outbox_in(tmp_path), "head0@example.gov.cn")
    assert "整改事项#1：档案管理不规范" in body(head) and "已逾期4天，已抄送领导小组" in body(head)
    (lg,) = mails_to(outbox_in(tmp_path), LG)
    assert f"{OFFICE}：整改事项#1：档案管理不规范" in body(lg)


def test_reporting_done_stops_reminders_and_returning_resumes_them(
    ledger: Run, tmp_path: Path, db_path: Target
) -> None:
    assert ledger("remind", "send", env=at("2026-03-16T10:00:00+08:00")).exit_code == 0
    done = ledger(
        "rectify",
        "done",
        "1",
        "--evidence",
        doc(tmp_path, "evidence.txt"),
        env=at("2026-03-17T10:00:00+08:00"),
    )
    assert done.exit_code == 0, done.output
    assert ledger("remind", "send", env=at("2026-03-30T10:00:00+08:00")).exit_code == 0
    late = mails_to(outbox_in(tmp_path), "office0@example.gov.cn")[-1]
    assert "study-plan" in body(late) and "整改事项" not in body(late)
    assert len(item_keys(db_path)) == 1  # only the one sent before it was done

    back = ledger("rectify", "return", "1", "--reason", "材料不全", env=at("2026-03-30T11:00:00+08:00"))
    assert back.exit_code == 0, back.output
    assert ledger("remind", "send", env=at("2026-04-01T10:00:00+08:00")).exit_code == 0
    again = mails_to(outbox_in(tmp_path), "office0@example.gov.cn")[-1]
    assert "整改事项#1：档案管理不规范" in body(again) and "已逾期9天" in body(again)

    assert (
        ledger(
            "rectify", "done", "1", "--evidence", doc(tmp_path, "e2.txt"), env=at("2026-04-01T11:00:00+08:00")
        ).exit_code
        == 0
    )
    assert ledger("rectify", "confirm", "1", env=at("2026-04-01T12:00:00+08:00")).exit_code == 0
    before = item_keys(db_path)
    assert ledger("remind", "send", env=at("2026-04-10T10:00:00+08:00")).exit_code == 0
    assert item_keys(db_path) == before
    assert "整改事项" not in body(mails_to(outbox_in(tmp_path), "office0@example.gov.cn")[-1])


def test_inspection_items_and_imported_items_are_reminded(ledger: Run, tmp_path: Path) -> None:
    rec = ledger(
        "inspect",
        "record",
        OFFICES[1],
        "--kind",
        "unannounced",
        "--date",
        "2026-03-05",
        "--finding",
        "窗口无人值守",
        "--rectify",
        "--due",
        "2026-03-20",
    )
    assert rec.exit_code == 0, rec.output
    csv = tmp_path / "items.csv"
    csv.write_text(f"office,text,source,due\n{OFFICES[2]},制度未上墙,self,2026-03-20\n", encoding="utf-8")
    assert ledger("rectify", "import", str(csv)).exit_code == 0
    assert ledger("remind", "send", env=at("2026-03-19T10:00:00+08:00")).exit_code == 0  # 1 day before
    (one,) = mails_to(outbox_in(tmp_path), "office1@example.gov.cn")
    assert "整改事项#3：窗口无人值守" in body(one) and "截止日期：2026-03-20" in body(one)
    (two,) = mails_to(outbox_in(tmp_path), "office2@example.gov.cn")
    assert "整改事项#4：制度未上墙" in body(two) and "还有1天" in body(two)
