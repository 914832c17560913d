"""The audit report as JSON, with reasons in English and Chinese."""

from __future__ import annotations

from typing import Any

from qingzhai.compliance.audit import AuditReport
from qingzhai.compliance.presets import preset
from qingzhai.compliance.texts import reason


def audit_json(report: AuditReport, *, limit: int | None = None) -> dict[str, Any]:
    rules = preset(report.preset)
    violations = report.violations if limit is None else report.violations[:limit]
    return {
        "violations": [
            {"attempt_id": v.attempt_id, "line": v.line, "debtor_id": v.debtor_id, "rule": v.rule,
             "reason": reason(v.finding, rules).text, "reason_en": reason(v.finding).text_en,
             "reason_zh": reason(v.finding).text_zh}
            for v in violations
        ],
        "summary": {
            "preset": report.preset, "rows": report.rows, "debtors": report.debtors,
            "violations": len(report.violations), "violating_attempts": report.violating_attempts,
            "by_rule": report.by_rule(),
            "first": report.first.isoformat() if report.first else None,
            "last": report.last.isoformat() if report.last else None,
        },
    }
