"""Queries over the operator table."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.operator_models import Operator


def count(s: Session) -> int:
    return s.execute(select(func.count()).select_from(Operator)).scalar_one()


def find(s: Session, name: str) -> Operator | None:
    return s.scalars(select(Operator).where(Operator.name == name)).first()


def all_(s: Session) -> list[Operator]:
    return list(s.scalars(select(Operator).order_by(Operator.id)))  # type: ignore[arg-type]


def office_names(s: Session) -> list[str]:
    """Every office (section) name of every campaign, sorted, once each."""
    from storage.models import Section

    return sorted(set(s.scalars(select(Section.name))))  # code-point order on every backend
