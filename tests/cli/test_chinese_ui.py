"""The default Chinese console: no English msgid, key or library message shows through."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import OFFICES, Run, write_roster

LG = "dcs@example.gov.cn"
LATE = "2026-04-02T10:00:00+08:00"  # 10 days after the offices' 2026-03-23 due date


@pytest.fixture
def mailed(run: Run, tmp_path: Path) -> Run:
    """The seed campaign with addresses, after one reminder sweep wrote mail to outbox/."""
    rows = [(n, f"office{i}@example.gov.cn", f"负责人{i}") for i, n in enumerate(OFFICES)]
    roster = write_roster(tmp_path / "roster.csv", rows)
    result = run("campaign", "start", "people-satisfied-unit", "--name", "2026", "--start", "2026-03-01",
                 "--offices", str(roster), "--set", f"leading-group-email={LG}")
    assert result.exit_code == 0, result.output
    sent = run("remind", "send", env={"MANYI_NOW": LATE})
    assert sent.exit_code == 0, sent.output
    return run


def header(text: str) -> list[str]:
    """The column titles of the first rich table in ``text``."""
    line = next(x for x in text.splitlines() if x.startswith("┃"))
    return [cell.strip() for cell in line.strip("┃").split("┃")]


def test_outbox_names_the_recipient_column(mailed: Run) -> None:
    zh = mailed("--lang", "zh", "outbox", env={"COLUMNS": "160"})
    assert zh.exit_code == 0, zh.output
    assert header(zh.stdout)[2] == "收件人"
    assert "新阶段" not in zh.stdout
    assert header(mailed("outbox").stdout)[2] == "Recipient"
    preview = mailed("--lang", "zh", "remind", "preview", "--at", "2026-04-10T10:00",
                     env={"COLUMNS": "160"})
    assert header(preview.stdout)[0] == "收件人"
