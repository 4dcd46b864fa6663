"""Exit conditions: a registry of small condition types with one protocol.

The protocol and the facts are in :mod:`workflow.engine.conditions.base`; each
member module registers its types:

- :mod:`~workflow.engine.conditions.filings`: ``requirement-filed``
- :mod:`~workflow.engine.conditions.items`: ``items-confirmed``, ``rectification-confirmed``
- :mod:`~workflow.engine.conditions.dates`: ``not-before``
- :mod:`~workflow.engine.conditions.scores`: ``all-scored``, ``score-at-least``
- :mod:`~workflow.engine.conditions.veto`: ``veto``

To add a type: subclass :class:`Condition` in a member module, give it fields
and ``needs``, decorate it with :func:`register`, and import the module here.
"""

from workflow.engine.conditions import dates, filings, items, scores, veto
from workflow.engine.conditions.base import (
    NEEDS,
    REGISTRY,
    Condition,
    SectionFacts,
    facts_key,
    register,
)
from workflow.engine.conditions.filings import RequirementFiled

__all__ = [
    "NEEDS",
    "REGISTRY",
    "Condition",
    "RequirementFiled",
    "SectionFacts",
    "dates",
    "facts_key",
    "filings",
    "items",
    "register",
    "scores",
    "veto",
]
