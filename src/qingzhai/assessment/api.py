"""HTTP routes of the assessment: run, read and version a case's assessment; import evidence; shells."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from fastapi.responses import HTMLResponse

from qingzhai import clock
from qingzhai.api.deps import ActorDep, SessionDep
from qingzhai.assessment import service
from qingzhai.assessment.graph import RegistryGraph
from qingzhai.assessment.report import render_html
from qingzhai.assessment.rules import AssessmentSettings
from qingzhai.assessment.schemas import (
    AssessmentRead,
    AssessmentRunCreate,
    AssessmentVersionRead,
    ImportReportRead,
    RunRead,
    ShellQuery,
)
from qingzhai.assessment.shells import detect_for_debtor
from qingzhai.assessment.sources import SOURCES
from qingzhai.core.errors import NotFound, RuleViolation
from qingzhai.registry import service as registry

router = APIRouter()


@router.post("/cases/{case_ref}/assessment", response_model=RunRead, tags=["assessment"])
def run_assessment(case_ref: str, session: SessionDep, actor: ActorDep,
                   body: AssessmentRunCreate | None = None) -> RunRead:
    """Assess the case now (a new version only if evidence, permissions or settings changed)."""
    body = body or AssessmentRunCreate()
    case = registry.get_case(session, case_ref, actor=actor)
    settings = AssessmentSettings.from_dict(body.settings) if body.settings else AssessmentSettings()
    result = service.assess_case(session, case, actor=actor, now=clock.now(), settings=settings, move=body.move)
    session.commit()
    return RunRead(case_number=result.case_number, version=result.version, new_version=result.new_version,
                   moved_to_planning=result.moved_to_planning, grade=result.summary.grade,
                   completeness=result.summary.completeness, fake_debt_risk=result.summary.fake_debt_risk,
                   red_flags=result.red_flags)


def _latest(session: Any, case: Any) -> Any:
    row = service.latest(session, case)
    if row is None:
        raise NotFound("this case has not been assessed", field="case_ref")
    return row


@router.get("/cases/{case_ref}/assessment", response_model=AssessmentRead, tags=["assessment"])
def get_assessment(case_ref: str, session: SessionDep, actor: ActorDep) -> AssessmentRead:
    case = registry.get_case(session, case_ref, actor=actor)
    return AssessmentRead.of(_latest(session, case), case.number)


@router.get("/cases/{case_ref}/assessment/versions", response_model=list[AssessmentVersionRead], tags=["assessment"])
def list_versions(case_ref: str, session: SessionDep, actor: ActorDep) -> list[AssessmentVersionRead]:
    case = registry.get_case(session, case_ref, actor=actor)
    return [AssessmentVersionRead.model_validate(r, from_attributes=True) for r in service.history(session, case)]


@router.get("/cases/{case_ref}/assessment/versions/{version}", response_model=AssessmentRead, tags=["assessment"])
def get_version(
    case_ref: str, version: Annotated[int, Path(ge=1, le=1_000_000)], session: SessionDep, actor: ActorDep
) -> AssessmentRead:
    case = registry.get_case(session, case_ref, actor=actor)
    return AssessmentRead.of(service.get_version(session, case, version), case.number)


@router.get("/cases/{case_ref}/assessment/report", response_class=HTMLResponse, tags=["assessment"])
def get_report(case_ref: str, session: SessionDep, actor: ActorDep) -> HTMLResponse:
    """The assessment report as one HTML page (evidence chain and registry drawing embedded)."""
    case = registry.get_case(session, case_ref, actor=actor)
    view = AssessmentRead.of(_latest(session, case), case.number)
    debtor = registry.get_debtor(session, case.debtor_id)
    return HTMLResponse(render_html(view, case_label=f"QZ-{case.number}", debtor_label=debtor.name,
                                    shells=service.evidence_subgraph(session, case)))


@router.post("/assessment/evidence/{source}", response_model=ImportReportRead, tags=["assessment"])
def import_evidence(source: str, session: SessionDep, actor: ActorDep,
                    records: list[dict[str, Any]] = Body(..., description="Records in the source's documented format; "
                                                         "bank: one object per transaction with the CSV columns.")
                    ) -> ImportReportRead:
    if source not in SOURCES:
        raise RuleViolation("unknown source; one of " + ", ".join(SOURCES), field="source")
    digest = hashlib.sha256(json.dumps(records, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    report = service.import_records(session, source=source, records=list(enumerate(records)), filename="api",
                                    sha256=digest, actor=actor, now=clock.now())
    session.commit()
    return ImportReportRead(**report.to_dict())


@router.post("/assessment/registry", response_model=ImportReportRead, tags=["assessment"])
def import_registry(session: SessionDep, actor: ActorDep,
                    document: dict[str, Any] = Body(..., description="A registry document.")) -> ImportReportRead:
    """Run the shell detection for the document's debtors and store the findings as evidence."""
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    report = service.import_registry(session, document=document, filename="api", sha256=digest, actor=actor,
                                     now=clock.now())
    session.commit()
    return ImportReportRead(**report.to_dict())


@router.post("/assessment/shells", tags=["assessment"])
def find_shells(query: ShellQuery, actor: ActorDep) -> dict[str, Any]:
    """Findings around one debtor of a registry document, ranked, each with its path (nothing is stored)."""
    graph = RegistryGraph.from_document(query.registry)
    try:
        when = date.fromisoformat(query.default_date) if query.default_date else None
    except ValueError:
        raise RuleViolation("is not an ISO date (YYYY-MM-DD)", field="default_date") from None
    return detect_for_debtor(graph, query.debtor, default_date=when).to_dict()
