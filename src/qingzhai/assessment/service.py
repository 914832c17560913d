"""Use cases of the assessment: import evidence, assess cases (versioned), read the latest summary.

Services never commit; the CLI command, request or job that calls them does.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qingzhai.assessment import sources
from qingzhai.assessment.evidence import BankTxn, CaseFacts, DebtFacts, Evidence, OtherPlacement, ShellEvidence
from qingzhai.assessment.graph import RegistryGraph
from qingzhai.assessment.models import Assessment, EvidenceImport, EvidenceRecord
from qingzhai.assessment.outcome import AssessmentOutcome, assess
from qingzhai.assessment.rules import AssessmentSettings, AssessmentSummary, money_to_fen
from qingzhai.assessment.shells import ShellSettings, detect
from qingzhai.core.actor import Actor
from qingzhai.core.errors import DomainError, FileRefused, NotFound, RuleViolation
from qingzhai.core.masking import mask_account
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage

log = logging.getLogger(__name__)

SENSITIVE_CATEGORIES = ("financial_accounts", "location")
PURPOSE = "assessment"


# --- legal basis (PIPL) -----------------------------------------------------------------------


class BasisCheck(Protocol):
    def __call__(self, session: Session, *, debtor_id: str, category: str, purpose: str, now: datetime) -> bool: ...


def _security() -> Any | None:
    try:
        return importlib.import_module("qingzhai.security.service")
    except ImportError:
        return None


def security_basis(session: Session, *, debtor_id: str, category: str, purpose: str, now: datetime) -> bool:
    """`security.service.has_basis`; without the security capability no sensitive data is used."""
    module = _security()
    if module is None or not hasattr(module, "has_basis"):
        return False
    return bool(module.has_basis(session, debtor_id=debtor_id, category=category, purpose=purpose, now=now))


def _audit(session: Session, *, actor: Actor, action: str, now: datetime, case_id: str | None = None,
           debtor_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    module = _security()
    if module is not None and hasattr(module, "audit"):
        module.audit(session, actor=actor, action=action, now=now, case_id=case_id, debtor_id=debtor_id, detail=detail)


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    source: str
    filename: str
    records: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"at", "field", "reason"}
    batch_id: str | None = None
    findings: int = 0  # registry imports: shell findings stored

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "filename": self.filename, "records": self.records, "added": self.added,
                "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
                "batch_id": self.batch_id, "findings": self.findings}


def _digest(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class _Debtors:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str | None, str | None], str] = {}

    def resolve(self, debtor_id: str | None, id_number: str | None) -> str:
        key = (debtor_id, id_number)
        if key not in self.cache:
            if debtor_id:
                self.cache[key] = registry.get_debtor(self.session, debtor_id).id
            else:
                found = registry.find_debtor_by_id_number(self.session, id_number or "")
                if found is None:
                    raise NotFound("no debtor with this ID number", field="id_number")
                self.cache[key] = found.id
        return self.cache[key]


def _store(session: Session, report: ImportReport, *, debtor_id: str, source: str, key: str, observed: Any,
           payload: dict[str, Any], now: datetime, existing: dict[tuple[str, str, str], Any]) -> None:
    digest = _digest(payload)
    row = existing.get((debtor_id, source, key))
    if row is None and (debtor_id, source, "*") not in existing:
        row = session.scalar(select(EvidenceRecord).where(
            EvidenceRecord.debtor_id == debtor_id, EvidenceRecord.source == source, EvidenceRecord.record_key == key))
    if row is None:
        row = EvidenceRecord(debtor_id=debtor_id, source=source, record_key=key, observed_on=observed, payload=payload,
                             digest=digest, batch_id=report.batch_id, imported_at=now)
        session.add(row)
        report.added += 1
    elif row.digest == digest:
        report.unchanged += 1
    else:
        row.payload, row.digest, row.observed_on = payload, digest, observed
        row.batch_id, row.imported_at = report.batch_id, now
        report.updated += 1
    existing[(debtor_id, source, key)] = row


def _prefetch(session: Session, source: str, debtor_ids: Iterable[str]) -> dict[tuple[str, str, str], Any]:
    """Stored records of these debtors for one source, keyed for `_store` (one query per 500 debtors)."""
    ids = sorted(set(debtor_ids))
    found: dict[tuple[str, str, str], Any] = {(d, source, "*"): True for d in ids}
    for start in range(0, len(ids), 500):
        rows = session.scalars(select(EvidenceRecord).where(EvidenceRecord.source == source,
                                                            EvidenceRecord.debtor_id.in_(ids[start:start + 500]))).all()
        found.update({(r.debtor_id, r.source, r.record_key): r for r in rows})
    return found


def _batch(session: Session, report: ImportReport, *, sha256: str, actor: Actor, now: datetime) -> EvidenceImport:
    batch = EvidenceImport(source=report.source, filename=report.filename[:500], sha256=sha256, started_at=now,
                           actor_name=actor.name)
    session.add(batch)
    session.flush()
    report.batch_id = batch.id
    return batch


def _close(batch: EvidenceImport, report: ImportReport) -> None:
    batch.records, batch.added, batch.updated = report.records, report.added, report.updated
    batch.unchanged, batch.rejected = report.unchanged, len(report.rejected)


def import_records(
    session: Session, *, source: str, records: Iterable[tuple[int | str, Mapping[str, Any]]], filename: str,
    sha256: str, actor: Actor, now: datetime,
) -> ImportReport:
    """Store records of one source; bad records are rejected with their position and field, the rest kept."""
    if source not in sources.SOURCES:
        raise RuleViolation("unknown source; one of " + ", ".join(sources.SOURCE_NAMES), field="source")
    report = ImportReport(source=source, filename=filename)
    batch = _batch(session, report, sha256=sha256, actor=actor, now=now)
    debtors = _Debtors(session)
    parsed_rows: list[tuple[str, sources.ParsedRecord]] = []
    accounts: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for at, record in records:
        report.records += 1
        try:
            parsed = sources.parse_record(source, record, "")
            debtor_id = debtors.resolve(parsed.debtor_id, parsed.id_number)
        except DomainError as exc:
            report.rejected.append({"at": at, "field": exc.field, "reason": exc.reason})
            continue
        if source == "bank":
            p = parsed.payload
            accounts[(debtor_id, p["account"])].append((
                date.fromisoformat(p["date"]).toordinal(), p["amount"], p.get("counterparty", ""), p["category"],
                p.get("balance")))
            continue
        parsed_rows.append((debtor_id, parsed))
    existing = _prefetch(session, source, [d for d, _p in parsed_rows] + [d for d, _a in accounts])
    for debtor_id, parsed in parsed_rows:
        _store(session, report, debtor_id=debtor_id, source=source, key=parsed.key, observed=parsed.observed_on,
               payload=parsed.payload, now=now, existing=existing)
    if source == "bank":
        # One evidence record per account: a statement file is the account's whole history.
        report.records, records_seen = 0, report.records
        for (debtor_id, account), rows in accounts.items():
            rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
            payload = {"account": mask_account(account), "transactions": [list(r) for r in rows]}
            last = date.fromordinal(rows[-1][0])
            _store(session, report, debtor_id=debtor_id, source="bank", key=registry.identity_key(account),
                   observed=last, payload=payload, now=now, existing=existing)
        report.records = records_seen
    _close(batch, report)
    session.flush()
    return report


def import_file(session: Session, *, source: str, data: bytes, filename: str, actor: Actor, now: datetime,
                shell_settings: ShellSettings | None = None) -> ImportReport:
    sha = hashlib.sha256(data).hexdigest()
    if source == "registry":
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise FileRefused("the registry file is not UTF-8 JSON", field="file") from None
        return import_registry(session, document=document, filename=filename, sha256=sha, actor=actor, now=now,
                               settings=shell_settings)
    return import_records(session, source=source, records=sources.read_records(source, data), filename=filename,
                          sha256=sha, actor=actor, now=now)


def import_registry(session: Session, *, document: Mapping[str, Any], filename: str, sha256: str, actor: Actor,
                    now: datetime, settings: ShellSettings | None = None) -> ImportReport:
    """Run the shell detection for every listed debtor known to qingzhai and store the findings as evidence."""
    graph = RegistryGraph.from_document(document)
    report = ImportReport(source="registry", filename=filename)
    batch = _batch(session, report, sha256=sha256, actor=actor, now=now)
    existing: dict[tuple[str, str, str], EvidenceRecord] = {}
    for debtor_id, (node, day) in graph.debtors.items():
        report.records += 1
        try:
            registry.get_debtor(session, debtor_id)
        except NotFound as exc:
            report.rejected.append({"at": debtor_id, "field": "debtors.id", "reason": exc.reason})
            continue
        found = detect(graph, node, default_day=day, settings=settings)
        payload = found.to_dict() | {"registry": filename}
        report.findings += len(found.findings)
        _store(session, report, debtor_id=debtor_id, source="registry", key=sha256[:32], observed=registry.local_today(now),
               payload=payload, now=now, existing=existing)
    _close(batch, report)
    session.flush()
    return report


def collect(session: Session, *, provider: sources.EvidenceProvider, debtor_ids: Sequence[str], actor: Actor,
            now: datetime) -> ImportReport:
    """Ask a live provider about each debtor and store the answers like an imported file."""
    records: list[tuple[int | str, Mapping[str, Any]]] = []
    for debtor_id in debtor_ids:
        debtor = registry.get_debtor(session, debtor_id)
        for i, rec in enumerate(provider.fetch(debtor_id=debtor.id, id_number=debtor.id_number, name=debtor.name)):
            records.append((f"{debtor.id}#{i}", {**rec, "debtor_id": debtor.id}))
    fingerprint = _digest({"provider": provider.source, "records": [r for _a, r in records]})
    return import_records(session, source=provider.source, records=records, filename=f"provider:{provider.source}",
                          sha256=fingerprint, actor=actor, now=now)


# --- loading evidence and facts ---------------------------------------------------------------


def load_evidence(session: Session, debtor_ids: Sequence[str], *, now: datetime,
                  basis: BasisCheck = security_basis) -> tuple[dict[str, Evidence], dict[str, str]]:
    """Evidence per debtor, with the sensitive categories that lack a legal basis marked as withheld.

    Also returns an inputs digest per debtor (which records, which versions, which permissions).
    """
    grouped: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    digests: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(debtor_ids), 500):
        chunk = list(debtor_ids[start:start + 500])
        rows = session.execute(
            select(EvidenceRecord.debtor_id, EvidenceRecord.source, EvidenceRecord.payload, EvidenceRecord.digest,
                   EvidenceRecord.observed_on)
            .where(EvidenceRecord.debtor_id.in_(chunk))
            .order_by(EvidenceRecord.debtor_id, EvidenceRecord.source, EvidenceRecord.record_key)).all()
        for debtor_id, source, payload, digest, observed in rows:
            digests[debtor_id].append(digest)
            if payload.get("nothing_found"):
                grouped[debtor_id].setdefault(source, [])  # asked, nothing there: known and empty
            elif source == "bank":
                grouped[debtor_id]["bank"].extend(sources.bank_payload_rows(payload))
            elif source == "registry":
                grouped[debtor_id]["registry"].append(ShellEvidence(
                    checked_on=observed, registry=str(payload.get("registry", "")),
                    companies_tied=int(payload.get("companies_tied", 0)), findings=tuple(payload.get("findings", ()))))
            else:
                grouped[debtor_id][source].append(sources.to_evidence(source, payload))
    out: dict[str, Evidence] = {}
    keys: dict[str, str] = {}
    for debtor_id in debtor_ids:
        parts = grouped.get(debtor_id, {})
        withheld = frozenset(c for c in SENSITIVE_CATEGORIES
                             if not basis(session, debtor_id=debtor_id, category=c, purpose=PURPOSE, now=now))
        values: dict[str, Any] = {name: tuple(parts[name]) for name in parts}
        bank: tuple[BankTxn, ...] | None = values.pop("bank", None)
        out[debtor_id] = Evidence(**values, bank=bank, withheld=withheld)
        keys[debtor_id] = _digest({"records": sorted(digests.get(debtor_id, [])), "withheld": sorted(withheld)})
    return out, keys


BULK_FROM = 200  # batches of at least this many cases (and a fifth of the portfolio) load it whole


@dataclass
class _Portfolio:
    """For a large batch: every case grouped by debtor, and every debtor held (so the identity map
    keeps them and `get_debtor` needs no query) — two queries instead of three per case."""

    cases_by_debtor: dict[str, list[Any]]
    debtors: list[Any]


def _portfolio(session: Session, cases: Sequence[Any]) -> _Portfolio | None:
    _rows, total = registry.list_cases(session, limit=0)
    if len(cases) < BULK_FROM or len(cases) * 5 < total:
        return None
    debtors, _n = registry.list_debtors(session, limit=10_000_000)
    everything, _total = registry.list_cases(session, limit=10_000_000)
    grouped: dict[str, list[Any]] = defaultdict(list)
    for c in everything:
        grouped[c.debtor_id].append(c)
    return _Portfolio(grouped, list(debtors))


def case_facts(session: Session, case: Any, *, portfolio: _Portfolio | None = None) -> CaseFacts:
    debtor = registry.get_debtor(session, case.debtor_id)
    debts = tuple(DebtFacts(d.debt_ref, money_to_fen(d.principal), money_to_fen(d.interest), money_to_fen(d.fees),
                            d.origination_date, d.default_date) for d in registry.case_debts(session, case))
    others: list[OtherPlacement] = []
    if portfolio is not None:
        cases: Sequence[Any] = portfolio.cases_by_debtor.get(case.debtor_id, [])
    else:
        cases, _total = registry.list_cases(session, debtor_id=case.debtor_id, limit=100)
    for other in cases:
        if other.id == case.id or other.creditor_id == case.creditor_id:
            continue
        creditor = registry.get_creditor(session, other.creditor_id).name
        for d in registry.case_debts(session, other):
            others.append(OtherPlacement(creditor, d.debt_ref, money_to_fen(d.principal), d.origination_date))
    income = debtor.monthly_income
    return CaseFacts(
        case_number=case.number, debtor_kind=debtor.kind, currency=case.currency,
        placed_fen=money_to_fen(case.placed_amount),
        outstanding_fen=money_to_fen(case.placed_amount - case.recovered_amount), debts=debts,
        declared_income_fen=money_to_fen(income) if income is not None else None, other_placements=tuple(others),
    )


# --- assessing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    case_id: str
    case_number: int
    version: int
    new_version: bool
    moved_to_planning: bool
    summary: AssessmentSummary
    red_flags: int
    outcome: AssessmentOutcome | None


def _settings_digest(settings: AssessmentSettings) -> str:
    return _digest({k: (dict(v) if isinstance(v, Mapping) else v) for k, v in vars(settings).items()})


def assess_cases(
    session: Session, cases: Sequence[Any], *, actor: Actor, now: datetime, settings: AssessmentSettings | None = None,
    basis: BasisCheck = security_basis, progress: Callable[[int], None] | None = None, move: bool = True,
) -> list[RunResult]:
    """Assess each case; a new version only when its evidence, permissions, settings or day changed."""
    settings = settings or AssessmentSettings()
    results: list[RunResult] = []
    settings_key = _settings_digest(settings)
    portfolio = _portfolio(session, cases)
    for start in range(0, len(cases), 500):
        chunk = list(cases[start:start + 500])
        evidence, keys = load_evidence(session, sorted({c.debtor_id for c in chunk}), now=now, basis=basis)
        latest = _latest_many(session, [c.id for c in chunk])
        done: list[RunResult] = []
        for case in chunk:
            with session.no_autoflush:
                done.append(_assess_one(session, case, evidence[case.debtor_id], keys[case.debtor_id], settings,
                                        settings_key, latest.get(case.id), actor=actor, now=now, portfolio=portfolio))
            if progress is not None:
                progress(1)
        session.flush()  # the chunk's new versions in one batch of inserts
        if move:
            by_id = {c.id: c for c in chunk}
            done = [replace(r, moved_to_planning=_maybe_move(session, by_id[r.case_id], r.summary, settings, actor=actor,
                                                             now=now)) for r in done]
        # One audit entry per batch of up to 500 cases (reads of personal data for the assessment).
        fresh = [r for r in done if r.new_version]
        if fresh:
            _audit(session, actor=actor, action="assessment.run", now=now,
                   case_id=fresh[0].case_id if len(fresh) == 1 else None,
                   detail={"cases": [r.case_number for r in fresh], "versions": [r.version for r in fresh]})
        results.extend(done)
    return results


def assess_case(session: Session, case: Any, *, actor: Actor, now: datetime, settings: AssessmentSettings | None = None,
                basis: BasisCheck = security_basis, move: bool = True) -> RunResult:
    return assess_cases(session, [case], actor=actor, now=now, settings=settings, basis=basis, move=move)[0]


def _assess_one(session: Session, case: Any, evidence: Evidence, evidence_key: str, settings: AssessmentSettings,
                settings_key: str, previous: Assessment | None, *, actor: Actor, now: datetime,
                portfolio: _Portfolio | None = None) -> RunResult:
    if case.stage == Stage.closed.value:
        raise RuleViolation(f"case {case.number} is closed", field="case_id")
    facts = case_facts(session, case, portfolio=portfolio)
    as_of = registry.local_today(now)
    inputs = _digest({"evidence": evidence_key, "settings": settings_key, "as_of": as_of.isoformat(),
                      "facts": repr(facts)})
    if previous is not None and previous.inputs_digest == inputs:
        summary = AssessmentSummary.from_dict(previous.summary)
        return RunResult(case.id, case.number, previous.version, False, False, summary,
                         len(previous.result.get("red_flags", [])), None)
    outcome = assess(evidence, facts, now=now, as_of=as_of, settings=settings)
    version = (previous.version if previous else 0) + 1
    row = Assessment(
        case_id=case.id, version=version, assessed_at=now, grade=outcome.summary.grade,
        completeness=outcome.summary.completeness, fake_debt_risk=outcome.summary.fake_debt_risk,
        concealment_flagged=outcome.summary.concealment_flagged, inputs_digest=inputs,
        summary=outcome.summary.to_dict(), result=outcome.to_dict() | {"withheld": sorted(evidence.withheld)},
        actor_name=actor.name,
    )
    session.add(row)
    registry.record_event(session, case, "assessed", actor=actor, now=now, data={
        "version": version, "grade": row.grade, "completeness": row.completeness, "fake_debt_risk": row.fake_debt_risk})
    return RunResult(case.id, case.number, version, True, False, outcome.summary, len(outcome.red_flags), outcome)


def ready_for_planning(summary: AssessmentSummary, settings: AssessmentSettings) -> bool:
    """Complete enough, and not a debt that may be fake (that goes to a person first)."""
    return summary.completeness >= settings.planning_completeness and summary.fake_debt_risk != "high"


def _maybe_move(session: Session, case: Any, summary: AssessmentSummary, settings: AssessmentSettings, *,
                actor: Actor, now: datetime) -> bool:
    if case.stage != Stage.assessment.value or not ready_for_planning(summary, settings):
        return False
    registry.advance_case(session, case, to=Stage.planning, actor=actor, now=now,
                          reason=f"assessment complete ({summary.completeness:.0%}), grade {summary.grade}")
    return True


def _latest_many(session: Session, case_ids: Sequence[str]) -> dict[str, Assessment]:
    if not case_ids:
        return {}
    newest = (select(Assessment.case_id, func.max(Assessment.version).label("v"))
              .where(Assessment.case_id.in_(case_ids)).group_by(Assessment.case_id).subquery())
    rows = session.scalars(select(Assessment).join(
        newest, (Assessment.case_id == newest.c.case_id) & (Assessment.version == newest.c.v))).all()
    return {r.case_id: r for r in rows}


def latest(session: Session, case: Any) -> Assessment | None:
    return session.scalar(select(Assessment).where(Assessment.case_id == case.id)
                          .order_by(Assessment.version.desc()).limit(1))


def history(session: Session, case: Any) -> Sequence[Assessment]:
    return session.scalars(select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.version)).all()


def get_version(session: Session, case: Any, version: int) -> Assessment:
    row = session.scalar(select(Assessment).where(Assessment.case_id == case.id, Assessment.version == version))
    if row is None:
        raise NotFound(f"no assessment version {version} for this case", field="version")
    return row


def latest_summary(session: Session, case: Any) -> AssessmentSummary | None:
    """The summary planning, scoring and litigation read (None before the first assessment)."""
    row = latest(session, case)
    return AssessmentSummary.from_dict(row.summary) if row is not None else None


def evidence_subgraph(session: Session, case: Any) -> dict[str, Any] | None:
    """The registry subgraph (nodes and links on the findings' paths) stored for the case's debtor."""
    row = session.scalar(select(EvidenceRecord).where(EvidenceRecord.debtor_id == case.debtor_id,
                                                      EvidenceRecord.source == "registry")
                         .order_by(EvidenceRecord.imported_at.desc()).limit(1))
    if row is None:
        return None
    return {"subgraph": row.payload.get("subgraph", {}), "findings": row.payload.get("findings", []),
            "registry": row.payload.get("registry"), "debtor": row.payload.get("debtor")}


def evidence_counts(session: Session, case: Any) -> dict[str, int]:
    rows = session.execute(select(EvidenceRecord.source, func.count()).where(EvidenceRecord.debtor_id == case.debtor_id)
                           .group_by(EvidenceRecord.source)).all()
    return {source: int(n) for source, n in rows}
