"""A definition's ``scoring`` block (考评办法) and the rules it resolves to for one campaign.

The block declares evaluator groups with weights, how scores inside a group combine (mean, or
drop the highest and lowest once a group has enough scorers), the points a vote is worth, the
tiers and how many top sections are named satisfied. Numbers that the plan leaves as ``xx`` are
``$parameter`` references, resolved per campaign by :func:`rules_from`. The computing is in
:mod:`workflow.review.scoring`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from pydantic import Field

from workflow.engine.specbase import Spec as _Spec
from workflow.engine.specbase import Titles as _Titles

Number = int | float | str  # a number or a "$parameter"


class GroupSpec(_Spec):
    key: str
    title: _Titles
    weight: Number
    accepts: tuple[Literal["score", "vote"], ...] = ("score", "vote")
    drop_high_low_min: Number | None = None


class TierSpec(_Spec):
    key: str
    title: _Titles
    min: Number = 0


class VotePointsSpec(_Spec):
    """Format 1: three levels, their points; "unknown" votes are left out."""

    satisfied: Number = 100
    basic: Number = 75
    unsatisfied: Number = 55


class VoteLevelSpec(_Spec):
    key: str
    title: _Titles
    points: Number
    aliases: tuple[str, ...] = ()


class UnknownVoteSpec(_Spec):
    """The "don't know" vote: left out of the mean (no ``points``) or counted as ``points``."""

    key: str = "unknown"
    title: _Titles = _Titles(zh="不了解", en="Don't know")
    aliases: tuple[str, ...] = ()
    points: Number | None = None


class VoteScaleSpec(_Spec):
    """Format 2: a vote scale of any number of levels, each with words and points."""

    levels: tuple[VoteLevelSpec, ...] = Field(min_length=2)
    unknown: UnknownVoteSpec = UnknownVoteSpec()


class CommendSpec(_Spec):
    """Who is commended: the ``top`` N of the sections in ``tier``.

    ``tier`` is a tier key, or ``any`` for "top N regardless of tier"; without
    it, the highest tier. A tie at the cut keeps everyone tied.
    """

    top: Number = 3
    tier: str | None = None


class ScoringSpec(_Spec):
    scale: int = Field(default=100, ge=1, le=1_000_000)
    top: Number = 3
    commend: CommendSpec | None = None
    groups: tuple[GroupSpec, ...] = Field(min_length=1)
    tiers: tuple[TierSpec, ...] = Field(min_length=1)
    votes: VotePointsSpec | VoteScaleSpec = VotePointsSpec()

    def parameter_refs(self) -> list[tuple[tuple[Any, ...], Any]]:
        """``(location, value)`` of every field that may be a ``$parameter``."""
        refs: list[tuple[tuple[Any, ...], Any]] = [(("top",), self.top)]
        if self.commend is not None:
            refs.append((("commend", "top"), self.commend.top))
        for i, g in enumerate(self.groups):
            refs += [
                (("groups", i, "weight"), g.weight),
                (("groups", i, "drop_high_low_min"), g.drop_high_low_min),
            ]
        for i, t in enumerate(self.tiers):
            refs.append((("tiers", i, "min"), t.min))
        if isinstance(self.votes, VoteScaleSpec):
            for i, lv in enumerate(self.votes.levels):
                refs.append((("votes", "levels", i, "points"), lv.points))
            refs.append((("votes", "unknown", "points"), self.votes.unknown.points))
        else:
            for v in ("satisfied", "basic", "unsatisfied"):
                refs.append((("votes", v), getattr(self.votes, v)))
        return refs


# -- resolved rules ------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    key: str
    titles: dict[str, str]
    weight: Fraction
    accepts: tuple[str, ...]
    drop_high_low_min: int | None


@dataclass(frozen=True)
class Tier:
    key: str
    titles: dict[str, str]
    min: Fraction


@dataclass(frozen=True)
class Rules:
    scale: int
    top: int
    groups: tuple[Group, ...]
    tiers: tuple[Tier, ...]  # highest first
    vote_points: Mapping[str, Fraction]
    commend_tier: str | None = None  # None: top N regardless of tier
    unknown_vote: str = "unknown"
    unknown_points: Fraction | None = None  # None: "don't know" votes are left out
    vote_titles: Mapping[str, dict[str, str]] = field(default_factory=dict)  # key -> titles
    vote_names: Mapping[str, str] = field(default_factory=dict)  # alias (lowercase) -> key

    def vote_key(self, text: str) -> str | None:
        """The vote a person typed (key, alias or title, any case), or None."""
        return self.vote_names.get(text.strip().lower())

    def group(self, key: str) -> Group | None:
        return next((g for g in self.groups if g.key == key), None)

    @property
    def weight_sum(self) -> Fraction:
        return sum((g.weight for g in self.groups), Fraction(0))


def _num(value: Number, params: Mapping[str, Any]) -> Fraction:
    if isinstance(value, str) and value.startswith("$"):
        value = params[value[1:]]
    return Fraction(str(value))


def rules_from(spec: ScoringSpec, params: Mapping[str, Any]) -> Rules:
    groups = tuple(
        Group(
            g.key,
            g.title.as_dict(),
            _num(g.weight, params),
            g.accepts,
            None if g.drop_high_low_min is None else int(_num(g.drop_high_low_min, params)),
        )
        for g in spec.groups
    )
    tiers = tuple(
        sorted(
            (Tier(t.key, t.title.as_dict(), _num(t.min, params)) for t in spec.tiers),
            key=lambda t: t.min,
            reverse=True,
        )
    )
    commend = spec.commend or CommendSpec(top=spec.top)
    tier = tiers[0].key if commend.tier is None else None if commend.tier == "any" else commend.tier
    votes = spec.votes
    if isinstance(votes, VoteScaleSpec):
        points = {lv.key: _num(lv.points, params) for lv in votes.levels}
        titles = {lv.key: lv.title.as_dict() for lv in votes.levels}
        titles[votes.unknown.key] = votes.unknown.title.as_dict()
        names = {
            n.lower(): lv.key for lv in votes.levels for n in (lv.key, *lv.aliases, lv.title.zh, lv.title.en)
        }
        names.update(
            {
                n.lower(): votes.unknown.key
                for n in (
                    votes.unknown.key,
                    *votes.unknown.aliases,
                    votes.unknown.title.zh,
                    votes.unknown.title.en,
                )
            }
        )
        unknown, unknown_points = (
            votes.unknown.key,
            (None if votes.unknown.points is None else _num(votes.unknown.points, params)),
        )
    else:
        points = {v: _num(getattr(votes, v), params) for v in ("satisfied", "basic", "unsatisfied")}
        titles = dict(FORMAT1_VOTE_TITLES)
        names = dict(FORMAT1_VOTE_NAMES)
        unknown, unknown_points = "unknown", None
    return Rules(
        spec.scale,
        int(_num(commend.top, params)),
        groups,
        tiers,
        points,
        tier,
        unknown,
        unknown_points,
        titles,
        names,
    )


#: Format 1's fixed three-level scale, in both languages, and what may be typed for it.
FORMAT1_VOTE_TITLES = {
    "satisfied": {"zh": "满意", "en": "satisfied"},
    "basic": {"zh": "基本满意", "en": "basically satisfied"},
    "unsatisfied": {"zh": "不满意", "en": "unsatisfied"},
    "unknown": {"zh": "不了解", "en": "don't know"},
}
FORMAT1_VOTE_NAMES = {
    "satisfied": "satisfied",
    "满意": "satisfied",
    "basic": "basic",
    "basically satisfied": "basic",
    "基本满意": "basic",
    "unsatisfied": "unsatisfied",
    "不满意": "unsatisfied",
    "unknown": "unknown",
    "don't know": "unknown",
    "不了解": "unknown",
    "不知道": "unknown",
}
