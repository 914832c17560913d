"""Daily work: assess every case waiting in the assessment stage (idempotent: a case whose
evidence, permissions and settings did not change since today's version gets no new version)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from qingzhai.assessment import service
from qingzhai.assessment.rules import AssessmentSettings
from qingzhai.core.actor import SYSTEM
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage


def assess_waiting_cases(session: Session, *, now: datetime, settings: AssessmentSettings | None = None) -> dict[str, int]:
    """Assess the cases in `assessment`; move the complete-enough ones to planning. The caller commits."""
    cases, _total = registry.list_cases(session, stage=Stage.assessment, limit=10_000_000)
    results = service.assess_cases(session, list(cases), actor=SYSTEM, now=now, settings=settings)
    return {"assessed": len(results), "new_versions": sum(r.new_version for r in results),
            "moved_to_planning": sum(r.moved_to_planning for r in results)}
