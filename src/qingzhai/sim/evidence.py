"""Synthetic assessment evidence consistent with a portfolio: bank statements over 36 months,
a business-registry graph with planted asset transfers through shell companies and nominees,
court records, credit reports, interviews, contact checks, debt documents.

Same seed and debtors, same evidence. `planted` lists every transfer that was planted on purpose,
so a demo or a test can check that the detection finds them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from qingzhai.registry import service as registry

BANK_COLUMNS = ("debtor_id", "account", "date", "amount", "counterparty", "category", "balance")
LENDING_PLATFORMS = ("易借花", "闪电贷", "随心借", "快易金", "小鹿分期")
SHELL_WORDS = ("恒远", "鑫达", "瑞丰", "嘉禾", "华晟", "盛泰", "永安", "德信", "宏图", "金诚")


@dataclass(frozen=True)
class DebtProfile:
    debt_ref: str
    principal: Decimal
    origination: date | None
    default: date


@dataclass(frozen=True)
class DebtorProfile:
    debtor_id: str
    kind: str  # individual | enterprise
    name: str
    id_number: str
    monthly_income: Decimal | None
    address: str | None
    phone: str | None
    debts: tuple[DebtProfile, ...]


@dataclass(frozen=True)
class EvidenceMix:
    planted_share: float = 0.15  # debtors who moved assets to a shell company
    fake_debt_share: float = 0.04  # debts whose disbursement does not match (or no contract)
    gambler_share: float = 0.03
    platform_borrower_share: float = 0.06
    bank_share: float = 0.7  # debtors whose statements were obtained
    unemployed_share: float = 0.1


@dataclass
class EvidenceSet:
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # source -> records
    bank_rows: list[dict[str, str]] = field(default_factory=list)
    registry: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    planted: list[dict[str, Any]] = field(default_factory=list)


def profiles_from_db(session: Session, *, stage: str | None = None) -> list[DebtorProfile]:
    """One profile per debtor of the portfolio in the database (all its debts)."""
    from qingzhai.registry.rules import Stage

    cases, _total = registry.list_cases(session, stage=Stage(stage) if stage else None, limit=10_000_000)
    debts: dict[str, list[DebtProfile]] = {}
    for case in cases:
        for d in registry.case_debts(session, case):
            debts.setdefault(case.debtor_id, []).append(DebtProfile(d.debt_ref, d.principal, d.origination_date, d.default_date))
    out = []
    for debtor_id, items in debts.items():
        debtor = registry.get_debtor(session, debtor_id)
        out.append(DebtorProfile(debtor.id, debtor.kind, debtor.name, debtor.id_number, debtor.monthly_income,
                                 debtor.address, debtor.phone, tuple(items)))
    return out


def _money(fen: int) -> str:
    return f"{Decimal(int(fen)) / 100:.2f}"


def _day(d: date) -> str:
    return d.isoformat()


class _Builder:
    def __init__(self, seed: int, as_of: date, mix: EvidenceMix) -> None:
        self.rng = np.random.default_rng(seed)
        self.as_of = as_of
        self.mix = mix
        self.out = EvidenceSet(records={s: [] for s in (
            "identity", "employment", "property", "vehicles", "financials", "court", "credit", "interviews", "contact",
            "debt_documents")})
        self.people: list[dict[str, Any]] = []
        self.companies: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.transfers: list[dict[str, Any]] = []
        self.debtors: list[dict[str, Any]] = []
        self.seq = 0
        self.nominees = [self.person(f"代持人{i + 1}") for i in range(3)]
        self.hub = "上海市浦东新区商务秘书中心88号"

    def rand(self) -> float:
        return float(self.rng.random())

    def days_before(self, lo: int, hi: int, ref: date | None = None) -> date:
        return (ref or self.as_of) - timedelta(days=int(self.rng.integers(lo, hi)))

    def person(self, name: str, **extra: Any) -> str:
        self.seq += 1
        pid = f"P{self.seq:07d}"
        self.people.append({"id": pid, "name": name, **extra})
        return pid

    def company(self, name: str, registered: date, capital_fen: int, **extra: Any) -> str:
        self.seq += 1
        cid = f"C{self.seq:07d}"
        self.companies.append({"id": cid, "name": name, "registered_on": _day(registered),
                               "registered_capital": _money(capital_fen), **extra})
        return cid

    def role(self, holder: str, company: str, role: str, share: str | None = None, since: date | None = None) -> None:
        row: dict[str, Any] = {"holder": holder, "company": company, "role": role}
        if share is not None:
            row["share"] = share
        if since is not None:
            row["from"] = _day(since)
        self.roles.append(row)

    def transfer(self, src: str, dst: str, kind: str, asset: str, value: int, consideration: int, on: date) -> str:
        tid = f"T{len(self.transfers) + 1:07d}"
        self.transfers.append({"id": tid, "from": src, "to": dst, "kind": kind, "asset": asset, "value": _money(value),
                               "consideration": _money(consideration), "currency": "CNY", "date": _day(on)})
        return tid

    # --- one debtor -------------------------------------------------------------------------

    def debtor(self, p: DebtorProfile) -> None:
        rng = self.rng
        default = min(d.default for d in p.debts)
        ref = {"debtor_id": p.debtor_id}
        income = int((p.monthly_income or Decimal("8000")) * 100)
        self.out.records["identity"].append({**ref, "checked_on": _day(self.days_before(5, 60)), "provider": "公安身份核验",
                                             "id_valid": self.rand() > 0.01, "name_matches": True,
                                             "photo_match": round(float(rng.uniform(0.82, 0.99)), 2)})
        holder = self.person(p.name, address=p.address, phone=p.phone) if p.kind == "individual" else None
        own_company = None
        if p.kind == "enterprise":
            own_company = self.company(p.name, self.days_before(2000, 6000), int(rng.integers(1, 50)) * 100_000_00,
                                       address=p.address, phone=p.phone)
            holder = self.person(f"{p.name[:2]}法人{self.seq}")
            self.role(holder, own_company, "legal_representative")
            self.role(holder, own_company, "shareholder", "0.70")
            revenue = int(rng.lognormal(16.5, 1.0)) * 100
            for year in (self.as_of.year - 2, self.as_of.year - 1):
                grow = float(rng.uniform(0.6, 1.2))
                self.out.records["financials"].append({
                    **ref, "year": year, "reported_on": f"{year + 1}-04-30", "revenue": _money(int(revenue * grow)),
                    "receivables": _money(int(revenue * grow * float(rng.uniform(0.1, 0.4)))),
                    "total_assets": _money(int(revenue * float(rng.uniform(0.5, 1.5)))),
                    "net_assets": _money(int(revenue * float(rng.uniform(-0.1, 0.6)))),
                    "employees": int(rng.integers(3, 400))})
        elif self.rand() < 0.3:
            own_company = self.company(f"上海{SHELL_WORDS[int(rng.integers(0, 10))]}商贸有限公司{self.seq}",
                                       self.days_before(1500, 5000), 500_000_00, address=p.address)
            self.role(holder, own_company, "legal_representative")
            self.role(holder, own_company, "shareholder", "0.60")
        assert holder is not None
        spouse = self.person(f"{p.name[:1]}配偶{self.seq}", relatives=[{"person": holder, "relation": "spouse"}])
        self.debtors.append({"id": p.debtor_id, "person_or_company": own_company if p.kind == "enterprise" else holder,
                             "default_date": _day(default)})
        # An ordinary supplier paid at full value: must not be flagged.
        if own_company is not None:
            supplier = self.company(f"上海{SHELL_WORDS[int(rng.integers(0, 10))]}供应链有限公司{self.seq}",
                                    self.days_before(3000, 6000), 2_000_000_00)
            amount = int(rng.integers(50_000, 500_000)) * 100
            self.transfer(own_company, supplier, "payment", "货款", amount, amount, default - timedelta(days=30))
        # Real estate and vehicles.
        properties = []
        if self.rand() < 0.35 or p.kind == "enterprise":
            value = int(rng.integers(150, 900)) * 1_000_000
            properties.append({**ref, "certificate": f"沪(20{int(rng.integers(10, 24))})浦字不动产权第{self.seq:07d}号",
                               "checked_on": _day(self.days_before(5, 90)), "address": p.address or "上海市",
                               "value": _money(value), "acquired_on": _day(self.days_before(1500, 5000)),
                               "share": "1", "encumbrance": _money(int(value * float(rng.uniform(0, 0.7))))})
        planted = self.rand() < self.mix.planted_share
        if planted:
            self.plant(p, holder, spouse, own_company, default, properties)
        self.out.records["property"].extend(properties)
        if not properties:
            self.nothing("property", p)
        if self.rand() >= 0.3:
            self.nothing("vehicles", p)
        else:
            self.out.records["vehicles"].append({**ref, "plate": f"沪{chr(65 + int(rng.integers(0, 12)))}{self.seq:05d}",
                                                 "checked_on": _day(self.days_before(5, 90)), "description": "小型轿车",
                                                 "value": _money(int(rng.integers(40, 400)) * 100_000),
                                                 "registered_on": _day(self.days_before(300, 3000)),
                                                 "pledged": self.rand() < 0.3})
        if p.kind == "individual":
            self.employment(p, income)
            if self.rand() < self.mix.bank_share:
                self.bank(p, income, default, planted)
        self.court(p, default)
        self.credit(p, income)
        self.interviews(p)
        self.contact(p)
        self.documents(p)

    def plant(self, p: DebtorProfile, holder: str, spouse: str, own_company: str | None, default: date,
              properties: list[dict[str, Any]]) -> None:
        rng = self.rng
        setup = default + timedelta(days=int(rng.integers(-200, 60)))
        nominee = self.rand() < 0.5
        shell = self.company(f"上海{SHELL_WORDS[int(rng.integers(0, 10))]}投资管理有限公司{self.seq}", setup, 10_000_00,
                             address=p.address if self.rand() < 0.3 else None)
        front = self.nominees[int(rng.integers(0, len(self.nominees)))] if nominee else spouse
        self.role(front, shell, "legal_representative", since=setup)
        self.role(front, shell, "shareholder", "1", since=setup)
        if nominee:
            self.role(holder, shell, "executive", since=setup)  # the debtor still runs it
        on = max(setup, default - timedelta(days=int(rng.integers(0, 120)))) + timedelta(days=int(rng.integers(1, 60)))
        on = min(on, self.as_of - timedelta(days=1))
        src = own_company if own_company is not None and self.rand() < 0.4 else holder
        if properties and self.rand() < 0.7:
            prop = properties[0]
            value = int(Decimal(prop["value"]) * 100)
            prop["disposed_on"] = _day(on)
            owner = own_company if p.kind == "enterprise" and own_company is not None else holder
            tid = self.transfer(owner, shell, "real_estate", prop["certificate"], value,
                                int(value * float(rng.uniform(0.0, 0.3))), on)
        elif own_company is not None and src == own_company:
            value = int(rng.integers(100, 3000)) * 1_000_000
            tid = self.transfer(own_company, shell, "payment", "往来款", value, 0, on)
        else:
            value = int(rng.integers(50, 2000)) * 1_000_000
            owner = own_company if p.kind == "enterprise" and own_company is not None else holder
            tid = self.transfer(owner, shell, "equity", "股权", value, int(value * 0.05), on)
        if self.rand() < 0.4:
            self.companies[-1]["deregistered_on"] = _day(min(on + timedelta(days=int(rng.integers(30, 200))),
                                                             self.as_of))
        self.out.planted.append({"debtor_id": p.debtor_id, "transfer": tid, "company": shell,
                                 "through": "nominee" if nominee else "relative", "date": _day(on)})

    def nothing(self, source: str, p: DebtorProfile) -> None:
        """The provider was asked and has no record: the indicator is known (nothing there), not unknown."""
        self.out.records[source].append({"debtor_id": p.debtor_id, "nothing_found": True,
                                         "checked_on": _day(self.days_before(1, 60))})

    def employment(self, p: DebtorProfile, income: int) -> None:
        rng = self.rng
        u = self.rand()
        status = "unemployed" if u < self.mix.unemployed_share else "self_employed" if u < 0.25 else "employed"
        self.out.records["employment"].append({
            "debtor_id": p.debtor_id, "verified_on": _day(self.days_before(5, 120)), "status": status,
            "employer": None if status == "unemployed" else f"上海{SHELL_WORDS[int(rng.integers(0, 10))]}科技有限公司",
            "since": None if status == "unemployed" else _day(self.days_before(100, 4000)),
            "monthly_salary": None if status == "unemployed" else _money(income),
            "social_insurance_months": 0 if status == "unemployed" else int(rng.integers(0, 120))})

    def bank(self, p: DebtorProfile, income: int, default: date, planted: bool) -> None:
        rng = self.rng
        account = "6222" + "".join(str(int(d)) for d in rng.integers(0, 10, size=15))
        balance = int(rng.integers(1_000, 80_000)) * 100
        gambler = self.rand() < self.mix.gambler_share
        borrower = self.rand() < self.mix.platform_borrower_share
        rows = []
        month0 = self.as_of.year * 12 + self.as_of.month - 1 - 35
        for k in range(36):
            y, m = divmod(month0 + k, 12)
            first = date(y, m + 1, 1)
            flows: list[tuple[int, int, str, str]] = [
                (10, int(income * float(rng.uniform(0.9, 1.1))), "工资", "salary"),
                (1, -int(income * float(rng.uniform(0.2, 0.35))), "房东", "rent"),
                (15, -int(rng.integers(200, 800)) * 100, "国网上海电力", "utilities"),
                (5, -int(rng.integers(300, 900)) * 100, "联华超市", "food"),
                (19, -int(rng.integers(300, 900)) * 100, "盒马鲜生", "food"),
                (12, -int(rng.integers(100, 500)) * 100, "上海地铁", "transport"),
                (22, -int(rng.integers(200, 3000)) * 100, "淘宝", "shopping"),
            ]
            if self.rand() < 0.1:
                flows.append((25, -int(rng.integers(2_000, 20_000)) * 100, "携程旅行", "travel"))
            if gambler:
                flows.append((27, -int(income * float(rng.uniform(0.1, 0.3))), "境外娱乐平台", "gambling"))
            if borrower and k % 6 == 0:
                platform = LENDING_PLATFORMS[int(rng.integers(0, len(LENDING_PLATFORMS)))]
                flows.append((8, int(rng.integers(20, 100)) * 100_00, platform, "lending_platform"))
            if planted and first.year * 12 + first.month == default.year * 12 + default.month:
                flows.append((20, -int(rng.integers(5, 30)) * 10_000_00, f"{p.name[:1]}配偶", "transfer_related"))
            for day, amount, counterparty, category in sorted(flows):
                on = date(y, m + 1, min(day, 28))
                if on > self.as_of:
                    continue
                balance += amount
                rows.append({"debtor_id": p.debtor_id, "account": account, "date": _day(on), "amount": _money(amount),
                             "counterparty": counterparty, "category": category, "balance": _money(balance)})
        self.out.bank_rows.extend(rows)

    def court(self, p: DebtorProfile, default: date) -> None:
        rng = self.rng
        records = []
        if self.rand() < 0.2:
            records.append({"case_no": f"(20{int(rng.integers(21, 26))})沪0115执{self.seq}号", "court": "上海市浦东新区人民法院",
                            "kind": "enforcement", "role": "defendant", "amount": _money(int(rng.integers(10, 500)) * 100_000),
                            "filed_on": _day(self.days_before(30, 900)),
                            "status": "terminated_no_assets" if self.rand() < 0.3 else "open"})
        if self.rand() < 0.05:
            records.append({"case_no": f"(2025)沪0115失{self.seq}号", "court": "上海市浦东新区人民法院", "kind": "dishonest",
                            "role": "defendant", "amount": _money(int(rng.integers(10, 500)) * 100_000),
                            "filed_on": _day(self.days_before(30, 400)), "status": "open"})
        self.out.records["court"].extend({"debtor_id": p.debtor_id, **r} for r in records)
        if not records:
            self.nothing("court", p)

    def credit(self, p: DebtorProfile, income: int) -> None:
        rng = self.rng
        if self.rand() > 0.9:
            return
        accounts = []
        for _ in range(int(rng.integers(1, 5))):
            overdue = int(rng.integers(0, 6)) if self.rand() < 0.3 else 0
            balance = int(income * float(rng.uniform(0.2, 6.0)))
            kind = "credit_card" if self.rand() < 0.5 else "consumer_loan"
            accounts.append({"lender": f"银行{int(rng.integers(1, 20))}", "kind": kind,
                             "balance": _money(balance), "monthly_payment": _money(balance // 36),
                             "overdue_months": overdue, "status": "overdue" if overdue else "normal"})
        self.out.records["credit"].append({"debtor_id": p.debtor_id, "reported_on": _day(self.days_before(5, 60)),
                                           "bureau": "中国人民银行征信中心", "accounts": accounts,
                                           "queries_6m": int(rng.geometric(0.35)) - 1})

    def interviews(self, p: DebtorProfile) -> None:
        rng = self.rng
        for _ in range(int(rng.integers(0, 3)) if self.rand() < 0.5 else 0):
            self.out.records["interviews"].append({
                "debtor_id": p.debtor_id, "interviewed_on": _day(self.days_before(5, 60)),
                "interviewee_role": ("partner", "supplier", "reference", "neighbour")[int(rng.integers(0, 4))],
                "reliability": round(float(rng.uniform(0.4, 0.95)), 2), "cooperative": self.rand() < 0.6,
                "business_active": self.rand() < 0.7 if p.kind == "enterprise" else None,
                "hardship": ("illness", "unemployment", "disaster")[int(rng.integers(0, 3))] if self.rand() < 0.15 else None,
                "notes": f"访谈记录 {self.seq}-{int(rng.integers(0, 1_000_000))}"})

    def contact(self, p: DebtorProfile) -> None:
        if self.rand() < 0.85:
            self.out.records["contact"].append({"debtor_id": p.debtor_id, "checked_on": _day(self.days_before(1, 30)),
                                                "method": "phone", "phone_reachable": self.rand() < 0.8})
        if self.rand() < 0.5:
            self.out.records["contact"].append({"debtor_id": p.debtor_id, "checked_on": _day(self.days_before(1, 30)),
                                                "method": "visit", "address_verified": self.rand() < 0.75})
        if self.rand() < 0.1:
            self.out.records["contact"].append({"debtor_id": p.debtor_id, "checked_on": _day(self.days_before(1, 30)),
                                                "method": "location_track", "address_verified": True})

    def documents(self, p: DebtorProfile) -> None:
        rng = self.rng
        for d in p.debts:
            principal = int(d.principal * 100)
            fake = self.rand() < self.mix.fake_debt_share
            doc: dict[str, Any] = {"debtor_id": p.debtor_id, "debt_ref": d.debt_ref,
                                   "checked_on": _day(self.days_before(1, 30)), "contract": not (fake and self.rand() < 0.5)}
            if d.origination:
                doc["signed_on"] = _day(d.origination)
                doc["disbursed_on"] = _day(d.origination)
            doc["disbursement"] = _money(int(principal * 0.6) if fake else principal)
            if self.rand() < 0.3:
                ack = d.default + timedelta(days=int(rng.integers(30, 700)))
                if ack < self.as_of:
                    doc["acknowledgements"] = [_day(ack)]
            self.out.records["debt_documents"].append(doc)

    def finish(self) -> EvidenceSet:
        # A registered-agent address shared by many unrelated companies, and background noise.
        for i in range(60):
            self.company(f"上海秘书托管企业{i}有限公司", self.days_before(100, 3000), 1_000_000_00, address=self.hub)
        for nominee in self.nominees:
            for i in range(12):
                cid = self.company(f"上海代持{nominee[-3:]}号{i}有限公司", self.days_before(100, 3000), 10_000_00)
                self.role(nominee, cid, "legal_representative")
        self.out.registry = {"people": self.people, "companies": self.companies, "roles": self.roles,
                             "transfers": self.transfers, "debtors": self.debtors}
        return self.out


def build_evidence(profiles: Sequence[DebtorProfile], *, seed: int = 7, as_of: date,
                   mix: EvidenceMix | None = None) -> EvidenceSet:
    builder = _Builder(seed, as_of, mix or EvidenceMix())
    for p in profiles:
        builder.debtor(p)
    return builder.finish()


def write_evidence(out: Path, evidence: EvidenceSet) -> dict[str, Path]:
    """One file per source in the documented formats, plus registry.json and planted.json."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for source, records in evidence.records.items():
        path = out / f"{source}.json"
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
        files[source] = path
    bank = out / "bank.csv"
    with bank.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=BANK_COLUMNS)
        writer.writeheader()
        writer.writerows(evidence.bank_rows)
    files["bank"] = bank
    files["registry"] = out / "registry.json"
    files["registry"].write_text(json.dumps(evidence.registry, ensure_ascii=False), encoding="utf-8")
    (out / "planted.json").write_text(json.dumps(evidence.planted, ensure_ascii=False, indent=1), encoding="utf-8")
    return files
