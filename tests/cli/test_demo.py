"""``manyi demo``: the tour ends with the ledger, scoring and the HTML report, quickly, offline."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli


def test_demo_tours_the_ledger_scores_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("MANYI_DB", "MANYI_SMTP_URL", "MANYI_NOW", "MANYI_MAIL_FROM", "MANYI_USER"):
        monkeypatch.delenv(var, raising=False)
    began = time.monotonic()
    result = CliRunner().invoke(cli, ["--lang", "en", "--as", "tester", "demo"], catch_exceptions=False)
    elapsed = time.monotonic() - began
    assert result.exit_code == 0, result.output
    assert elapsed < 10, elapsed
    print(f"demo took {elapsed:.1f} s")
    for line in ("$ manyi rectify confirm 1", "$ manyi rectify list", "$ manyi rank"):
        assert line in result.stdout
    # One heading per step, numbered 1, 2, 3, ... (several commands may follow one heading).
    numbers = [int(m) for m in re.findall(r"^─+ (\d+)\. ", result.stdout, flags=re.MULTILINE)]
    assert numbers == list(range(1, 22)), numbers
    # Every command of the tour speaks the tour's language, not the locale's.
    assert "valid definition 'people-satisfied-unit'" in result.stdout
    assert "Recorded 6 'satisfied' votes for 市法制办公室 from People's Congress deputies." in result.stdout
    assert sorted((tmp_path / "outbox").glob("*.eml"))  # the reminder step still writes mail

    def manyi(*args: str) -> object:
        out = CliRunner().invoke(cli, ["--db", str(tmp_path / "manyi-demo.db"), "--lang", "en", *args],
                                 catch_exceptions=False)
        assert out.exit_code == 0, out.output
        return json.loads(out.stdout)

    items = manyi("rectify", "list", "--json")
    assert [(i["office"], i["source"], i["status"]) for i in items] == [  # type: ignore[union-attr]
        ("市法制办公室", "review", "confirmed"), ("市法制办公室", "inspection", "published")]
    ranks = {r["office"]: r["rank"] for r in manyi("rank", "--json")}  # type: ignore[union-attr]
    assert (ranks["市法制办公室"], ranks["秘书科"], ranks["信息科"]) == (1, 2, 3)
    report = (tmp_path / "manyi-demo-files" / "报告.html").read_text("utf-8")
    assert report.startswith("<!DOCTYPE html>") or report.lower().startswith("<!doctype html>")
    assert "窗口工作人员未佩戴工作牌" in report and "行政执法案卷归档不及时" in report
