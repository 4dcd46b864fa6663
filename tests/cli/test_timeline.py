"""``manyi timeline``: phases and due dates as a chart, today marked."""

from __future__ import annotations

import json

from tests.conftest import Run

CHART_80 = """\
Campaign '2026' (People-Satisfied Unit campaign), 2026-03-01 to 2027-03-31
                              2026-03 2026-06 2026-09 2026-12
                              ┬──┬─┬──┬▼─┬─┬──┬─┬──┬──┬─┬──┬─┬───
Study & mobilization          █◇◆◇     │                          03-01→03-31 ●6
Organization & implementation    ██████│█████████◆█◇              04-01→10-31 ●0
Review & rectification                 │           █◇█◇████◇      11-01→01-31 ●0
Summary & improvement                  │                   █████◆ 02-01→03-31 ●0
│ today 2026-06-15  ◆ exit requirement due  ◇ other due  ●n offices in phase
Next due dates:
  2026-10-08  Research report (research-report)
  2026-11-02  Democratic evaluation representatives' meeting (evaluation-meeting)
  2026-11-02  Principal leader's week of grassroots research (grassroots-research)
  2026-11-02  Questionnaires sent to the grassroots (questionnaire)
  2026-11-16  Report to the People's Congress review group (report-to-review-group)
"""


def test_chart_at_80_columns(started: Run) -> None:
    result = started("timeline", env={"MANYI_NOW": "2026-06-15T09:00", "COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "\n".join(line.rstrip() for line in result.stdout.splitlines()) + "\n" == CHART_80


def test_chart_in_chinese_fits_80_columns(started: Run) -> None:
    from rich.cells import cell_len

    result = started("--lang", "zh", "timeline", env={"MANYI_NOW": "2026-06-15T09:00", "COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert lines[3].startswith("学习动员阶段 █")
    assert lines[7].startswith("│ 今天 2026-06-15")
    assert max(cell_len(line.rstrip()) for line in lines) <= 80


def test_timeline_json(started: Run) -> None:
    data = json.loads(started("timeline", "--json", env={"MANYI_NOW": "2026-06-15"}).stdout)
    assert (data["campaign"], data["start"], data["end"], data["today"]) == (
        "2026",
        "2026-03-01",
        "2027-03-31",
        "2026-06-15",
    )
    assert [(p["key"], p["start"], p["end"], p["sections"]) for p in data["phases"]] == [
        ("mobilization", "2026-03-01", "2026-03-31", 6),
        ("implementation", "2026-04-01", "2026-10-31", 0),
        ("review", "2026-11-01", "2027-01-31", 0),
        ("summary", "2027-02-01", "2027-03-31", 0),
    ]
    first = data["phases"][0]["due"]
    assert {
        "requirement": "study-plan",
        "title": "Study plan",
        "due": "2026-03-23",
        "filer": "section",
        "exit": True,
    } in first
    # the same working-day due dates as `manyi calendar` (Saturday 03-21 → Monday 03-23)
    cal = json.loads(started("calendar", "--json").stdout)
    cal_rows = cal["rows"] if isinstance(cal, dict) else cal
    due_of = {r["requirement"]: r["due"] for r in cal_rows if r.get("requirement")}
    assert all(d["due"] == due_of[d["requirement"]] for p in data["phases"] for d in p["due"])
