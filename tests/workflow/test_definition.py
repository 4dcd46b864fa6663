"""Definition loading: the seed file, and errors that name file, line and field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from workflow.adapters import definition_files
from workflow.calendar import schedule
from workflow.engine import validate as defs
from workflow.errors import DefinitionError
from workflow.i18n import set_language

MINIMAL = """\
key: mini
title: {zh: 小活动, en: Mini}
parameters:
  n: {title: {zh: 次数, en: Count}, default: 2}
phases:
  - key: one
    title: {zh: 一, en: One}
    window: {length: P1M}
    requirements:
      - key: a
        title: {zh: 甲, en: A}
        count: $n
        exit: true
  - key: two
    title: {zh: 二, en: Two}
    window: {length: P2W}
    requirements:
      - key: b
        title: {zh: 乙, en: B}
        due: P3D
"""


def test_seed_definition_is_faithful() -> None:
    d = definition_files.load("people-satisfied-unit")
    assert d.states == ("mobilization", "implementation", "review", "summary", "completed")
    exits = {p: [getattr(c, "requirement", c.type) for c in conds] for p, conds in d.exit_conditions.items()}
    assert exits == {
        "mobilization": [
            "work-plan",
            "working-group",
            "mobilization-meeting",
            "implementation-opinion",
            "study-plan",
            "not-before",
        ],
        "implementation": ["research-report", "evaluation-meeting", "questionnaire", "not-before"],
        "review": [
            "report-to-review-group",
            "rectification-notice",
            "rectification-report",
            "evaluation-forms",
            "items-confirmed",
            "all-scored",
            "not-before",
        ],
        "summary": ["summary-report", "report-to-standing-committee", "items-confirmed", "not-before"],
    }
    # the plan's xx constants are parameters, not constants
    assert {
        "leader",
        "deputy-leader",
        "grassroots-research-days",
        "vote-satisfied",
        "vote-basic",
        "vote-unsatisfied",
    } <= set(d.spec.parameters)
    assert d.spec.scoring.commend.tier == "satisfied"  # type: ignore[union-attr]
    assert d.requirement("research-report").title.zh == "调研报告"
    assert d.requirement("implementation-opinion").title.zh == "活动实施意见"
    group = [k for k, r in d.requirements.items() if r.filer == "leading-group"]
    assert {
        "work-plan",
        "mobilization-meeting",
        "report-to-review-group",
        "report-to-standing-committee",
    } <= set(group)
    assert d.spec.timezone == "Asia/Shanghai"
    assert d.count_of(d.requirement("study-session")) == 4
    assert d.count_of(d.requirement("study-session"), {"study-sessions": 6}) == 6


def test_minimal_definition_and_schedule() -> None:
    d = defs.parse(MINIMAL, "mini.yaml")
    plan = schedule.resolve(d, date(2026, 1, 31), d.parameters())
    assert plan.windows["one"].start == date(2026, 1, 31)
    assert plan.windows["one"].end == date(2026, 2, 27)  # one calendar month, clamped
    assert plan.windows["two"].start == date(2026, 2, 28)
    assert plan.windows["two"].end == date(2026, 3, 13)
    assert plan.due == {"a": date(2026, 2, 27), "b": date(2026, 3, 3)}


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("key: mini", "key: Mini", 1, "key: 'Mini' is not a valid key (lowercase letters, digits and '-')"),
        ("    window: {length: P1M}\n", "", 6, "phase 'one': window: required field is missing"),
        (
            "window: {length: P2W}",
            "window: {length: two weeks}",
            16,
            "phase 'two': window.length: 'two weeks' is not a duration like P1M, P2W, P10D or a $parameter",
        ),
        ("count: $n", "count: $m", 12, "phase 'one': requirement 'a': count: unknown parameter 'm'"),
        ("count: $n", "count: 0", 12, "phase 'one': requirement 'a': count: must be at least 1"),
        ("  - key: two", "  - key: one", 14, "phase 'one': duplicate phase key"),
        (
            "      - key: b",
            "      - key: a",
            18,
            "phase 'two': requirement 'a' is already defined in phase 'one'",
        ),
        (
            "        due: P3D",
            "        due: P3D\n        colour: red",
            21,
            "phase 'two': requirement 'b': colour: unknown field",
        ),
        ("title: {zh: 小活动, en: Mini}", "title: {zh: 小活动}", 2, "title.en: required field is missing"),
        ("key: mini", "key: mini\ntimezone: Mars/Olympus", 2, "timezone: unknown time zone"),
        (
            "key: mini",
            "key: mini\nreminders:\n  templates:\n    subject: '{campaign}{nope}'",
            4,
            "reminders.templates.subject: unknown field {nope}; fields: campaign campaign_title count "
            "items late late_part leading_group recipient_name sent_at tag",
        ),
        (
            "key: mini",
            "key: mini\nreminders:\n  templates:\n    body: 'x'\n    item: '{n} {office'",
            5,
            "reminders.templates.item: not a valid template: expected '}' before end of string",
        ),
        (
            "key: mini",
            "key: mini\nreminders:\n  templates:\n    item: '{title} {due}'\n    body: '{0}'",
            5,
            "reminders.templates.body: not a valid template: Replacement index 0 out of range for positional "
            "args tuple",
        ),
    ],
)
def test_errors_name_file_line_and_field(old: str, new: str, line: int, message: str) -> None:
    assert old in MINIMAL
    with pytest.raises(DefinitionError) as info:
        defs.parse(MINIMAL.replace(old, new, 1), "x.yaml")
    assert str(info.value) == f"x.yaml:{line}: {message}"


def test_exit_condition_registry() -> None:
    text = MINIMAL.replace(
        "        due: P3D\n",
        "        due: P3D\n    exit_conditions:\n      - type: rectification-confirmed\n"
        "      - type: requirement-filed\n        requirement: b\n",
    )
    d = defs.parse(text, "x.yaml")
    assert [c.type for c in d.exit_conditions["two"]] == ["rectification-confirmed", "requirement-filed"]
    bad = text.replace("type: rectification-confirmed", "type: moon-phase")
    with pytest.raises(DefinitionError) as info:
        defs.parse(bad, "x.yaml")
    assert str(info.value) == (
        "x.yaml:22: phase 'two': unknown condition type 'moon-phase'; "
        "known: all-scored, items-confirmed, not-before, rectification-confirmed, "
        "requirement-filed, score-at-least, veto"
    )


def test_malformed_yaml_and_duplicate_mapping_key() -> None:
    with pytest.raises(DefinitionError) as info:
        defs.parse("key: a\ntitle: [unclosed\n", "m.yaml")
    assert str(info.value).startswith("m.yaml:3: malformed YAML")
    with pytest.raises(DefinitionError) as info:
        defs.parse(MINIMAL + "key: again\n", "d.yaml")
    assert str(info.value) == "d.yaml:21: key: duplicate key"
    with pytest.raises(DefinitionError) as info:
        defs.parse("", "e.yaml")
    assert str(info.value) == "e.yaml: the file is empty"


@pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-45"])
def test_an_impossible_date_names_its_line_and_field(raw: str) -> None:
    text = MINIMAL + f"calendar:\n  holidays: [2026-10-01, {raw}]\n"
    with pytest.raises(DefinitionError) as info:
        defs.parse(text, "c.yaml")
    line = text.splitlines().index(f"  holidays: [2026-10-01, {raw}]") + 1
    assert str(info.value) == f"c.yaml:{line}: calendar.holidays.1: {raw} is a day that does not exist"


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    try:
        yield
    finally:
        set_language("en")


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("exit: true", "exit: maybe", 13, "phase 'one': requirement 'a': exit: 必须是 true 或 false"),
        ("count: $n", "count: [1]", 12, "phase 'one': requirement 'a': count: 必须是数字或文本"),
        ("key: mini", "key: [mini]", 1, "key: 必须是文本"),
        (
            "window: {length: P1M}",
            "window: [P1M]",
            8,
            "phase 'one': window: 必须是映射（每行一个“key: value”）",
        ),
        ("key: mini", "key: mini\nreminders: {before: 3}", 2, "reminders.before: 必须是列表"),
        ("key: mini", "key: mini\nreminders: {overdue_every: x}", 2, "reminders.overdue_every: 必须是整数"),
        ("key: mini", "key: mini\nreminders: {overdue_every: 0}", 2, "reminders.overdue_every: 不能小于 1"),
        (
            "due: P3D",
            "due: P3D\n        filer: boss",
            21,
            "phase 'two': requirement 'b': filer: 未知的报送主体“boss”；可用：section, leading-group",
        ),
        ("title: {zh: 小活动, en: Mini}", "title: {zh: '', en: Mini}", 2, "title.zh: 不能为空"),
        ("title: {zh: 小活动, en: Mini}", "title: {zh: 小活动}", 2, "title.en: 缺少必填字段"),
        ("key: mini", "key: mini\ncolour: red", 2, "colour: 未知字段"),
        (
            "key: mini",
            "key: mini\ncalendar: {holidays: [tomorrow]}",
            2,
            "calendar.holidays[0]: 必须是 2026-10-01 这样的日期",
        ),
        (
            "        due: P3D\n",
            "        due: P3D\n    exit_conditions:\n      - type: requirement-filed\n",
            22,
            "phase 'two': requirement: 缺少必填字段",
        ),
    ],
)
def test_errors_in_chinese_have_no_english_inside(
    chinese: None, old: str, new: str, line: int, message: str
) -> None:
    assert old in MINIMAL
    with pytest.raises(DefinitionError) as info:
        defs.parse(MINIMAL.replace(old, new, 1), "x.yaml")
    assert str(info.value) == f"x.yaml:{line}: {message}"


def test_a_value_fitting_no_member_of_a_union_is_one_message() -> None:
    with pytest.raises(DefinitionError) as info:
        defs.parse(MINIMAL.replace("count: $n", "count: {n: 1}"), "x.yaml")
    assert str(info.value) == "x.yaml:12: phase 'one': requirement 'a': count: must be a number or text"


def test_a_file_that_is_not_utf8_is_named_with_its_line(chinese: None, tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(MINIMAL.encode("gbk"))  # 小活动 on line 2 is the first non-ASCII text
    with pytest.raises(DefinitionError) as info:
        definition_files.load(str(path))
    assert str(info.value) == f"{path}:2: 不是 UTF-8 文本；请将定义文件另存为 UTF-8 编码"


RECURRING = """\
format: 2
key: monthly
title: {zh: 月报, en: Monthly}
parameters:
  reports: {title: {zh: 份数, en: Reports}, default: 3}
  last: {title: {zh: 最后, en: Last}, type: date, default: "2026-06-15"}
phases:
  - key: work
    title: {zh: 工作, en: Work}
    window: {length: P4M}
    requirements:
      - key: monthly
        title: {zh: 月报, en: Monthly report}
        every: P1M
        times: $reports
        exit: true
      - key: checks
        title: {zh: 检查, en: Checks}
        dates: [P10D, 2026-04-30, $last, P6M]
"""


def test_recurring_occurrences_each_get_their_own_due_date() -> None:
    d = defs.parse(RECURRING, "r.yaml")
    monthly, checks = d.requirement("monthly"), d.requirement("checks")
    assert d.count_of(monthly, {"reports": 3}) == 3 and d.count_of(checks, {}) == 4
    assert d.occurrences(monthly, {"reports": 2}) == ["monthly@1", "monthly@2"]
    assert d.needed_by("monthly@2", {}) == 2 and d.needed_by("monthly", {"reports": 5}) == 5
    plan = schedule.resolve(d, date(2026, 1, 31), {"reports": 3, "last": "2026-03-15"})
    # every P1M from the phase start (month ends clamp from the start, not step by step)
    assert [plan.due[f"monthly@{i}"] for i in (1, 2, 3)] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert plan.due["monthly"] == date(2026, 4, 30)  # the requirement is done with its last
    # dates: an offset, a date, a $parameter; sorted; capped at the window's last day (2026-05-30)
    assert [plan.due[f"checks@{i}"] for i in (1, 2, 3, 4)] == [
        date(2026, 2, 10),
        date(2026, 3, 15),
        date(2026, 4, 30),
        date(2026, 5, 30),
    ]
