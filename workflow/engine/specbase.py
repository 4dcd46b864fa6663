"""The base of every definition-file model: frozen, unknown keys refused, titles in both languages.

A leaf: :mod:`workflow.engine.spec` and :mod:`workflow.review.scoring_rules` (which the spec
imports) both build on it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Titles(Spec):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}
