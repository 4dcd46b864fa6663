"""Run the benchmark suite: ``python -m benchmarks.run [--sizes ...] [--postgres URL] [--runs N]``.

Every figure is the median of several runs, each in a fresh process; peak RSS
comes from ``wait4`` on that process. Each engine figure is paired with a
baseline measured in the same run, interleaved with it (A B A B ...), so the
ratio cancels most of a shared machine's noise. Mutating operations work on a
fresh copy of the built campaign each run (a file copy on SQLite, a
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.build import PostgresStore, SqliteStore, empty_trash
from benchmarks.common import ACTOR, CAMPAIGN, HOME, NOW

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
MANYI = str(Path(sys.executable).parent / "manyi")
# Linux keeps a process's peak RSS across fork+exec, so a child forked from this
# (large) runner would report the runner's size; GNU time forks from a tiny
# process and reports the child's own. Without it, wait4's figure is an upper bound.
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    extra: dict[str, Any] = field(default_factory=dict)


def spawn(argv: list[str], *, capture: bool = False, ok: tuple[int, ...] = (0,)) -> Sample:
    """Run one process; wall time of the whole process and its peak RSS."""
    env = {
        **os.environ,
        "MANYI_LANG": "en",
        "MANYI_USER": ACTOR,
        "MANYI_NOW": NOW.isoformat(),
        "PYTHONPATH": str(ROOT),
        # A server database keeps its outbox folder in MANYI_HOME (default: the current folder,
        # here the repository): keep the sweeps' mail with the benchmark's own files.
        "MANYI_HOME": str(HOME),
    }
    with tempfile.TemporaryFile() as errf, tempfile.NamedTemporaryFile("r") as rss:
        wrap = [TIME, "-f", "%M", "-o", rss.name] if TIME else []
        t0 = time.perf_counter()
        p = subprocess.Popen(
            wrap + argv,
            cwd=ROOT,
            env=env,
            stderr=errf,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        )
        out = p.stdout.read() if p.stdout else b""
        _pid, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        if p.stdout:
            p.stdout.close()
        errf.seek(0)
        err = errf.read()
        maxrss_kb = int(rss.read().split()[-1]) if TIME else usage.ru_maxrss
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {err.decode()[-2000:]}")
    extra = json.loads(out.decode().strip().splitlines()[-1]) if capture else {}
    if "seconds" in extra:  # the task timed its own operation
        seconds = extra.pop("seconds")
    return Sample(seconds, maxrss_kb / 1024, extra)


def current_schema(url: str) -> bool:
    """Whether a built campaign has this code's schema (else it is rebuilt)."""
    code = (
        "from storage.db import Database, SCHEMA_HEAD; import sys; "
        f"sys.exit(0 if Database({url!r}).schema_revision() == SCHEMA_HEAD else 1)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def on_copy(
    store: Any, which: Any, argv_of: Any, *, capture: bool = False, ok: tuple[int, ...] = (0,)
) -> Any:
    """A measurement: ``argv_of(url)`` run on a fresh copy of the campaign ``which``."""

    def go() -> Sample:
        with store.copy(which) as u:
            return spawn(argv_of(u), capture=capture, ok=ok)

    return go


def settle(below: float = 1.0, at_most: float = 120.0) -> str:
    """Wait (up to ``at_most`` seconds) until the machine's 1-minute load average is under
    ``below``: the start-up figures are a few hundred milliseconds each, and a machine still busy
    from what ran before (a test suite) moved them by a tenth."""
    deadline = time.monotonic() + at_most
    while os.getloadavg()[0] >= below and time.monotonic() < deadline:
        time.sleep(5)
    return f"load average {os.getloadavg()[0]:.2f} before the start-up figures"


def task(name: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.tasks", name, *args]


def cli(url: str, *args: str) -> list[str]:
    return [MANYI, "--db", url, *args]


@dataclass
class Figure:
    name: str
    backend: str
    size: int | None
    engine: list[Sample]
    baseline: list[Sample] | None
    target: float | None  # max ratio engine / baseline
    what: str
    baseline_what: str | None

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.engine)

    @property
    def base_seconds(self) -> float | None:
        return statistics.median(s.seconds for s in self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        b = self.base_seconds
        return self.seconds / b if b else None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "backend": self.backend,
            "size": self.size,
            "what": self.what,
            "seconds": round(self.seconds, 4),
            "runs": [round(s.seconds, 4) for s in self.engine],
            "peak_rss_mb": round(max(s.rss_mb for s in self.engine), 1),
            "baseline": None
            if not self.baseline
            else {
                "what": self.baseline_what,
                "seconds": round(self.base_seconds or 0, 4),
                "runs": [round(s.seconds, 4) for s in self.baseline],
                "peak_rss_mb": round(max(s.rss_mb for s in self.baseline), 1),
            },
            "ratio": None if self.ratio is None else round(self.ratio, 2),
            "target_ratio": self.target,
            "ok": None if self.target is None or self.ratio is None else self.ratio <= self.target,
        }


def paired(runs: int, engine: Any, baseline: Any) -> tuple[list[Sample], list[Sample]]:
    a: list[Sample] = []
    b: list[Sample] = []
    for _ in range(runs):
        a.append(engine())
        if baseline is not None:
            b.append(baseline())
    return a, b


class Suite:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.figures: list[Figure] = []
        self.builds: dict[str, dict[str, Any]] = {}
        self.chain_rss: dict[str, float] = {}
        self.load_at_start = [round(x, 2) for x in os.getloadavg()]

    def log(self, msg: str) -> None:
        print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    def runs_for(self, n: int) -> int:
        return self.args.runs if n < 100_000 else min(self.args.runs, self.args.large_runs)

    def add(self, fig: Figure) -> None:
        self.figures.append(fig)
        r = f" ratio {fig.ratio:.2f}" if fig.ratio is not None else ""
        self.log(f"{fig.backend} {fig.name} n={fig.size}: {fig.seconds:.3f}s{r}")

    def ensure_built(self, store: Any, n: int) -> None:
        key = f"{store.kind}-{n}"
        if key in self.builds:
            return
        if self.args.reuse and store.exists(n) and current_schema(store.master(n)):
            self.log(f"reusing {key}")
            self.builds[key] = {"reused": True}
            return
        self.log(f"building {key}")
        store.reset(n)
        sample = spawn(task("build", store.master(n), str(n)), capture=True)
        prep = spawn(task("sweep-prep", store.master(n)), capture=True)
        store.seal(n)
        self.builds[key] = {
            "seconds": round(sample.seconds, 2),
            "peak_rss_mb": round(sample.rss_mb, 1),
            "first_sweep_seconds": round(prep.seconds, 2),
            **{k: v for k, v in sample.extra.items() if k != "url"},
        }

    def probe_office(self, store: Any, n: int) -> str:
        from benchmarks.build import SHARE, office_name, phase_index

        last = len(SHARE) - 1
        return office_name(next(i for i in range(n) if phase_index(i, n) == last))

    def size(self, store: Any, n: int) -> None:
        self.ensure_built(store, n)
        runs = self.runs_for(n)
        url = store.master(n)

        eng, base = paired(
            runs,
            on_copy(store, n, lambda u: task("engine-advance", u), capture=True),
            on_copy(store, n, lambda u: task("baseline-advance", u), capture=True),
        )
        moved = {s.extra.get("moved") for s in eng + base}
        if moved != {n}:
            raise RuntimeError(f"advance moved {moved}, expected {n}")
        self.add(
            Figure(
                "bulk advance",
                store.kind,
                n,
                eng,
                base,
                5.0,
                "workflow.usecases.advancing.advance(ctx, 'bench', None): every section one phase",
                f"plain {'sqlite3' if store.kind == 'sqlite' else 'psycopg'}: same reads, "
                "updates, chained event inserts, executemany, one transaction",
            )
        )
        if "commands" in self.args.figures:
            self.whole_commands(store, n, runs)
            self.campaign_start(store, n, runs)
            self.score_import(store, n, runs)
        if "status" not in self.args.figures:
            self.extra_measurements(store, n, url, runs)
            return
        constants = Path(self.args.work) / f"status-constants-{store.kind}-{n}.json"
        spawn(task("status-constants", url, str(constants)))
        eng, base = paired(
            runs,
            lambda: spawn(cli(url, "status", "--json")),
            lambda: spawn(task("baseline-status", url, str(constants))),
        )
        self.add(
            Figure(
                "status --json",
                store.kind,
                n,
                eng,
                base,
                3.0 if n >= 10_000 else None,
                "manyi status --json (whole process)",
                "python: driver reads of offices, filing counts, open items, extensions; blockers, "
                "lights, next due and owed filings per office; the same bytes (whole process)",
            )
        )
        office = self.probe_office(store, n)
        eng, base = paired(
            runs,
            lambda: spawn(cli(url, "history", office, "--json")),
            lambda: spawn(task("baseline-history", url, office)),
        )
        self.add(
            Figure(
                "history --json",
                store.kind,
                n,
                eng,
                base,
                None,
                f"manyi history {office} --json (whole process)",
                "python: driver read of the section's events, json.dumps (whole process)",
            )
        )
        self.extra_measurements(store, n, url, runs)

    def whole_commands(self, store: Any, n: int, runs: int) -> None:
        """``manyi advance --all`` as a user runs it (whole process, its lines on stdout) against
        the driver doing the same row work and printing the same lines: every office moving,
        then every office blocked (a campaign advanced once already)."""
        key = f"{n}-moved"
        if f"{store.kind}-{key}" not in self.builds:
            moved = store.clone(n, key)
            spawn(task("engine-advance", moved), capture=True)
            store.seal(key)
            self.builds[f"{store.kind}-{key}"] = {"from": f"{store.kind}-{n}", "advanced": True}
        for label, which, codes in (
            ("advance --all, moving", n, (0,)),
            ("advance --all, blocked", key, (0, 3)),
        ):
            eng, base = paired(
                runs,
                on_copy(store, which, lambda u: cli(u, "advance", "--all"), ok=codes),
                on_copy(store, which, lambda u: task("baseline-advance-cli", u), ok=codes),
            )
            self.add(
                Figure(
                    label,
                    store.kind,
                    n,
                    eng,
                    base,
                    None,
                    "manyi advance --all (whole process, one line per office on stdout)",
                    "python + driver: the same reads, guarded updates and chained events in one "
                    "transaction, the same lines on stdout (whole process)",
                )
            )

    def campaign_start(self, store: Any, n: int, runs: int) -> None:
        """``manyi campaign start`` with an ``n``-office roster (whole process), into a copy of the
        smallest campaign built (the same database for every size), against the driver doing the
        same reads, checks and inserts."""
        from benchmarks.common import DEFINITION, START

        base = min(self.args.sizes)
        self.ensure_built(store, base)
        roster = Path(self.args.work) / f"roster-{n}.csv"
        if not roster.exists():
            roster.parent.mkdir(parents=True, exist_ok=True)
            lines = ["科室,邮箱,负责人"] + [f"科室{i:06d},office{i}@example.cn,负责人{i}" for i in range(n)]
            roster.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        start = ("campaign", "start", DEFINITION, "--name", "started", "--start", START)
        eng, b = paired(
            runs,
            on_copy(store, base, lambda u: cli(u, *start, "--offices", str(roster), "--rehearsal")),
            on_copy(store, base, lambda u: task("baseline-start", u, str(roster), "started")),
        )
        self.add(
            Figure(
                "campaign start",
                store.kind,
                n,
                eng,
                b,
                None,
                f"manyi campaign start with a {n:,}-office roster (whole process)",
                "python + driver: read and check the roster (the engine's own address check), insert the "
                "campaign, sections, records and chained events in one transaction",
            )
        )

    def score_import(self, store: Any, n: int, runs: int) -> None:
        """``manyi score import`` of one leading-group score per office (whole process), into a
        copy of the ``n``-office campaign, against the driver doing the same reads, checks,
        inserts and chained events."""
        from benchmarks.build import office_name

        sheet = Path(self.args.work) / f"scores-{n}.csv"
        if not sheet.exists():
            sheet.parent.mkdir(parents=True, exist_ok=True)
            lines = ["科室,评价主体,评分人,分数"] + [
                f"{office_name(i)},领导小组,评委{i % 7 + 1},{80 + i % 20}.5" for i in range(n)
            ]
            sheet.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        eng, b = paired(
            runs,
            on_copy(store, n, lambda u: cli(u, "score", "import", str(sheet), "--campaign", CAMPAIGN)),
            on_copy(store, n, lambda u: task("baseline-score-import", u, str(sheet))),
        )
        self.add(
            Figure(
                "score import",
                store.kind,
                n,
                eng,
                b,
                None,
                f"manyi score import of {n:,} score rows (whole process)",
                "python + driver: read and check the sheet (offices, groups, 0-100, duplicates), "
                "insert the scores and their chained events in one transaction",
            )
        )

    def extra_measurements(self, store: Any, n: int, url: str, runs: int) -> None:
        """Reminder sweeps; ``audit verify`` over the whole chain (documents skipped: no blobs)."""

        def sweep(mode: str) -> Any:
            return on_copy(store, n, lambda u: task("engine-sweep", u, mode), capture=True)

        if "sweep" in self.args.figures:
            adv = next(
                f
                for f in self.figures
                if f.name == "bulk advance" and f.size == n and f.backend == store.kind
            )
            eng, _unused = paired(runs, sweep("none"), None)
            self.add(
                Figure(
                    "reminder sweep, nothing due",
                    store.kind,
                    n,
                    eng,
                    adv.engine,
                    0.1 if n >= 100_000 else None,
                    "workflow.usecases.sweep.sweep(ctx), nothing due, timed in-process",
                    "the engine's bulk advance of the same campaign (target: sweep < 10% of it)",
                )
            )
            base_sweep = on_copy(store, n, lambda u: task("baseline-sweep", u), capture=True)
            eng, base = paired(runs, sweep("tenth"), base_sweep)
            mails = {s.extra.get("mails") for s in eng + base}
            if len(mails) != 1:
                raise RuntimeError(f"the sweep and its baseline sent {mails} mails")
            per_mail = statistics.median(s.seconds for s in eng) / max(1, eng[0].extra["mails"])
            self.add(
                Figure(
                    "reminder sweep, 10% due",
                    store.kind,
                    n,
                    eng,
                    base,
                    1.5,
                    f"workflow.usecases.sweep.sweep(ctx), outbox transport, timed in-process: "
                    f"{eng[0].extra.get('reminders')} reminders, {eng[0].extra.get('mails')} mails, "
                    f"{per_mail * 1000:.2f} ms per mail (target <= 1 ms)",
                    "benchmarks/sweep_baseline.py: the driver fires the same reminders, composes one "
                    "message per recipient, writes the same outbox files in batches of 50 (in-process)",
                )
            )
        if "audit" not in self.args.figures:
            return
        eng, base = paired(
            runs,
            lambda: spawn(cli(url, "audit", "verify", "--campaign", "bench", "--skip-documents")),
            lambda: spawn(task("baseline-verify", url)),
        )
        self.add(
            Figure(
                "audit verify",
                store.kind,
                n,
                eng,
                base,
                None,
                "manyi audit verify --skip-documents (whole process)",
                "python: driver streams the events, recomputes every hash and link",
            )
        )

    def long_chain(self, store: Any) -> None:
        """A campaign with about ``--chain-events`` events: audit verify must stay in bounded memory."""
        n = self.args.chain_sections
        rounds = max(0, (self.args.chain_events - 5 * n) // n)
        key = f"{store.kind}-chain"
        self.log(f"building {key} ({n} sections + {rounds} filing rounds)")
        store.reset("chain")
        spawn(task("build", store.master("chain"), str(n)), capture=True)
        extra = spawn(task("lengthen", store.master("chain"), str(rounds)), capture=True).extra
        store.seal("chain")
        self.builds[key] = {"sections": n, "events": extra["events"]}
        url = store.master("chain")
        runs = min(self.args.runs, self.args.large_runs)
        eng, base = paired(
            runs,
            lambda: spawn(cli(url, "audit", "verify", "--campaign", "bench", "--skip-documents")),
            lambda: spawn(task("baseline-verify", url)),
        )
        fig = Figure(
            "audit verify, long chain",
            store.kind,
            extra["events"],
            eng,
            base,
            None,
            f"manyi audit verify over {extra['events']:,} events (size column = events)",
            "python: driver streams the events, recomputes every hash and link",
        )
        self.add(fig)
        self.chain_rss[store.kind] = max(x.rss_mb for x in eng)

    def startup(self, store: Any) -> None:
        n = 1000
        self.ensure_built(store, n)
        url = store.master(n)
        runs = self.args.startup_runs
        py = sys.executable
        eng, base = paired(
            runs, lambda: spawn([MANYI, "--help"]), lambda: spawn([py, "-c", "import click, rich"])
        )
        self.add(
            Figure(
                "manyi --help",
                store.kind,
                None,
                eng,
                base,
                1.3,
                "manyi --help",
                'python -c "import click, rich"',
            )
        )
        eng, base = paired(
            runs, lambda: spawn(cli(url, "status")), lambda: spawn([py, "-c", "import sqlmodel, click, rich"])
        )
        self.add(
            Figure(
                "manyi status",
                store.kind,
                n,
                eng,
                base,
                1.3,
                "manyi status (table, 1,000 sections)",
                'python -c "import sqlmodel, click, rich"',
            )
        )

    def backlog(self, store: Any) -> None:
        """A backlog of failed messages (the mail server was down), then the server back: one
        delivery run sends them all. Each size on a fresh copy of the 1,000-section campaign.

        The sizes take turns, round by round (50k, 100k, 50k, 100k …): the figure is a ratio of
        one size to the other, and run one size after the other a drift over the minutes they
        take (the disk trimming what an earlier run deleted, a neighbour on the host) fell on
        one size only. Measured so at stop 28, the same code gave 2.18× to 2.77×."""
        n = 1000
        self.ensure_built(store, n)
        counts = self.args.backlog
        goes = {
            c: on_copy(store, n, lambda u, c=c: task("engine-backlog", u, str(c)), capture=True)
            for c in counts
        }
        samples: dict[int, list[Sample]] = {c: [] for c in counts}
        for _round in range(self.args.runs):
            for count in counts:
                samples[count].append(goes[count]())
        for count in counts:
            self.add(
                Figure(
                    "mail backlog, server back",
                    store.kind,
                    count,
                    samples[count],
                    None,
                    None,
                    f"workflow.usecases.delivery.deliver(ctx): {count:,} failed messages due, outbox "
                    "transport, timed in-process (queuing them is not timed); the sizes interleaved",
                    "",
                )
            )

    def linearity(self) -> list[dict[str, Any]]:
        out = []
        for backend in {f.backend for f in self.figures}:
            adv = {f.size: f for f in self.figures if f.backend == backend and f.name == "bulk advance"}
            if 10_000 in adv and 100_000 in adv:
                per10 = adv[10_000].seconds / 10_000
                per100 = adv[100_000].seconds / 100_000
                b10 = (adv[10_000].base_seconds or 0) / 10_000
                b100 = (adv[100_000].base_seconds or 0) / 100_000
                out.append(
                    {
                        "name": "bulk advance: time per record at 100k / at 10k",
                        "backend": backend,
                        "per_record_10k_ms": round(per10 * 1000, 4),
                        "per_record_100k_ms": round(per100 * 1000, 4),
                        "ratio": round(per100 / per10, 2),
                        "target_ratio": 1.5,
                        "baseline_ratio": round(b100 / b10, 2) if b10 else None,
                        "ok": per100 / per10 <= 1.5,
                    }
                )
            if 100_000 in adv:
                rss = max(s.rss_mb for s in adv[100_000].engine)
                out.append(
                    {
                        "name": "bulk advance peak RSS at 100k",
                        "backend": backend,
                        "peak_rss_mb": round(rss, 1),
                        "target_mb": 500,
                        "ok": rss < 500,
                    }
                )
            for name, target in (
                ("advance --all, moving", 1.5),
                ("advance --all, blocked", 2.0),
                ("campaign start", 1.5),
                ("score import", 1.5),
            ):
                by = {f.size: f for f in self.figures if f.backend == backend and f.name == name}
                sizes = sorted(by)
                if len(sizes) < 2:
                    continue
                lo, hi = by[sizes[0]], by[sizes[-1]]
                span = (hi.size or 0) - (lo.size or 0)
                eng = (hi.seconds - lo.seconds) / span
                base = ((hi.base_seconds or 0) - (lo.base_seconds or 0)) / span
                out.append(
                    {
                        "name": f"{name}: marginal per office {sizes[0]:,}→{sizes[-1]:,}",
                        "backend": backend,
                        "engine_us": round(eng * 1e6, 1),
                        "baseline_us": round(base * 1e6, 1),
                        "marginal_ratio": round(eng / base, 2) if base > 0 else None,
                        "target_ratio": target,
                        "ok": base > 0 and eng / base <= target,
                    }
                )
            backlog = sorted(
                (f for f in self.figures if f.backend == backend and f.name == "mail backlog, server back"),
                key=lambda f: f.size or 0,
            )
            if len(backlog) >= 2 and backlog[0].seconds > 0:
                lo, hi = backlog[0], backlog[-1]
                scale = (hi.size or 0) / (lo.size or 1)
                target = round(1.15 * scale, 2)  # 2× the backlog in at most 2.3× the time
                out.append(
                    {
                        "name": f"mail backlog: time at {hi.size:,} / at {lo.size:,}",
                        "backend": backend,
                        "scaling": True,
                        "seconds": [round(lo.seconds, 3), round(hi.seconds, 3)],
                        "per_mail_ms": [
                            round(lo.seconds / (lo.size or 1) * 1000, 3),
                            round(hi.seconds / (hi.size or 1) * 1000, 3),
                        ],
                        "ratio": round(hi.seconds / lo.seconds, 2),
                        "target_ratio": target,
                        "ok": hi.seconds / lo.seconds <= target,
                    }
                )
            moving = [f for f in self.figures if f.backend == backend and f.name == "advance --all, moving"]
            if moving:
                top = max(moving, key=lambda f: f.size or 0)
                if top.baseline and (top.size or 0) >= 100_000:
                    e = max(x.rss_mb for x in top.engine)
                    b = max(x.rss_mb for x in top.baseline)
                    out.append(
                        {
                            "name": f"advance --all, moving: peak RSS at {top.size:,}",
                            "backend": backend,
                            "peak_rss_mb": round(e, 1),
                            "baseline_rss_mb": round(b, 1),
                            "rss_ratio": round(e / b, 2),
                            "target_ratio": 1.3,
                            "ok": e / b <= 1.3,
                        }
                    )
        for backend, rss in self.chain_rss.items():
            out.append(
                {
                    "name": "audit verify peak RSS, long chain",
                    "backend": backend,
                    "peak_rss_mb": round(rss, 1),
                    "target_mb": 200,
                    "ok": rss < 200,
                }
            )
        return out

    def run(self) -> dict[str, Any]:
        # An installed package has its bytecode compiled; an editable checkout under
        # PYTHONDONTWRITEBYTECODE would compile manyi's modules afresh in every process.
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "cli", "storage", "workflow", "benchmarks"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        stores: list[Any] = [SqliteStore(Path(self.args.work))]
        if self.args.postgres:
            stores.append(PostgresStore(self.args.postgres))
        only_pg = self.args.postgres_only
        for store in stores:
            if only_pg and store.kind == "sqlite":
                continue
            if not self.args.skip_startup and store.kind == "sqlite":
                self.log(settle())
                self.startup(store)
            for n in self.args.sizes:
                self.size(store, n)
            if self.args.backlog:
                self.backlog(store)
            if self.args.chain_events and (store.kind == "sqlite" or self.args.postgres_chain):
                self.long_chain(store)
        empty_trash()
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average": {"start": self.load_at_start, "end": [round(x, 2) for x in os.getloadavg()]},
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
            "runs": self.args.runs,
            "large_runs": self.args.large_runs,
            "builds": self.builds,
            "figures": [f.as_json() for f in self.figures],
            "derived": self.linearity(),
        }


COLUMNS = ("backend", "measure", "size", "engine (s)", "baseline (s)", "ratio", "target")
RSS_COLUMN = "peak RSS MB engine / baseline"


def _mark(ok: bool | None) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


def cells(result: dict[str, Any]) -> list[list[str]]:
    """Every figure and derived figure as one row of cells (the terminal table and the README's)."""
    rows = []
    for f in result["figures"]:
        b = f["baseline"]
        rows.append(
            [
                f["backend"],
                f["name"],
                f"{f['size']:,}" if f["size"] else "",
                f"{f['seconds']:.3f}",
                f"{b['seconds']:.3f}" if b else "",
                f"{f['ratio']:.2f}×" if f["ratio"] is not None else "",
                (f"≤{f['target_ratio']}×" if f["target_ratio"] else "") + _mark(f["ok"]),
                f"{f['peak_rss_mb']:.0f} / {b['peak_rss_mb']:.0f}" if b else f"{f['peak_rss_mb']:.0f}",
            ]
        )
    for d in result["derived"]:
        target = f"≤{d.get('target_ratio')}×{_mark(d['ok'])}"
        size, engine, base, ratio, rss = "", "", "", "", ""
        if "scaling" in d:
            engine, ratio = " → ".join(f"{x:.3f}" for x in d["seconds"]), f"{d['ratio']:.2f}×"
        elif "rss_ratio" in d:
            ratio, rss = f"{d['rss_ratio']:.2f}×", f"{d['peak_rss_mb']:.0f} / {d['baseline_rss_mb']:.0f}"
        elif "marginal_ratio" in d:
            engine, base = f"{d['engine_us']} µs", f"{d['baseline_us']} µs"
            ratio = f"{d['marginal_ratio']}×"
        elif "ratio" in d:
            size = "10k→100k"
            engine = f"{d['per_record_10k_ms']:.4f}→{d['per_record_100k_ms']:.4f} ms"
            base = f"baseline {d['baseline_ratio']}×" if d.get("baseline_ratio") else ""
            ratio = f"{d['ratio']:.2f}×"
        else:
            target, rss = f"<{d['target_mb']} MB{_mark(d['ok'])}", f"{d['peak_rss_mb']:.0f}"
        rows.append([d["backend"], d["name"], size, engine, base, ratio, target, rss])
    return rows


def render(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*COLUMNS, "peak RSS MB", title="manyi benchmarks (medians)")
    for row in cells(result):
        table.add_row(*row)
    Console(width=140).print(table)


def markdown(result: dict[str, Any], backend: str | None = None) -> str:
    """The figures as a Markdown table (for the README); only ``backend``'s if given."""
    if backend is not None:
        result = {
            **result,
            "figures": [f for f in result["figures"] if f["backend"] == backend],
            "derived": [d for d in result["derived"] if d["backend"] == backend],
        }
    lines = [
        "| " + " | ".join((*COLUMNS, RSS_COLUMN)) + " |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in cells(result)]
    return "\n".join(lines)


README = ROOT / "README.md"


def update_readme(result: dict[str, Any], path: Path = README) -> list[str]:
    """Replace each backend's table in the README (between ``<!-- benchmarks:BACKEND -->`` and
    ``<!-- /benchmarks:BACKEND -->``) with this run's; return the backends replaced."""
    text = path.read_text(encoding="utf-8")
    done = []
    for backend in sorted({f["backend"] for f in result["figures"]}):
        start, end = f"<!-- benchmarks:{backend} -->", f"<!-- /benchmarks:{backend} -->"
        if start not in text or end not in text:
            continue
        load = result.get("load_average", {})
        head = (
            f"Measured {result['when']} ({result['machine']['cpus']} CPUs, Python "
            f"{result['machine']['python']}; load average {load.get('start')} at the start, "
            f"{load.get('end')} at the end) with `{result.get('command', 'python -m benchmarks.run')}`:"
        )
        block = f"{start}\n{head}\n\n{markdown(result, backend)}\n{end}"
        a, rest = text.split(start, 1)
        _old, b = rest.split(end, 1)
        text = a + block + b
        done.append(backend)
    path.write_text(text, encoding="utf-8")
    return done


def _ints(value: str) -> list[int]:
    """``1000,10_000`` → [1000, 10000]."""
    return [int(x.replace("_", "")) for x in value.split(",") if x]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default="1000,10000,100000",
        type=_ints,
    )
    ap.add_argument("--runs", type=int, default=5, help="runs per figure (median); default 5")
    ap.add_argument("--large-runs", type=int, default=3, help="runs per figure at >=100k; default 3")
    ap.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_PG,
        default=None,
        metavar="URL",
        help=f"also run against PostgreSQL (default URL {DEFAULT_PG})",
    )
    ap.add_argument("--postgres-only", action="store_true", help="skip SQLite (with --postgres)")
    ap.add_argument(
        "--figures",
        default="advance,commands,status,sweep,audit",
        type=lambda v: set(v.split(",")),
        help="per-size figures: advance (always), commands (advance --all, whole process), "
        "status (+history), sweep, audit",
    )
    ap.add_argument("--startup-runs", type=int, default=9, help="runs per start-up figure; default 9")
    ap.add_argument(
        "--chain-events",
        type=int,
        default=1_000_000,
        help="events in the long-chain audit check (0 to skip); default 1,000,000",
    )
    ap.add_argument(
        "--chain-sections",
        type=int,
        default=10_000,
        help="sections of the long-chain campaign; default 10,000",
    )
    ap.add_argument(
        "--postgres-chain",
        action="store_true",
        help="also run the long-chain check on PostgreSQL (slow to build)",
    )
    ap.add_argument(
        "--backlog",
        default="50000,100000",
        type=_ints,
        help="failed-mail backlogs delivered after an outage ('' to skip); default 50000,100000",
    )
    ap.add_argument("--skip-startup", action="store_true", help="skip the CLI start-up figures")
    ap.add_argument("--reuse", action="store_true", help="reuse campaigns built by an earlier run")
    ap.add_argument("--work", default=str(HERE / "work"), help="folder for SQLite files")
    ap.add_argument(
        "--markdown",
        metavar="RESULTS.json",
        help="print an earlier run's results as a Markdown table and exit",
    )
    ap.add_argument("--out", default=str(HERE / "results.json"), help="where to write the results")
    ap.add_argument(
        "--readme",
        action="store_true",
        help="also replace the README's table(s) for the measured backend(s) with this run's",
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.markdown:
        result = json.loads(Path(args.markdown).read_text(encoding="utf-8"))
        print(markdown(result))
        return result
    result = Suite(args).run()
    result["command"] = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    render(result)
    if args.readme:
        print("README tables replaced: " + ", ".join(update_readme(result)), file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
