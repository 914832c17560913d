"""Named counters for human-friendly numbers (case 1042), safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from qingzhai.db.base import Base


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def allocate(session: Session, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers; returns the first. The row lock serialises writers."""
    for _ in range(2):
        result = session.execute(
            update(Counter)
            .where(Counter.name == name)
            .values(value=Counter.value + count)
            .returning(Counter.value)
        ).scalar_one_or_none()
        if result is not None:
            return int(result) - count + 1
        try:
            with session.begin_nested():
                session.add(Counter(name=name, value=0))
                session.flush()
        except IntegrityError:
            pass
    raise RuntimeError(f"could not allocate from counter {name}")  # pragma: no cover


def peek(session: Session, name: str) -> int:
    return int(session.scalar(select(Counter.value).where(Counter.name == name)) or 0)
