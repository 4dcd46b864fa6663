"""Scoring and ranking (考评办法): pure rules, raw entries in, ranked table out.

A definition's ``scoring`` block declares evaluator groups with weights, how
scores inside a group combine (mean, or drop the highest and lowest once a
group has enough scorers), the points a vote is worth, the tiers and how many
top sections are named satisfied. Numbers that the plan leaves as ``xx`` are
``$parameter`` references, resolved per campaign by :func:`rules_from`.

Arithmetic is exact (``Fraction``); only the shown totals are rounded, to two
decimals half-up, and ranks compare the rounded totals, so what a reader sees
is what was ranked. A section missing a whole group is ranked with that
group's share counted as zero, and flagged: weights are never renormalised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from workflow.review.scoring_rules import Group, Rules


# -- computing -----------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One raw row: a score (``points``) or ``count`` identical votes."""

    group: str
    scorer: str | None = None
    points: Fraction | None = None
    vote: str | None = None
    count: int = 1


@dataclass(frozen=True)
class GroupResult:
    key: str
    weight: Fraction
    values: tuple[Fraction, ...]  # every counted value, in entry order
    dropped: tuple[Fraction, ...]  # (highest, lowest) when trimmed
    unknown_votes: int
    mean: Fraction | None  # None: the group gave nothing countable

    @property
    def used(self) -> int:
        return len(self.values) - len(self.dropped)

    @property
    def contribution(self) -> Fraction:
        return Fraction(0) if self.mean is None else self.weight * self.mean


@dataclass(frozen=True)
class SectionScore:
    office: str
    groups: tuple[GroupResult, ...]
    exact: Fraction
    total: Decimal
    missing: tuple[str, ...]


def round2(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def combine_group(rules: Rules, group: Group, entries: Sequence[Entry]) -> GroupResult:
    values: list[Fraction] = []
    unknown = 0
    for e in entries:
        if e.vote is not None:
            if e.vote == rules.unknown_vote:
                unknown += e.count
                if rules.unknown_points is not None:
                    values += [rules.unknown_points] * e.count
            else:
                values += [rules.vote_points[e.vote]] * e.count
        elif e.points is not None:
            values.append(e.points)
    dropped: tuple[Fraction, ...] = ()
    kept = list(values)
    if group.drop_high_low_min is not None and len(values) >= max(group.drop_high_low_min, 3):
        hi, lo = max(kept), min(kept)
        kept.remove(hi)
        kept.remove(lo)
        dropped = (hi, lo)
    mean = sum(kept, Fraction(0)) / len(kept) if kept else None
    return GroupResult(group.key, group.weight, tuple(values), dropped, unknown, mean)


def score_section(rules: Rules, office: str, entries: Sequence[Entry]) -> SectionScore:
    results = tuple(combine_group(rules, g, [e for e in entries if e.group == g.key]) for g in rules.groups)
    exact = sum((r.contribution for r in results), Fraction(0)) / rules.weight_sum
    missing = tuple(r.key for r in results if r.mean is None)
    return SectionScore(office, results, exact, round2(exact), missing)


@dataclass(frozen=True)
class Ranked:
    """One ranked row; ``rank`` and ``tier`` are None for a section nobody scored."""

    score: SectionScore
    rank: int | None
    tier: str | None
    satisfied: bool
    tie_at_cut: bool

    @property
    def office(self) -> str:
        return self.score.office

    def as_json(self) -> dict[str, Any]:
        return {
            "office": self.office,
            "total": float(self.score.total),
            "rank": self.rank,
            "tier": self.tier,
            "satisfied": self.satisfied,
            "tie_at_cut": self.tie_at_cut,
            "missing_groups": list(self.score.missing),
            "groups": {r.key: None if r.mean is None else float(round2(r.mean)) for r in self.score.groups},
        }


@dataclass(frozen=True)
class Ranking:
    rows: tuple[Ranked, ...]
    top: int
    tied_at_cut: tuple[str, ...] = field(default=())

    @property
    def satisfied(self) -> tuple[str, ...]:
        return tuple(r.office for r in self.rows if r.satisfied)


def tier_of(rules: Rules, total: Decimal) -> str:
    value = Fraction(str(total))
    for t in rules.tiers:
        if value >= t.min:
            return t.key
    return rules.tiers[-1].key


def rank(
    rules: Rules, scores: Sequence[SectionScore], excluded: frozenset[str] | set[str] = frozenset()
) -> Ranking:
    """Competition ranking (1, 2, 2, 4) on the rounded totals; ties keep input order.

    Sections without a single score or vote are listed last, unranked.

    The commended (``satisfied``) are the top ``rules.top`` of the sections in
    the commended tier (``rules.commend_tier``; None: any tier), ranked among
    themselves, leaving out ``excluded`` ones (a veto): a tie across the cut
    commends every tied section, and :attr:`Ranking.tied_at_cut` lists them.
    """
    scored = [s for s in scores if len(s.missing) < len(s.groups)]
    ordered = sorted(scored, key=lambda s: s.total, reverse=True)
    ranks = _competition([s.total for s in ordered])
    tiers = [tier_of(rules, s.total) for s in ordered]
    eligible = [
        i
        for i, s in enumerate(ordered)
        if (rules.commend_tier is None or tiers[i] == rules.commend_tier) and s.office not in excluded
    ]
    inner = _competition([ordered[i].total for i in eligible])
    commended: set[int] = set()
    straddle: set[int] = set()
    for i, r in zip(eligible, inner, strict=True):
        if r <= rules.top:
            commended.add(i)
            if r + inner.count(r) - 1 > rules.top:
                straddle.add(i)
    rows = tuple(
        Ranked(s, r, tiers[i], i in commended, i in straddle)
        for i, (s, r) in enumerate(zip(ordered, ranks, strict=True))
    ) + tuple(  # not scored by anyone yet: listed last, unranked
        Ranked(s, None, None, False, False) for s in scores if len(s.missing) == len(s.groups)
    )
    return Ranking(rows, rules.top, tuple(x.office for x in rows if x.tie_at_cut))


def _competition(totals: Sequence[Decimal]) -> list[int]:
    """Competition ranks (1, 2, 2, 4) of totals already sorted highest first."""
    ranks: list[int] = []
    for i, t in enumerate(totals):
        ranks.append(ranks[-1] if i and t == totals[i - 1] else i + 1)
    return ranks
