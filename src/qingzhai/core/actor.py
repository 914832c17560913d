"""Who is acting: a user, a creditor's API client, or the platform itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    compliance_officer = "compliance_officer"
    collector = "collector"
    mediator = "mediator"
    creditor = "creditor"
    system = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    name: str
    role: Role
    creditor_id: str | None = None
    source: str | None = None  # where the request came from (IP, "cli", "job")


SYSTEM = Actor(id="system", name="system", role=Role.system, source="qingzhai")
