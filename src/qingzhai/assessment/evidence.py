"""Evidence as the pure indicators read it: one frozen dataclass per kind of record, amounts in fen.

The importers (`sources.py`) turn the documented JSON/CSV formats into these; the service loads
them back from the evidence table. `Evidence` bundles one debtor's records: a source that is
`None` was never obtained (the indicator says `unknown`), an empty tuple means the source was
asked and has nothing (for example no court records at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class BankTxn:
    account: str
    on: date
    amount_fen: int  # positive: money in; negative: money out
    counterparty: str
    category: str
    balance_fen: int | None = None


@dataclass(frozen=True, slots=True)
class IdentityCheck:
    checked_on: date
    provider: str
    id_valid: bool
    name_matches: bool
    photo_match: float | None = None  # 0-1 face-match score, when a photo check was done


@dataclass(frozen=True, slots=True)
class Employment:
    verified_on: date
    status: str  # employed | self_employed | unemployed | retired
    employer: str | None
    since: date | None
    monthly_salary_fen: int | None
    social_insurance_months: int = 0


@dataclass(frozen=True, slots=True)
class Property:
    certificate: str
    checked_on: date
    address: str
    value_fen: int
    acquired_on: date | None
    share: float = 1.0
    encumbrance_fen: int = 0  # mortgages and court seizures registered against it
    seized: bool = False
    disposed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Vehicle:
    plate: str
    checked_on: date
    description: str
    value_fen: int
    registered_on: date | None
    pledged: bool = False
    disposed_on: date | None = None


@dataclass(frozen=True, slots=True)
class CourtRecord:
    case_no: str
    court: str
    kind: str  # litigation | enforcement (被执行人) | dishonest (失信被执行人) | consumption_ban (限高)
    role: str  # plaintiff | defendant
    amount_fen: int
    filed_on: date
    status: str  # open | closed | terminated_no_assets (终本)


@dataclass(frozen=True, slots=True)
class CreditAccount:
    lender: str
    kind: str  # credit_card | consumer_loan | mortgage | car_loan | business_loan | guarantee | other
    balance_fen: int
    monthly_payment_fen: int
    overdue_months: int
    status: str  # normal | overdue | written_off | closed


@dataclass(frozen=True, slots=True)
class CreditReport:
    reported_on: date
    bureau: str
    accounts: tuple[CreditAccount, ...]
    queries_6m: int = 0


@dataclass(frozen=True, slots=True)
class Interview:
    interviewed_on: date
    interviewee_role: str  # partner | supplier | customer | employer | reference | neighbour | debtor
    reliability: float  # 0-1, the interviewer's judgement of the source
    cooperative: bool | None = None
    business_active: bool | None = None
    hardship: str | None = None  # unemployment | illness | disaster
    assets_mentioned: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True, slots=True)
class ContactCheck:
    checked_on: date
    method: str  # phone | visit | letter | location_track (sensitive)
    phone_reachable: bool | None = None
    address_verified: bool | None = None


@dataclass(frozen=True, slots=True)
class DebtDocument:
    debt_ref: str
    checked_on: date
    contract: bool
    signed_on: date | None = None
    disbursement_fen: int | None = None
    disbursed_on: date | None = None
    acknowledgements: tuple[date, ...] = ()
    last_payment_on: date | None = None


@dataclass(frozen=True, slots=True)
class Financials:
    year: int
    reported_on: date
    revenue_fen: int
    receivables_fen: int
    total_assets_fen: int
    net_assets_fen: int
    employees: int


@dataclass(frozen=True, slots=True)
class ShellEvidence:
    """Findings of the shell-company detection for this debtor (from an imported registry graph)."""

    checked_on: date
    registry: str
    companies_tied: int
    findings: tuple[Mapping[str, Any], ...]  # ShellFinding.to_dict()


@dataclass(frozen=True, slots=True)
class DebtFacts:
    debt_ref: str
    principal_fen: int
    interest_fen: int
    fees_fen: int
    origination_date: date | None
    default_date: date


@dataclass(frozen=True, slots=True)
class OtherPlacement:
    """The same debtor's debt placed by another creditor (from the case registry)."""

    creditor: str
    debt_ref: str
    principal_fen: int
    origination_date: date | None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_number: int
    debtor_kind: str  # individual | enterprise
    currency: str
    placed_fen: int
    outstanding_fen: int
    debts: tuple[DebtFacts, ...]
    declared_income_fen: int | None = None
    other_placements: tuple[OtherPlacement, ...] = ()

    @property
    def default_date(self) -> date | None:
        return min((d.default_date for d in self.debts), default=None)


@dataclass(frozen=True)
class Evidence:
    identity: tuple[IdentityCheck, ...] | None = None
    bank: tuple[BankTxn, ...] | None = None
    employment: tuple[Employment, ...] | None = None
    property: tuple[Property, ...] | None = None
    vehicles: tuple[Vehicle, ...] | None = None
    financials: tuple[Financials, ...] | None = None
    registry: tuple[ShellEvidence, ...] | None = None
    court: tuple[CourtRecord, ...] | None = None
    credit: tuple[CreditReport, ...] | None = None
    interviews: tuple[Interview, ...] | None = None
    contact: tuple[ContactCheck, ...] | None = None
    debt_documents: tuple[DebtDocument, ...] | None = None
    # Data categories for which no legal basis is recorded (financial_accounts, location).
    withheld: frozenset[str] = field(default_factory=frozenset)
