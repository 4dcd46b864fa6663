"""Scoring and ranking rules, checked against a table computed by hand.

Seed rules: weights leading-group 0.5, party-delegates 0.15, npc-deputies 0.15,
questionnaire 0.2; a group with at least 5 values drops its highest and
lowest; votes are worth 100 / 75 / 55 and "don't know" is left out; tiers at
90 and 75; the top 3 *of the satisfied tier* are commended (满意科室).

    A  LG 95 90 85 80 100 → drop 100, 80 → 90    PD 90 80 → 85
       NPC 3×sat 1×basic → 93.75                  Q 8×sat 2×basic 5×unknown → 95
       45 + 12.75 + 14.0625 + 19 = 90.8125 → 90.81
    B  LG 88 88 88 → 88   PD 90   NPC 1×sat → 100   Q 5×sat 5×basic → 87.5
       44 + 13.5 + 15 + 17.5 = 90.00 (exactly on the satisfied threshold)
    C  LG 80 90 → 85   PD 80   NPC 2×basic → 75   Q 1×basic → 75
       42.5 + 12 + 11.25 + 15 = 80.75
    D  LG 70 75 80 85 99 60 → drop 99, 60 → 77.5   PD 85   NPC 1×sat 1×unsat → 77.5
       Q 5×sat 2×basic 1×unsat → 705/8 = 88.125
       38.75 + 12.75 + 11.625 + 17.625 = 80.75 (ties C at third place)
    E  LG 90 90 → 90   PD 90   NPC none   Q 1×sat → 100
       45 + 13.5 + 0 + 20 = 78.5 (renormalising would give 92.35 and rank it first)
    F  LG 70   PD 60   NPC 2×unsat → 55   Q 1×unsat 1×basic → 65
       35 + 9 + 8.25 + 13 = 65.25
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from workflow.adapters import definition_files
from workflow.engine import validate as defs
from workflow.review import scoring, scoring_rules
from workflow.review.scoring import Entry

# The seed as written in format 1 ("top: $satisfied-top"); the bundled one states the same rule
# as "commend: {top: $satisfied-top, tier: satisfied}".
SEED = definition_files.load(
    str(Path(__file__).resolve().parents[1] / "data" / "people-satisfied-unit-format1.yaml")
)
RULES = scoring_rules.rules_from(SEED.spec.scoring, SEED.parameters())  # type: ignore[arg-type]


def scores(group: str, *values: float) -> list[Entry]:
    return [Entry(group, f"{group}-{i}", Fraction(str(v))) for i, v in enumerate(values)]


def votes(group: str, **counts: int) -> list[Entry]:
    return [Entry(group, vote=v, count=n) for v, n in counts.items()]


RAW = {
    "A": scores("leading-group", 95, 90, 85, 80, 100)
    + scores("party-delegates", 90, 80)
    + votes("npc-deputies", satisfied=3, basic=1)
    + votes("questionnaire", satisfied=8, basic=2, unknown=5),
    "B": scores("leading-group", 88, 88, 88)
    + scores("party-delegates", 90)
    + votes("npc-deputies", satisfied=1)
    + votes("questionnaire", satisfied=5, basic=5),
    "C": scores("leading-group", 80, 90)
    + scores("party-delegates", 80)
    + votes("npc-deputies", basic=2)
    + votes("questionnaire", basic=1),
    "D": scores("leading-group", 70, 75, 80, 85, 99, 60)
    + scores("party-delegates", 85)
    + votes("npc-deputies", satisfied=1, unsatisfied=1)
    + votes("questionnaire", satisfied=5, basic=2, unsatisfied=1),
    "E": scores("leading-group", 90, 90)
    + scores("party-delegates", 90)
    + votes("questionnaire", satisfied=1),
    "F": scores("leading-group", 70)
    + scores("party-delegates", 60)
    + votes("npc-deputies", unsatisfied=2)
    + votes("questionnaire", unsatisfied=1, basic=1),
}

# office, total, rank, tier, satisfied, tie at the cut, missing groups
EXPECTED = [
    ("A", "90.81", 1, "satisfied", True, False, ()),
    ("B", "90.00", 2, "satisfied", True, False, ()),
    ("C", "80.75", 3, "basic", False, False, ()),
    ("D", "80.75", 3, "basic", False, False, ()),
    ("E", "78.50", 5, "basic", False, False, ("npc-deputies",)),
    ("F", "65.25", 6, "unsatisfied", False, False, ()),
]


def test_ranking_matches_the_hand_computed_table() -> None:
    ranking = scoring.rank(RULES, [scoring.score_section(RULES, o, e) for o, e in RAW.items()])
    got = [
        (r.office, str(r.score.total), r.rank, r.tier, r.satisfied, r.tie_at_cut, r.score.missing)
        for r in ranking.rows
    ]
    assert got == EXPECTED
    # Only two sections are in the satisfied tier: the top 3 of that tier are those two;
    # C and D (basic) are third overall but never commended.
    assert ranking.satisfied == ("A", "B")
    assert ranking.tied_at_cut == ()


def rules_with(commend: str) -> scoring_rules.Rules:
    text = SEED.text.replace("  top: $satisfied-top\n", f"  commend: {commend}\n")
    assert text != SEED.text
    d = defs.parse(text, "commend.yaml")
    return scoring_rules.rules_from(d.spec.scoring, d.parameters())  # type: ignore[arg-type]


def test_top_n_regardless_of_tier_when_the_definition_says_so() -> None:
    rules = rules_with("{top: $satisfied-top, tier: any}")
    ranking = scoring.rank(rules, [scoring.score_section(rules, o, e) for o, e in RAW.items()])
    assert ranking.satisfied == ("A", "B", "C", "D")  # the tie at the cut keeps both
    assert ranking.tied_at_cut == ("C", "D")


def test_tie_at_the_cut_inside_the_commended_tier_keeps_everyone_tied() -> None:
    rules = rules_with("{top: 1, tier: satisfied}")
    same = RAW["A"]
    secs = [
        scoring.score_section(rules, o, e)
        for o, e in [("P", same), ("Q", same), ("R", RAW["B"]), ("S", RAW["C"])]
    ]
    ranking = scoring.rank(rules, secs)
    assert [(r.office, r.rank, r.tier, r.satisfied, r.tie_at_cut) for r in ranking.rows] == [
        ("P", 1, "satisfied", True, True),
        ("Q", 1, "satisfied", True, True),
        ("R", 3, "satisfied", False, False),
        ("S", 4, "basic", False, False),
    ]


def test_a_vetoed_section_is_never_commended_and_the_next_moves_up() -> None:
    secs = [scoring.score_section(RULES, o, e) for o, e in RAW.items()]
    ranking = scoring.rank(RULES, secs, excluded={"A"})
    assert ranking.satisfied == ("B",)
    assert next(r for r in ranking.rows if r.office == "A").rank == 1  # still ranked, not commended


def test_commend_names_a_known_tier() -> None:
    import pytest

    from workflow.errors import DefinitionError

    with pytest.raises(DefinitionError) as info:
        rules_with("{top: 3, tier: golden}")
    assert "scoring.commend.tier: unknown tier 'golden'; known: any, satisfied, basic, unsatisfied" in str(
        info.value
    )


def test_group_details_keep_raw_values_and_what_was_dropped() -> None:
    a = scoring.score_section(RULES, "A", RAW["A"])
    lg, pd, npc, q = a.groups
    assert lg.dropped == (100, 80) and lg.mean == 90 and lg.used == 3
    assert pd.dropped == () and pd.mean == 85
    assert npc.mean == Fraction(375, 4)
    assert (q.mean, q.unknown_votes, len(q.values)) == (95, 5, 10)
    assert a.exact == Fraction("90.8125") and a.total == Decimal("90.81")


def test_tie_below_the_cut_is_not_flagged_and_shares_rank() -> None:
    same = (
        scores("leading-group", 80)
        + scores("party-delegates", 80)
        + votes("npc-deputies", basic=1)
        + votes("questionnaire", basic=1)
    )
    secs = [
        scoring.score_section(RULES, o, e)
        for o, e in [("P", RAW["A"]), ("Q", RAW["B"]), ("R", RAW["C"]), ("S", same), ("T", same)]
    ]
    ranking = scoring.rank(RULES, secs)
    assert [(r.office, r.rank, r.satisfied, r.tie_at_cut) for r in ranking.rows] == [
        ("P", 1, True, False),
        ("Q", 2, True, False),
        ("R", 3, False, False),
        ("S", 4, False, False),
        ("T", 4, False, False),
    ]
    assert ranking.tied_at_cut == ()


def test_unscored_section_is_listed_last_unranked() -> None:
    secs = [scoring.score_section(RULES, "X", []), scoring.score_section(RULES, "F", RAW["F"])]
    rows = scoring.rank(RULES, secs).rows
    assert [(r.office, r.rank, r.tier, r.satisfied) for r in rows] == [
        ("F", 1, "unsatisfied", False),
        ("X", None, None, False),
    ]


def test_rounding_is_half_up_on_two_decimals() -> None:
    assert scoring.round2(Fraction("80.125")) == Decimal("80.13")
    assert scoring.round2(Fraction(1, 3) * 100) == Decimal("33.33")
