"""Format 2 through the console: the second bundled campaign walked end to end, every new
condition type shown blocking with its explanation and then holding, and bad format-2 keys."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.backends import Target, outbox_in
from tests.cli.test_bad_input import assert_refused
from tests.conftest import Run, doc, dump

KEY = "business-environment-appraisal"
ROSTER = Path(__file__).resolve().parents[2] / "definitions" / f"{KEY}.roster.csv"
DEPTS = [
    "市发展和改革委员会",
    "市市场监督管理局",
    "市行政审批服务局",
    "市税务局",
    "市住房和城乡建设局",
    "市人力资源和社会保障局",
]
#: Not enterprise-facing (no 涉企部门 in the roster's 类别): service-commitment and
#: service-report (only: [涉企部门]) do not apply to it.
JGSW = "市机关事务管理局"
ALL = [*DEPTS, JGSW]
SELF_END, PUBLIC_END, RECT_START, ASSESS_START = "2026-08-31", "2026-10-31", "2026-11-01", "2027-01-01"


def on(day: str) -> dict[str, str]:
    return {"MANYI_NOW": f"{day}T10:00:00+08:00"}


def ok(run: Run, *args: str, day: str = "2026-08-03") -> str:
    result = run(*args, env=on(day))
    assert result.exit_code == 0, result.output
    return result.stdout


def board(run: Run, day: str) -> dict[str, dict]:
    return {r["office"]: r for r in json.loads(ok(run, "status", "--json", day=day))}


def advance(run: Run, day: str, *offices: str) -> dict[str, tuple[str | None, list[str]]]:
    result = run("advance", *(offices or ("--all",)), "--json", env=on(day))
    assert result.exit_code in (0, 3), result.output
    return {o["office"]: (o["to"], o["blockers"]) for o in json.loads(result.stdout)}


@pytest.fixture
def appraisal(run: Run) -> Run:
    started = ok(
        run,
        "campaign",
        "start",
        KEY,
        "--name",
        "2026营商",
        "--start",
        "2026-08-01",
        "--offices",
        str(ROSTER),
        "--set",
        "office-email=yingshang@example.gov.cn",
        "--set",
        "announce-date=2027-01-15",
        day="2026-08-01",
    )
    assert started.endswith("; department: 7.\n"), started  # the definition's word, not "offices"
    return run


def test_the_bundled_roster_and_definition_start_from_the_package(appraisal: Run) -> None:
    camps = json.loads(ok(appraisal, "campaign", "list", "--json"))
    assert [(c["definition"], c["offices"], c["end"]) for c in camps] == [(KEY, 7, "2027-01-31")]
    result = appraisal("definition", "check", KEY, "--verbose", env={"COLUMNS": "220"})
    out = result.stdout
    assert result.exit_code == 0
    for words in (
        "business-office",
        "营商办",
        "survey-agency",
        "npc-group",
        "Commended department",
        "Participants are called: department",
        "government service portal",
        "items-confirmed",
        "score-at-least",
        "veto",
        "not-before",
        "commended: the top $commend-top of tier any",
    ):
        assert words in out, words
    data = json.loads(ok(appraisal, "definition", "check", KEY, "--json"))
    assert [b["key"] for b in data["bodies"]] == ["business-office", "npc-group", "survey-agency"]
    assert data["phases"][3]["conditions"][-1] == {
        "type": "not-before",
        "text": "not before $announce-date",
        "only": [],
    }


def test_second_campaign_end_to_end(appraisal: Run, tmp_path: Path, db_path: Target) -> None:
    run = appraisal
    fgw, scjg, *rest = DEPTS
    # Self-inspection: the business-environment office's plan gates everyone.
    assert board(run, "2026-08-03")[fgw]["blockers"] == [
        "appraisal-plan",
        "self-report",
        "service-commitment",
    ]
    # Applicability: the requirements marked only: [涉企部门] are not the non-enterprise one's.
    assert board(run, "2026-08-03")[JGSW]["blockers"] == ["appraisal-plan", "self-report"]
    before = dump(db_path)
    wrong = run("file", JGSW, "service-commitment", doc(tmp_path, "x.txt"), env=on("2026-08-03"))
    assert wrong.exit_code == 1 and wrong.stderr.strip() == (
        f"Error: 'service-commitment' applies only to those tagged 涉企部门; {JGSW} is not"
    )
    assert dump(db_path) == before
    ok(run, "file", "营商办", "appraisal-plan", doc(tmp_path, "plan.txt"))
    for dept in DEPTS:
        for req in ("self-report", "service-commitment"):
            ok(run, "file", dept, req, doc(tmp_path, f"{dept}-{req}.txt", dept + req))
    ok(run, "file", JGSW, "self-report", doc(tmp_path, "jgsw-self.txt", "jgsw"))
    assert {to for to, _b in advance(run, SELF_END).values()} == {"public-appraisal"}

    # Public appraisal: two other central bodies file, and every evaluator group must have scored.
    moved = advance(run, PUBLIC_END, fgw)
    assert moved[fgw] == (None, ["enterprise-survey", "deputies-appraisal", "service-report", "all-scored"])
    result = run("advance", fgw, env=on(PUBLIC_END))
    assert (
        "enterprise-survey (Enterprise satisfaction survey results, Third-party survey agency files it)"
    ) in result.stdout
    assert (
        "all-scored (every evaluator group has given its results, no results from: Enterprises, "
        "People's Congress deputies, Business-environment office)"
    ) in result.stdout
    ok(run, "file", "评估机构", "enterprise-survey", doc(tmp_path, "survey.txt"), day=PUBLIC_END)
    ok(run, "file", "人大评议组", "deputies-appraisal", doc(tmp_path, "npc.txt"), day=PUBLIC_END)
    wrong = run("file", "人大评议组", "enterprise-survey", doc(tmp_path, "x.txt"), env=on(PUBLIC_END))
    assert wrong.exit_code == 1 and wrong.stderr.strip() == (
        "Error: 'enterprise-survey' is filed by Third-party survey agency, not by People's Congress "
        "appraisal group"
    )
    # Five-level votes by key, title or alias; "don't know" is left out of the mean.
    ok(run, "score", "vote", fgw, "--group", "enterprises", "--vote", "非常满意", day=PUBLIC_END)
    ok(
        run,
        "score",
        "vote",
        fgw,
        "--group",
        "enterprises",
        "--vote",
        "不清楚",
        "--count",
        "3",
        day=PUBLIC_END,
    )
    bad = run("score", "vote", fgw, "--group", "enterprises", "--vote", "超级满意", env=on(PUBLIC_END))
    assert bad.exit_code == 1 and bad.stderr.strip() == (
        "Error: unknown vote '超级满意'; use one of very-satisfied, satisfied, basic, dissatisfied, "
        "unsatisfied, unknown"
    )
    totals = {
        fgw: ("satisfied", "95"),
        scjg: ("satisfied", "90"),
        rest[0]: ("basic", "85"),
        rest[1]: ("basic", "80"),
        rest[2]: ("basic", "75"),
        rest[3]: ("unsatisfied", "20"),
        JGSW: ("basic", "70"),
    }
    assert board(run, PUBLIC_END)[JGSW]["blockers"] == ["all-scored"]  # no service-report
    # ... nor in the report for the leaders: the service report is owed by the others only
    report = ok(run, "report", "--format", "md", day=PUBLIC_END)
    rows = [line for line in report.splitlines() if line.startswith("|")]
    assert any(fgw in line and "Report on service" in line for line in rows)
    assert [line for line in rows if JGSW in line]
    assert not any(JGSW in line and "service" in line.lower() for line in rows)
    # Its headings speak of departments, as the definition does (部门, not the seed's 科室).
    assert "Phase progress per department" in report and "per section" not in report
    zh = run("--lang", "zh", "report", "--format", "md", env=on(PUBLIC_END))
    assert zh.exit_code == 0, zh.output
    for heading in ("所处部门数", "各部门阶段进度", "各部门整改情况"):
        assert heading in zh.stdout, heading
    assert "科室" not in zh.stdout, [line for line in zh.stdout.splitlines() if "科室" in line]
    for dept, (vote, score) in totals.items():
        if dept != JGSW:
            ok(run, "file", dept, "service-report", doc(tmp_path, f"{dept}-svc.txt", dept), day=PUBLIC_END)
        ok(
            run,
            "score",
            "vote",
            dept,
            "--group",
            "enterprises",
            "--vote",
            vote,
            "--count",
            "10",
            day=PUBLIC_END,
        )
        for group in ("deputies", "business-office"):
            ok(
                run,
                "score",
                "add",
                dept,
                "--group",
                group,
                "--score",
                score,
                "--scorer",
                "甲",
                day=PUBLIC_END,
            )
    assert {to for to, _b in advance(run, PUBLIC_END).values()} == {"rectification"}

    # Rectification: an item raised in this phase (items-confirmed, scope phase) and the
    # shortest rectification period (not-before, offset) both block, then hold.
    ok(run, "rectify", "add", scjg, "企业开办材料重复提交", "--source", "投诉", day=RECT_START)
    items = json.loads(ok(run, "rectify", "list", scjg, "--json", day=RECT_START))
    assert [(i["source"], i["status"]) for i in items] == [("complaint", "published")]
    for dept in ALL:
        for req in ("rectification-plan", "rectification-report"):
            ok(run, "file", dept, req, doc(tmp_path, f"{dept}-{req}.txt", dept + req), day=RECT_START)
    # The monthly progress report recurs: each occurrence is due, lit and reminded on its own.
    row = board(run, "2026-11-26")[fgw]
    assert (row["next_due"], row["next_due_requirement"], row["light"]) == (
        "2026-12-01",
        "progress-report",
        "yellow",
    )
    ok(run, "remind", "send", day="2026-11-26")  # five days before the first occurrence
    assert "整改进展月报（第1次，共2次）" in mails_to(tmp_path, "fgw@example.gov.cn")[-1]
    for dept in ALL:
        ok(
            run,
            "file",
            dept,
            "progress-report",
            doc(tmp_path, f"{dept}-p1.txt", dept + "p1"),
            day="2026-11-30",
        )
    row = board(run, "2026-11-30")[fgw]
    assert (row["next_due"], row["light"], row["blockers"][:1]) == (
        "2026-12-31",
        "green",
        ["progress-report"],
    )
    for dept in ALL:
        ok(
            run,
            "file",
            dept,
            "progress-report",
            doc(tmp_path, f"{dept}-p2.txt", dept + "p2"),
            day="2026-11-30",
        )
    early = advance(run, "2026-11-30")
    assert early[fgw] == (None, ["not-before"])
    assert early[scjg] == (None, ["rectification-items", "not-before"])
    result = run("advance", fgw, env=on("2026-11-30"))
    assert "not-before (not before P1M after the phase starts, 2026-12-01)" in result.stdout  # resolved
    later = advance(run, "2026-12-01")
    assert later[scjg] == (None, ["rectification-items"])
    assert {later[d][0] for d in DEPTS if d != scjg} == {"assessment"}
    item = str(items[0]["id"])
    ok(run, "rectify", "done", item, "--evidence", doc(tmp_path, "fix.txt"), day="2026-12-01")
    ok(run, "rectify", "confirm", item, day="2026-12-01")
    assert advance(run, "2026-12-01", scjg)[scjg][0] == "assessment"

    # Assessment: a veto, a pass score and a fixed announcement date.
    bad = run("veto", fgw, "--reason", " ", env=on(ASSESS_START))
    assert bad.exit_code == 1 and "--reason must not be empty" in bad.stderr
    before = dump(db_path)
    nothing = run("veto", fgw, "--lift", "--reason", "r", env=on(ASSESS_START))
    assert nothing.exit_code == 1 and nothing.stderr.strip() == f"Error: {fgw} has no veto to lift"
    assert dump(db_path) == before
    ok(run, "veto", fgw, "--reason", "查实违规收费案件", day=ASSESS_START)
    ok(run, "file", "营商办", "assessment-announcement", doc(tmp_path, "ann.txt"), day=ASSESS_START)
    early = advance(run, ASSESS_START)
    assert early[fgw] == (None, ["veto", "not-before"])
    assert early[rest[3]] == (None, ["score-at-least", "not-before"])
    assert early[scjg] == (None, ["not-before"])
    result = run("advance", fgw, rest[3], env=on(ASSESS_START))
    assert "veto (no veto recorded, vetoed: 查实违规收费案件)" in result.stdout
    assert "score-at-least (total score at least 60, total 25.00, needs 60)" in result.stdout
    assert "not-before (not before 2027-01-15, 2027-01-15)" in result.stdout
    final = advance(run, "2027-01-15")
    assert final[fgw] == (None, ["veto"]) and final[rest[3]] == (None, ["score-at-least"])
    assert {final[d][0] for d in DEPTS if d not in (fgw, rest[3])} == {"appraised"}

    # Commendation: top 5 regardless of tier, the vetoed department dropped though ranked first.
    ranked = {r["office"]: r for r in json.loads(ok(run, "rank", "--json", day="2027-01-15"))}
    assert ranked[fgw]["rank"] == 1 and not ranked[fgw]["satisfied"]
    # 1 × 100 and 10 × 85 from enterprises (3 "don't know" left out): mean 950 / 11
    assert ranked[fgw]["groups"]["enterprises"] == 86.36 and ranked[fgw]["total"] == 90.68
    assert [o for o in ALL if ranked[o]["satisfied"]] == [scjg, *rest[:3], JGSW]
    assert "Commended department (top 5): " in ok(run, "rank", day="2027-01-15")
    hist = json.loads(ok(run, "history", fgw, "--json", day="2027-01-15"))
    assert ("veto", "查实违规收费案件") in [(h["action"], h["reason"]) for h in hist]
    ok(run, "veto", fgw, "--lift", "--reason", "复核撤销", day="2027-01-16")
    assert advance(run, "2027-01-16", fgw)[fgw][0] == "appraised"
    verify = run("audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_reminder_mail_says_how_to_submit_and_names_no_command(
    appraisal: Run, tmp_path: Path, db_path: Target
) -> None:
    # service-commitment has its own reminders (10 and 3 days before); the rest 5 and 1.
    result = appraisal(
        "remind", "preview", "--at", "2026-08-11T10:00", env={**on("2026-08-11"), "COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "服务企业承诺书 2026-08-21（还有10天）" in result.stdout
    assert "部门自查自评报告" not in result.stdout
    ok(appraisal, "remind", "send", day="2026-08-11")
    ok(appraisal, "remind", "send", day="2026-08-16")  # 5 days before the 08-21 filings
    first, second = mails_to(tmp_path, "fgw@example.gov.cn")
    assert "服务企业承诺书" in first and "部门自查自评报告" not in first
    assert "部门自查自评报告" in second and "服务企业承诺书" not in second  # its next is 08-18
    for text in (first, second):
        assert "请登录市政务服务网“营商环境评议”专栏上传材料" in text
        assert "manyi file" not in text and "报送命令" not in text
        assert "市优化营商环境工作领导小组办公室" in text  # extensions: ask the organizing body
    # Not enterprise-facing: no mail for the service commitment, only its own report's.
    (only,) = mails_to(tmp_path, "jgsw@example.gov.cn")
    assert "部门自查自评报告" in only and "服务企业承诺书" not in only


def mails_to(tmp_path: Path, address: str) -> list[str]:
    outbox = outbox_in(tmp_path)
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(outbox.glob("*.eml"))
    ]
    mine = sorted((m for m in mails if str(m["To"]) == address), key=lambda m: m["Date"].datetime)
    return [m.get_body().get_content() for m in mine]  # type: ignore[union-attr]


SEED = Path(__file__).resolve().parents[2] / "definitions" / f"{KEY}.yaml"


def broken(tmp_path: Path, old: str, new: str) -> tuple[str, int]:
    text = SEED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.yaml"
    fixed = text.replace(old, new, 1)
    path.write_text(fixed, encoding="utf-8")
    line = next(i for i, x in enumerate(fixed.splitlines(), 1) if new.strip().splitlines()[0] in x)
    return str(path), line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "        filer: survey-agency\n",
            "        filer: survey-agencies\n",
            "phase 'public-appraisal': requirement 'enterprise-survey': filer: unknown filer 'survey-agencies'; "
            "known: section, business-office, npc-group, survey-agency",
        ),
        (
            "    aliases: [人大评议组, npc-group]\n",
            "    aliases: [营商办, npc-group]\n",
            "bodies.npc-group: name '营商办' is also used by body 'business-office'",
        ),
        (
            "  - key: survey-agency\n",
            "  - key: business-office\n",
            "bodies.business-office: duplicate body key 'business-office'",
        ),
        (
            "    email: $npc-email\n",
            "    email: $npc-mail\n",
            "bodies.npc-group.email: unknown parameter 'npc-mail'",
        ),
        (
            "    leader: $office-director\n",
            "    leader: $pass-score\n",
            "bodies.business-office.leader: parameter 'pass-score' is a whole number, this needs text",
        ),
        (
            "        scope: phase\n",
            "        scope: forever\n",
            "phase 'rectification': scope: must be campaign, phase or a phase key; got 'forever'",
        ),
        (
            "        offset: $rectify-minimum\n",
            "        offset: $pass-score\n",
            "phase 'rectification': offset: parameter 'pass-score' is a whole number, this needs a duration",
        ),
        (
            "        date: $announce-date\n",
            "        date: 2027-02-30\n",
            "phases.3.exit_conditions.3.date: 2027-02-30 is a day that does not exist",
        ),
        (
            "        date: $announce-date\n",
            "        date: $announce-date\n        offset: P1D\n",
            "phase 'assessment': date: give either offset or date, not both",
        ),
        (
            "        min: $pass-score\n",
            "        min: .inf\n",
            "phase 'assessment': min: must be a finite number",
        ),
        (
            "      - type: veto ",
            "      - type: vetoo ",
            "phase 'assessment': unknown condition type 'vetoo'; known: all-scored, items-confirmed, "
            "not-before, rectification-confirmed, requirement-filed, score-at-least, veto",
        ),
        (
            "  commend: {top: $commend-top, tier: any}",
            "  commend: {top: $commend-top, tier: gold}",
            "scoring.commend.tier: unknown tier 'gold'; known: any, satisfied, fair, unsatisfied",
        ),
        (
            "  participant: {zh: 部门, en: department}\n",
            "  participant: {zh: 部门}\n",
            "labels.participant.en: required field is missing",
        ),
        ("format: 2\n", "format: 1\n", "bodies: needs format: 2 (this file says format: 1)"),
        (
            "        due: P20D\n        exit: true\n",
            "        due: P20D\n        exit: true\n        only: ['涉企;窗口']\n",
            "phase 'self-inspection': requirement 'self-report': only: '涉企;窗口' cannot be a roster tag "
            "(blank, a separator ; , 、 | or a control character)",
        ),
        (
            "        every: P1M\n        times: $progress-reports\n",
            "        every: P1M\n",
            "phase 'rectification': requirement 'progress-report': times: say how many times it recurs: times: N",
        ),
        (
            "        every: P1M\n        times: $progress-reports\n",
            "        every: P1M\n        times: $progress-reports\n        dates: [P1M]\n",
            "phase 'rectification': requirement 'progress-report': dates: give either every (with times) or "
            "dates, not both",
        ),
        (
            "        every: P1M\n        times: $progress-reports\n",
            "        every: monthly\n        times: 2\n",
            "phase 'rectification': requirement 'progress-report': every: 'monthly' is not a duration like "
            "P1M, P2W, P10D or a $parameter",
        ),
        (
            "        every: P1M\n        times: $progress-reports\n",
            "        dates: []\n",
            "phase 'rectification': requirement 'progress-report': dates: must be a list of one or more dates, "
            "offsets like P1M, or $parameters",
        ),
        (
            "        every: P1M\n        times: $progress-reports\n",
            "        dates: [2026-11-30, 2026-11-31]\n",
            "phases.2.requirements.2.dates.1: 2026-11-31 is a day that does not exist",
        ),
        (
            "        every: P1M\n        times: $progress-reports\n",
            "        every: P1M\n        times: $pass-scor\n",
            "phase 'rectification': requirement 'progress-report': times: unknown parameter 'pass-scor'",
        ),
        (
            "        every: P1M\n        times: $progress-reports\n",
            "        every: P1M\n        times: 2\n        count: 3\n",
            "phase 'rectification': requirement 'progress-report': count: a recurring requirement is filed once "
            "per occurrence; leave count out",
        ),
        (
            '    type: date\n    default: "2026-12-20"\n',
            '    type: date\n    default: "2026-12-32"\n',
            "parameters.announce-date.default: default: 2026-12-32 is a day that does not exist",
        ),
    ],
)
def test_bad_format_2_keys_are_named_by_file_line_and_field(
    run: Run, db_path: Target, tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert run("init").exit_code == 0
    path, _line = broken(tmp_path, old, new)
    before = dump(db_path)
    result = run("campaign", "start", path, "--name", "x", "--start", "2026-08-01")
    assert result.exit_code == 1, result.output
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith(f"Error: {path}:") and err.endswith(f": {message}"), err
    int(err.split(":")[2])  # a line number
    assert dump(db_path) == before


def test_the_seed_commends_within_its_satisfied_tier_and_names_its_label(
    seed_started: Run, tmp_path: Path
) -> None:
    out = seed_started("rank").stdout
    assert "Satisfied section (top 3): —" in out


def test_veto_refuses_unknown_offices_and_empty_reasons(seed_started: Run, db_path: Target) -> None:
    assert_refused(
        seed_started,
        db_path,
        ["veto", "没有这个科", "--reason", "r"],
        "unknown office '没有这个科'; known: 市外事侨务办公室, 市支前双拥工作办公室, "
        "市口岸与海防委员会办公室, 市法制办公室, 秘书科, 信息科",
    )
