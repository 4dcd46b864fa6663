"""Everything a definition says, as plain data in the user's language.

``manyi definition check`` renders it as tables and ``--json`` prints it;
nothing a definition file states is left out (conditions per phase,
applicability, central bodies, labels, calendar, reminder policy, scoring).
"""

from __future__ import annotations

from typing import Any

from workflow.engine.definition import Definition
from workflow.i18n import _, pick


def definition_summary(d: Definition) -> dict[str, Any]:
    spec = d.spec
    out: dict[str, Any] = {
        "key": d.key,
        "title": pick(spec.title.as_dict()),
        "source": d.source,
        "timezone": spec.timezone,
        "format": spec.format,
        "phases": [_phase(d, p.key) for p in spec.phases],
        "final": {"key": spec.final.key, "title": pick(spec.final.title.as_dict())},
        "parameters": {
            k: {
                "title": pick(p.title.as_dict()),
                "default": p.default,
                "type": p.kind,
                "min": p.min,
                "max": p.max,
            }
            for k, p in spec.parameters.items()
        },
        "bodies": [
            {
                "key": b.key,
                "title": pick(b.title.as_dict()),
                "aliases": list(b.aliases),
                "email": b.email,
                "leader": b.leader,
                "deputy": b.deputy,
            }
            for b in d.bodies.values()
        ],
        "labels": {
            "participant": pick(spec.labels.participant.as_dict()),
            "commended": pick(spec.labels.commended.as_dict()),
            "item_sources": [
                {"key": c.key, "title": pick(c.title.as_dict()), "aliases": list(c.aliases)}
                for c in spec.labels.item_sources
            ],
            "inspection_kinds": [
                {"key": c.key, "title": pick(c.title.as_dict())} for c in spec.labels.inspection_kinds
            ],
        },
        "submission": pick(spec.submission.as_dict()) if spec.submission else None,
        "calendar": {
            "country": spec.calendar.country,
            "holidays": [x.isoformat() for x in spec.calendar.holidays],
            "workdays": [x.isoformat() for x in spec.calendar.workdays],
        },
        "reminders": {
            "before": list(spec.reminders.before),
            "on_due": spec.reminders.on_due,
            "overdue_every": spec.reminders.overdue_every,
            "escalate_after": spec.reminders.escalate_after,
            "warning_days": spec.reminders.warning_days,
            "send_at": spec.reminders.send_at,
            "cc": list(spec.reminders.cc),
            "templates": [k for k in ("subject", "body", "item") if getattr(spec.reminders.templates, k)],
        },
        "scoring": None,
    }
    sc = spec.scoring
    if sc is not None:
        commend = sc.commend
        out["scoring"] = {
            "scale": sc.scale,
            "commend": {
                "top": commend.top if commend else sc.top,
                "tier": (
                    commend.tier
                    if commend and commend.tier
                    else sc.tiers[0].key
                    if not commend or commend.tier is None
                    else commend.tier
                ),
            },
            "groups": [
                {
                    "key": g.key,
                    "title": pick(g.title.as_dict()),
                    "weight": g.weight,
                    "accepts": list(g.accepts),
                    "drop_high_low_min": g.drop_high_low_min,
                }
                for g in sc.groups
            ],
            "tiers": [{"key": t.key, "title": pick(t.title.as_dict()), "min": t.min} for t in sc.tiers],
            "votes": _votes(sc.votes),
        }
    return out


def _votes(votes: Any) -> dict[str, Any]:
    if hasattr(votes, "levels"):
        out = {lv.key: lv.points for lv in votes.levels}
        out[votes.unknown.key] = votes.unknown.points if votes.unknown.points is not None else _("left out")
        return out
    return {"satisfied": votes.satisfied, "basic": votes.basic, "unsatisfied": votes.unsatisfied}


def _phase(d: Definition, key: str) -> dict[str, Any]:
    p = d.phase(key)
    return {
        "key": p.key,
        "title": pick(p.title.as_dict()),
        "window": {"offset": p.window.offset, "length": p.window.length},
        "auto_advance": p.auto_advance,
        "requirements": [
            {
                "key": r.key,
                "title": pick(r.title.as_dict()),
                "filer": r.filer,
                "filer_title": d.filer_title(r),
                "count": r.count,
                "due": r.due,
                "exit": r.exit,
                "only": list(r.only),
                "note": d.note_of(r) or None,
                **({"every": r.every, "times": r.times} if r.every is not None else {}),
                **({"dates": list(r.dates)} if r.dates is not None else {}),
            }
            for r in p.requirements
        ],
        "conditions": [
            {
                "type": c.type,
                "text": c.describe(d, key),
                "only": list(c.only),
                **({"requirement": c.referenced_requirements()[0]} if c.referenced_requirements() else {}),
            }
            for c in d.exit_conditions[key]
        ],
    }


def window_text(window: dict[str, Any]) -> str:
    if window["offset"] is None:
        return _("{length}, after the previous phase").format(length=window["length"])
    return _("{length}, from start + {offset}").format(length=window["length"], offset=window["offset"])
