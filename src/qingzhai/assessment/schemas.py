"""API shapes of the assessment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from qingzhai.i18n import _


def render(finding: dict[str, Any]) -> str:
    """A stored finding (English message id + parameters) in the user's language."""
    try:
        return _(finding["text"], **finding.get("params", {}))
    except (KeyError, ValueError, IndexError):
        return str(finding.get("text", ""))


class IndicatorRead(BaseModel):
    key: str = Field(description="One of the 12 indicators (identity, cash_flow, … authenticity).")
    status: str = Field(description="known, unknown (source missing) or withheld (no legal basis recorded).")
    score: int | None = Field(description="0-100, higher is better for recovery; null unless known.")
    confidence: float = Field(description="0-1; 0 unless known.")
    findings: list[str]
    evidence: list[dict[str, Any]] = Field(description="Source, date observed, record reference.")
    facts: dict[str, Any]


class RedFlagRead(BaseModel):
    code: str
    severity: str
    finding: str
    evidence: list[dict[str, Any]]


class AssessmentRead(BaseModel):
    case_number: int
    version: int
    assessed_at: datetime
    grade: str = Field(description="A (best) to E.")
    completeness: float = Field(description="Share of the indicators' weight that is known, 0-1.")
    score: float | None
    summary: dict[str, Any] = Field(description="The AssessmentSummary planning reads (money as amount + currency).")
    indicators: list[IndicatorRead]
    red_flags: list[RedFlagRead]
    fake_debt_reasons: list[str]
    assets: dict[str, Any]
    withheld: list[str] = Field(description="Sensitive data categories not used for lack of a legal basis.")

    @classmethod
    def of(cls, row: Any, case_number: int) -> AssessmentRead:
        result = row.result

        def flag(r: dict[str, Any]) -> RedFlagRead:
            return RedFlagRead(code=r["code"], severity=r["severity"], finding=render(r["finding"]), evidence=r["evidence"])

        return cls(
            case_number=case_number, version=row.version, assessed_at=row.assessed_at, grade=row.grade,
            completeness=row.completeness, score=result.get("score"), summary=row.summary,
            indicators=[IndicatorRead(key=i["key"], status=i["status"], score=i["score"], confidence=i["confidence"],
                                      findings=[render(f) for f in i["findings"]], evidence=i["evidence"], facts=i["facts"])
                        for i in result["indicators"]],
            red_flags=[flag(r) for r in result["red_flags"]],
            fake_debt_reasons=[render(f) for f in result["fake_debt_reasons"]],
            assets=result.get("assets", {}), withheld=result.get("withheld", []),
        )


class AssessmentVersionRead(BaseModel):
    version: int
    assessed_at: datetime
    grade: str
    completeness: float
    fake_debt_risk: str
    concealment_flagged: bool
    actor_name: str


class RunRead(BaseModel):
    case_number: int
    version: int
    new_version: bool = Field(description="False when nothing changed since the last version.")
    moved_to_planning: bool
    grade: str
    completeness: float
    fake_debt_risk: str
    red_flags: int


class AssessmentRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    settings: dict[str, Any] | None = Field(None, description="Overrides of AssessmentSettings (see docs/assessment.md).")
    move: bool = Field(True, description="Move the case to planning when complete enough.")


class ImportReportRead(BaseModel):
    source: str
    filename: str
    records: int
    added: int
    updated: int
    unchanged: int
    rejected: list[dict[str, Any]]
    batch_id: str | None
    findings: int


class ShellQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    registry: dict[str, Any] = Field(description="A registry document in the documented format.")
    debtor: str = Field(description="A debtor id from the document's `debtors`, or any person/company id.")
    default_date: str | None = Field(None, description="ISO date; overrides the debtor's default date.")
