"""Exit conditions: a registry of small condition types with one protocol.

The protocol and the facts are in :mod:`workflow.conditions.base`; each
member module registers its types:

- :mod:`~workflow.conditions.filings`: ``requirement-filed``
- :mod:`~workflow.conditions.items`: ``items-confirmed``, ``rectification-confirmed``
- :mod:`~workflow.conditions.dates`: ``not-before``
- :mod:`~workflow.conditions.scores`: ``all-scored``, ``score-at-least``
- :mod:`~workflow.conditions.veto`: ``veto``

To add a type: subclass :class:`Condition` in a member module, give it fields
and ``needs``, decorate it with :func:`register`, and import the module here.
"""

from workflow.conditions import dates, filings, items, scores, veto
from workflow.conditions.base import NEEDS, REGISTRY, Condition, SectionFacts, register
from workflow.conditions.filings import RequirementFiled

__all__ = ["NEEDS", "REGISTRY", "Condition", "RequirementFiled", "SectionFacts", "dates",
           "filings", "items", "register", "scores", "veto"]
