"""``manyi scheduler run``: APScheduler 3.x calling :func:`workflow.usecases.sweep.sweep`.

The one module that knows APScheduler and signals. The sweep itself is a
plain function; this runner only decides *when*: at start (catch-up: a
sweep sees every slot that fell due while nobody ran, and sends each once),
every ``interval`` seconds, and at each phase window's end. Jobs coalesce
and never overlap (one worker thread), so a slow sweep is not stacked up.
SIGTERM/SIGINT stop it after the sweep in progress finishes.

Several runners may share one database (one per host): each sweep first
takes the ``scheduler`` lease (:mod:`storage.lease`); only its holder sweeps,
the others stand by and poll at every interval, so when the active one dies a
standby takes over at its next tick (within one interval).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storage.lease import Lease
from workflow.adapters import mailin
from workflow.adapters.processes import owner_id
from workflow.errors import CampaignError
from workflow.i18n import _
from workflow.usecases import inbox
from workflow.usecases.context import Context
from workflow.usecases.digest import phase_ends
from workflow.usecases.results import SweepResult
from workflow.usecases.sweep import sweep


def run(
    ctx: Context,
    interval: float,
    log: Callable[[str], None],
    report: Callable[[SweepResult], None],
    fetched: Callable[[inbox.FetchResult], None] | None = None,
) -> None:
    """Sweep until SIGTERM or SIGINT; with a mailbox configured, read it before each sweep."""
    owner = owner_id()
    scheduler = BlockingScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )

    lease = Lease(ctx.db, "scheduler")
    active: list[bool | None] = [None]  # None: not yet known

    def job() -> None:
        if not lease.try_acquire():
            if active[0] is not False:
                log(_("standing by: another scheduler holds the lease"))
                active[0] = False
            return
        if active[0] is not True:
            log(_("active: this scheduler holds the lease and sweeps"))
            active[0] = True
        if fetched is not None and mailin.configured():
            try:  # replies first, so a sweep does not remind of what was just mailed in
                fetched(inbox.fetch(ctx, require=None))
            except CampaignError as exc:  # logged; the mailbox is read again next time
                log(str(exc))
        try:
            report(sweep(ctx, owner=owner))
        except CampaignError as exc:  # logged, and the next run tries again
            log(str(exc))

    real_now = datetime.now(UTC)
    scheduler.add_job(job, IntervalTrigger(seconds=interval), id="sweep", next_run_time=real_now)
    # A rehearsal clock (MANYI_NOW) shifts the phase ends by the same offset.
    offset = ctx.now() - real_now
    for i, end in enumerate(phase_ends(ctx)):
        when = end - offset
        if when > real_now:
            scheduler.add_job(job, DateTrigger(when), id=f"phase-end-{i}")

    def stop(signum: int, _frame: object) -> None:
        log(f"signal {signal.Signals(signum).name}: stopping after the current sweep")
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
