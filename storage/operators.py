"""Queries over the operator table."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.operator_models import Operator


def count(s: Session) -> int:
    return s.execute(select(func.count()).select_from(Operator)).scalar_one()


def lock_first_supervisor(s: Session) -> None:
    """PostgreSQL: serialize concurrent ``init``s deciding who the first supervisor is."""
    s.execute(text("SELECT pg_advisory_xact_lock(hashtext('manyi-first-supervisor:' || current_schema()))"))


def find(s: Session, name: str) -> Operator | None:
    return s.scalars(select(Operator).where(Operator.name == name)).first()


def find_login(s: Session, login: str) -> Operator | None:
    return s.scalars(select(Operator).where(Operator.db_login == login)).first()


def active_supervisors(s: Session) -> int:
    q = (
        select(func.count())
        .select_from(Operator)
        .where(Operator.role == "supervisor", col(Operator.disabled_at).is_(None))
    )
    return s.execute(q).scalar_one()


def all_(s: Session) -> list[Operator]:
    return list(s.scalars(select(Operator).order_by(Operator.id)))


def office_names(s: Session) -> list[str]:
    """Every office (section) name of every campaign, sorted, once each."""
    from storage.models import Section

    return sorted(set(s.scalars(select(Section.name))))  # code-point order on every backend


def rename_office(s: Session, old: str, new: str) -> None:
    """A clerk bound to an office follows the office when it is renamed."""
    from sqlalchemy import update

    s.execute(update(Operator).where(Operator.office == old).values(office=new))
