"""Moving offices through their phases: guarded advances (forced ones with their reason,
``--from`` against a second move), and vetoes (一票否决) that block ``veto`` conditions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from storage import events_repo, repo
from workflow.calendar import schedule
from workflow.engine import text
from workflow.engine.machine import Step, machine_for
from workflow.errors import ConflictError, InputError, NotFoundError
from workflow.i18n import _, pick
from workflow.usecases.board import FactsLoader
from workflow.usecases.context import Context, definition_of
from workflow.usecases.filings import retired_message
from workflow.usecases.operators import authorize


# -- advancing ---------------------------------------------------------------
class Outcome(NamedTuple):  # a tuple, not a frozen dataclass: one per office, 4× cheaper to make
    office: str
    source: str
    dest: str | None
    unmet: tuple[tuple[str, str, str], ...]  # (key, title, detail)
    forced: bool
    final: bool = False
    source_title: str = ""
    dest_title: str = ""

    @property
    def blocked(self) -> bool:
        return self.dest is None and not self.final

    def as_json(self) -> dict[str, Any]:
        return {
            "office": self.office,
            "from": self.source,
            "to": self.dest,
            "moved": self.dest is not None,
            "forced": self.forced,
            "blockers": [k for k, _t, _d in self.unmet],
            "final": self.final,
        }


def advance(
    ctx: Context,
    campaign_name: str | None,
    offices: Sequence[str] | None,
    *,
    dry_run: bool = False,
    force: bool = False,
    reason: str | None = None,
    expect: str | None = None,
    by_scheduler: bool = False,
) -> list[Outcome]:
    """Move sections one phase forward where their exit conditions hold.

    ``offices=None`` means every section of the campaign (sections already in
    the final state are left out). A forced advance needs a reason and is
    recorded as forced with the conditions it overrode.

    ``expect`` is the phase the operator saw the named sections in: the
    intended transition is "from that phase to the next". If another operator
    moved a section first, this one gets a :class:`ConflictError` naming who
    and when, instead of silently moving it a second phase on.

    ``by_scheduler`` is the scheduler's automatic advance (``auto_advance``
    phases): no operator's role is checked; the guards, versions and hash
    chain apply as to anyone, and the actor is recorded as given.
    """
    reason = text.optional(reason, "--reason")
    if force and not (reason and reason.strip()):
        raise InputError(_("--force needs --reason TEXT: say why the guard is overridden"))
    if reason is not None and not force:
        raise InputError(_("--reason is only used with --force"))
    if offices is not None and not offices:
        raise InputError(_("name at least one office, or use --all"))
    if force and expect is None and not dry_run:
        if offices is not None:
            raise InputError(
                _(
                    "--force on named offices needs --from PHASE (the phase you saw them in), "
                    "so that a repeated command cannot move them a second phase"
                )
            )
        raise InputError(
            _(
                "--all --force needs --from PHASE: only the offices still in that phase are moved, "
                "so that a repeated command cannot move anyone a second phase"
            )
        )
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        if not by_scheduler:
            authorize(s, ctx, "read" if dry_run else "force-advance" if force else "advance")
        campaign = repo.find_campaign(s, campaign_name)
        if not dry_run:
            repo.require_open(campaign)
        if expect is not None:
            states = definition_of(campaign).states
            try:
                expect = definition_of(campaign).state_key(expect)
            except NotFoundError:
                raise InputError(
                    _("unknown phase '{p}' for --from; phases: {known}").format(
                        p=expect, known=", ".join(states)
                    )
                ) from None
        if offices is None:
            seen = repo.versions(s, campaign.id, expect)
        else:
            seen_rows = repo.records(s, campaign.id, offices)
            for r in seen_rows:
                if r.retired_at is not None:
                    raise InputError(retired_message(r.office))
            if expect is not None:
                for r in seen_rows:
                    if r.state != expect:
                        raise ConflictError(r.office, r.updated_by, r.updated_at, campaign.timezone)
            seen = {r.record_id: r.version for r in seen_rows}
    now = ctx.now()
    with ctx.db.read() if dry_run else ctx.db.write() as s:
        campaign = repo.find_campaign(s, campaign_name)
        definition = definition_of(campaign)
        machine = machine_for(definition)
        titles = {st: pick(definition.title_of(st).as_dict()) for st in definition.states}
        records: Sequence[repo.RecordRow | repo.StateRow]
        if offices is None:
            records = [
                r for r in repo.states(s, campaign.id) if r.state != machine.final and r.record_id in seen
            ]
        else:
            records = repo.records(s, campaign.id, offices)
        from workflow.calendar import deadlines

        params = json.loads(campaign.parameters)
        loader = FactsLoader(
            s,
            campaign,
            definition,
            params,
            schedule.resolve(definition, campaign.start_date, params),
            deadlines.local_day(now, campaign.timezone),
            [r.section_id for r in records] if offices is not None else None,
        )
        outcomes: list[Outcome] = []
        changes: list[repo.StateChange] = []
        events: list[events_repo.NewEvent] = []
        # Same phase and same filings, same step: decide each distinct case once.
        decided: dict[tuple[Any, ...], tuple[Step, tuple[Any, ...]]] = {}
        for rec in records:
            if seen.get(rec.record_id) != rec.version:
                raise ConflictError(rec.office, *repo.last_change(s, rec.record_id), campaign.timezone)
            if rec.state == machine.final:
                outcomes.append(
                    Outcome(
                        rec.office, rec.state, None, (), False, final=True, source_title=titles[rec.state]
                    )
                )
                continue
            key = (rec.state, loader.key(rec.section_id))
            known = decided.get(key)
            if known is None:
                first: Step = machine.step(rec.state, loader.of(rec.section_id), force=force)
                known = decided[key] = (first, tuple((u.key, u.title, u.detail) for u in first.unmet))
            step, unmet = known
            outcomes.append(
                Outcome(
                    rec.office,
                    rec.state,
                    step.dest,
                    unmet,
                    step.forced,
                    source_title=titles[rec.state],
                    dest_title=titles[step.dest] if step.dest else "",
                )
            )
            if step.dest is None:
                continue
            changes.append(repo.StateChange(rec.record_id, rec.office, rec.version, step.dest))
            events.append(
                events_repo.NewEvent(
                    "force-advance" if step.forced else "advance",
                    section_id=rec.section_id,
                    office=rec.office,
                    from_state=rec.state,
                    to_state=step.dest,
                    reason=reason.strip() if reason else None,
                    detail={"overridden": [u[0] for u in unmet]} if step.forced else {},
                )
            )
        if not dry_run:
            repo.apply_changes(s, changes, ctx.actor, now, campaign.timezone)
            events_repo.append_events(s, campaign, events, ctx.actor, now)
        return outcomes


# -- veto ----------------------------------------------------------------------
def veto(ctx: Context, campaign_name: str | None, office: str, reason: str, *, lift: bool = False) -> str:
    """Record a veto (一票否决) against a section, or lift its standing veto; an event either way."""
    if not reason.strip():
        raise InputError(_("--reason must not be empty: say why"))
    ctx.db.ensure_ready(create=False)
    with ctx.db.write() as s:
        authorize(s, ctx, "force-advance")
        campaign = repo.find_campaign(s, campaign_name)
        section = repo.find_section(s, campaign.id, office)
        standing = section.id in events_repo.vetoes(s, campaign.id)
        if lift and not standing:
            raise InputError(_("{office} has no veto to lift").format(office=section.name))
        if not lift and standing:
            raise InputError(
                _("{office} is already vetoed; lift it first to record another").format(office=section.name)
            )
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    "veto-lift" if lift else "veto",
                    section_id=section.id,
                    office=section.name,
                    reason=reason.strip(),
                )
            ],
            ctx.actor,
            ctx.now(),
        )
        return campaign.name
