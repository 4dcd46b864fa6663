"""The benchmark suite at 1,000 sections, so it cannot rot (the full run is not a test).

Also checks what the suite's numbers rest on: the built campaign passes the
engine's own ``audit verify``, the engine and the plain-sqlite3 baseline move
every section, and both write byte-identical records and events.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import run

# Slow: builds benchmark campaigns (pytest -m 'not slow' leaves it out).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("bench")
    out = work / "results.json"
    res = run.main(
        [
            "--sizes",
            "1000",
            "--runs",
            "1",
            "--startup-runs",
            "1",
            "--chain-events",
            "10000",
            "--chain-sections",
            "1000",
            "--backlog",
            "300,600",
            "--work",
            str(work),
            "--out",
            str(out),
        ]
    )
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(res))
    res["_work"] = str(work)
    return res


def test_every_figure_is_measured_with_its_baseline(result: dict) -> None:
    names = {(f["name"], f["size"]) for f in result["figures"]}
    assert names >= {
        ("manyi --help", None),
        ("manyi status", 1000),
        ("bulk advance", 1000),
        ("status --json", 1000),
        ("history --json", 1000),
        ("audit verify", 1000),
        ("reminder sweep, nothing due", 1000),
        ("reminder sweep, 10% due", 1000),
        ("advance --all, moving", 1000),
        ("advance --all, blocked", 1000),
        ("campaign start", 1000),
        ("score import", 1000),
        ("mail backlog, server back", 300),
        ("mail backlog, server back", 600),
    }
    for f in result["figures"]:
        assert f["seconds"] > 0 and f["peak_rss_mb"] > 5, f
        if f["name"] == "mail backlog, server back":  # a scaling figure: no baseline
            assert f["baseline"] is None, f
            continue
        assert f["baseline"]["seconds"] > 0 and f["ratio"] > 0, f
    long = [f for f in result["figures"] if f["name"] == "audit verify, long chain"]
    assert long and long[0]["size"] >= 10_000
    assert [d["name"] for d in result["derived"]] == [
        "mail backlog: time at 600 / at 300",
        "audit verify peak RSS, long chain",
    ]
    assert result["builds"]["sqlite-1000"]["sections"] == 1000
    assert len(result["load_average"]["start"]) == 3
    tenth = next(f for f in result["figures"] if f["name"] == "reminder sweep, 10% due")
    fired = re.search(r": (\d+) reminders, (\d+) mails", tenth["what"])
    assert fired and int(fired[1]) > 0 and int(fired[2]) > 0  # the 10% case really sends
    assert tenth["baseline"]["what"].startswith("benchmarks/sweep_baseline.py")


def test_the_sweep_baseline_does_the_engines_row_work(result: dict, tmp_path: Path) -> None:
    """Same reminders (by their unique keys), same deadlines closed, one mail per recipient
    each, every mail sent and written to the outbox folder."""
    import shutil

    src = Path(result["_work"]) / "campaign-1000.db"
    dbs = {}
    for name, extra in (("engine-sweep", ["tenth"]), ("baseline-sweep", [])):
        dbs[name] = tmp_path / f"{name}.db"
        shutil.copyfile(src, dbs[name])
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.tasks", name, f"sqlite:///{dbs[name]}", *extra],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr

    def facts(path: Path) -> tuple:
        with sqlite3.connect(path) as conn:
            return (
                sorted(conn.execute("SELECT key, kind, days, due, recipients, status FROM reminder")),
                sorted(conn.execute("SELECT id, last_at, next_at FROM deadline")),
                sorted(conn.execute("SELECT recipient, status, items FROM mail")),
            )

    engine, baseline = facts(dbs["engine-sweep"]), facts(dbs["baseline-sweep"])
    assert engine == baseline
    assert len(engine[0]) > 100 and len(engine[2]) > 50
    for path in dbs.values():
        assert len(list(Path(f"{path}.outbox").glob("*.eml"))) == len(engine[2])


def test_built_campaign_passes_audit_verify(result: dict) -> None:
    db = Path(result["_work"]) / "campaign-1000.db"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "manyi"),
            "--db",
            str(db),
            "--lang",
            "en",
            "audit",
            "verify",
            "--skip-documents",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "Campaign 'bench': 5016 events, chain intact" in done.stdout


def test_engine_and_baseline_write_the_same_rows(result: dict, tmp_path: Path) -> None:
    import shutil

    src = Path(result["_work"]) / "campaign-1000.db"
    dbs = {}
    for name in ("engine-advance", "baseline-advance"):
        dbs[name] = tmp_path / f"{name}.db"
        shutil.copyfile(src, dbs[name])
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.tasks", name, f"sqlite:///{dbs[name]}"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["moved"] == 1000

    def rows(path: Path, table: str) -> list[tuple]:
        with sqlite3.connect(path) as conn:
            return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()

    def same(row: tuple) -> tuple:
        """An event row without what differs by the real clock: detail's recorded_at
        (it ran at another moment) and so the hashes; each chain is checked on its own."""
        detail = json.loads(row[11])
        detail.pop("recorded_at")
        return (*row[:11], detail)

    assert rows(dbs["engine-advance"], "record") == rows(dbs["baseline-advance"], "record")
    engine, baseline = (rows(dbs[n], "event") for n in ("engine-advance", "baseline-advance"))
    assert [same(r) for r in engine[-1000:]] == [same(r) for r in baseline[-1000:]]
    assert engine[:-1000] == baseline[:-1000]
    for path in dbs.values():
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from cli.main import main; main()",
                "--db",
                str(path),
                "audit",
                "verify",
                "--skip-documents",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr


def test_the_driver_baseline_prints_what_manyi_advance_prints(result: dict, tmp_path: Path) -> None:
    """The whole-command baseline does the same work and prints the same bytes: moving, then blocked."""
    import os
    import shutil

    from benchmarks.common import ACTOR, NOW

    src = Path(result["_work"]) / "campaign-1000.db"
    env = {**os.environ, "MANYI_LANG": "en", "MANYI_USER": ACTOR, "MANYI_NOW": NOW.isoformat()}
    engine_db, base_db = tmp_path / "e.db", tmp_path / "b.db"
    shutil.copyfile(src, engine_db)
    shutil.copyfile(src, base_db)
    for expected_code in (0, 3):  # every office moves; then every office is blocked
        engine = subprocess.run(
            [str(Path(sys.executable).parent / "manyi"), "--db", str(engine_db), "advance", "--all"],
            capture_output=True,
            cwd=ROOT,
            env=env,
        )
        base = subprocess.run(
            [sys.executable, "-m", "benchmarks.tasks", "baseline-advance-cli", f"sqlite:///{base_db}"],
            capture_output=True,
            cwd=ROOT,
            env=env,
        )
        assert engine.returncode == expected_code and base.returncode == 0, engine.stderr
        assert engine.stdout == base.stdout and engine.stdout.count(b"\n") >= 900


def test_the_score_import_baseline_stores_and_prints_what_manyi_does(result: dict, tmp_path: Path) -> None:
    """Same score rows, same event details (all but the real clock), same summary line."""
    import os
    import shutil

    from benchmarks.common import ACTOR, NOW

    work = Path(result["_work"])
    sheet = work / "scores-1000.csv"
    assert sheet.read_text(encoding="utf-8").count("\n") == 1001
    env = {**os.environ, "MANYI_LANG": "en", "MANYI_USER": ACTOR, "MANYI_NOW": NOW.isoformat()}
    engine_db, base_db = tmp_path / "e.db", tmp_path / "b.db"
    for db in (engine_db, base_db):
        shutil.copyfile(work / "campaign-1000.db", db)
    manyi = str(Path(sys.executable).parent / "manyi")
    engine = subprocess.run(
        [manyi, "--db", str(engine_db), "score", "import", str(sheet), "--campaign", "bench"],
        capture_output=True,
        cwd=ROOT,
        env=env,
    )
    base = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.tasks",
            "baseline-score-import",
            f"sqlite:///{base_db}",
            str(sheet),
        ],
        capture_output=True,
        cwd=ROOT,
        env=env,
    )
    assert engine.returncode == 0 and base.returncode == 0, (engine.stderr, base.stderr)
    assert engine.stdout == base.stdout == b"Imported 1000 score rows into campaign 'bench'.\n"

    def stored(path: Path) -> tuple[list[tuple], list[tuple]]:
        with sqlite3.connect(path) as conn:
            scores = conn.execute("SELECT * FROM score_entry ORDER BY id").fetchall()
            events = conn.execute(
                "SELECT seq, at, actor, section_id, office, action, json_remove(detail, '$.recorded_at') "
                "FROM event WHERE action = 'score' ORDER BY seq"
            ).fetchall()
        return scores, events

    engine_rows, base_rows = stored(engine_db), stored(base_db)
    assert len(engine_rows[0]) == len(engine_rows[1]) == 1000
    assert engine_rows == base_rows


def test_the_status_baseline_prints_what_manyi_status_json_prints(result: dict, tmp_path: Path) -> None:
    """Same bytes from the driver baseline and ``manyi status --json``, on a board with every
    kind of row: moved on and blocked (red), forced on with a filing owed, an open
    rectification item, an extension into the warning days (yellow) and one beyond (green),
    completed offices."""
    import os
    import shutil
    from datetime import timedelta

    from benchmarks.common import ACTOR, NOW

    env = {**os.environ, "MANYI_LANG": "en", "MANYI_USER": ACTOR, "MANYI_NOW": NOW.isoformat()}
    db = tmp_path / "c.db"
    shutil.copyfile(Path(result["_work"]) / "campaign-1000.db", db)
    manyi = [str(Path(sys.executable).parent / "manyi"), "--db", str(db)]
    today = NOW.date()
    for args in (
        ["advance", "--all"],
        ["advance", "第000010科", "--force", "--from", "implementation", "--reason", "test"],
        ["rectify", "add", "第000400科", "整改会议记录不全"],
        ["extend", "第000401科", "rectification-report", "--to", f"{today + timedelta(days=2)}"],
        ["extend", "第000402科", "rectification-report", "--to", f"{today + timedelta(days=365)}"],
    ):
        if args[0] == "extend":
            args += ["--reason", "材料补充"]
        done = subprocess.run([*manyi, *args, "--campaign", "bench"], capture_output=True, cwd=ROOT, env=env)
        assert done.returncode == 0, (args, done.stderr)
    constants = tmp_path / "constants.json"
    url = f"sqlite:///{db}"
    for cmd in (["status-constants", url, str(constants)], ["baseline-status", url, str(constants)]):
        base = subprocess.run(
            [sys.executable, "-m", "benchmarks.tasks", *cmd], capture_output=True, cwd=ROOT, env=env
        )
        assert base.returncode == 0, base.stderr
    engine = subprocess.run([*manyi, "status", "--json"], capture_output=True, cwd=ROOT, env=env)
    assert engine.returncode == 0, engine.stderr
    assert engine.stdout == base.stdout
    listed = [json.loads(line.rstrip(b",")) for line in engine.stdout.splitlines()[1:-1]]
    rows = {r["office"]: r for r in listed}
    assert len(rows) == len(listed) == 1000
    item, soon, later, forced = (rows[o] for o in ("第000400科", "第000401科", "第000402科", "第000010科"))
    assert item["open_items"] == 1 and "rectification-items" in item["blockers"] and item["light"] == "red"
    assert (soon["light"], soon["next_due"]) == ("yellow", str(today + timedelta(days=2)))
    assert (later["light"], later["next_due"]) == ("green", str(today + timedelta(days=365)))
    assert (forced["state"], forced["owed"], forced["light"]) == ("review", ["research-report"], "red")
    assert sum(1 for r in listed if r["blockers"] and r["light"] == "red") >= 890
    assert sum(1 for r in listed if r["state"] == "completed" and r["light"] is None) == 100
