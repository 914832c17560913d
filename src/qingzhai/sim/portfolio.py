"""A synthetic placement portfolio in the documented import format.

Same seed and `as_of`, same file. Faker (`zh_CN`) fills pools of names, companies and streets
once; NumPy draws everything else, so a million rows stream in seconds.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from faker import Faker

from qingzhai.registry.intake.rules import ALL_COLUMNS
from qingzhai.sim.identities import (
    OTHER_BIRTHPLACES,
    SHANGHAI_DISTRICT_CODES,
    birth_date,
    mobile,
    resident_id,
    uscc,
)

DEFAULT_AS_OF = date(2026, 11, 1)

# Rough resident shares of Shanghai's districts (7th census), so Pudong dominates and Chongming
# is present but small.
DISTRICT_WEIGHTS: dict[str, float] = {
    "浦东新区": 22.9, "闵行区": 10.6, "宝山区": 9.1, "松江区": 7.7, "嘉定区": 7.4,
    "徐汇区": 4.5, "普陀区": 5.1, "杨浦区": 5.0, "奉贤区": 4.6, "青浦区": 5.1,
    "静安区": 3.9, "虹口区": 3.0, "长宁区": 2.8, "金山区": 3.3, "黄浦区": 2.7, "崇明区": 2.6,
}

# Debtors abroad: the compliance engine must protect them in their own time zone.
ABROAD: tuple[tuple[str, str, str], ...] = (
    ("America/Los_Angeles", "+1", "Los Angeles, CA, USA"),
    ("America/New_York", "+1", "Flushing, NY, USA"),
    ("Europe/London", "+44", "Manchester, UK"),
    ("Asia/Singapore", "+65", "Jurong West, Singapore"),
    ("Asia/Hong_Kong", "+852", "Kowloon, Hong Kong"),
    ("Australia/Sydney", "+61", "Hurstville NSW, Australia"),
)


@dataclass(frozen=True)
class PortfolioMix:
    individual: float = 0.78
    small_micro: float = 0.17
    large: float = 0.05
    abroad: float = 0.03
    repeat_debtor: float = 0.12  # debtors with two or three debts


class _Pools:
    def __init__(self, seed: int) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.names = [fake.name() for _ in range(4000)]
        self.companies = [fake.company() for _ in range(3000)]
        self.streets = [fake.street_name() for _ in range(3000)]
        self.domains = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "outlook.com"]
        self.pinyin = [fake.user_name() for _ in range(2000)]


def _money(value: float) -> str:
    return f"{Decimal(round(value * 100)) / 100:.2f}"


def iter_placements(
    debtors: int, *, seed: int = 7, as_of: date = DEFAULT_AS_OF, mix: PortfolioMix | None = None,
    ref_prefix: str = "QZ",
) -> Iterator[dict[str, str]]:
    """Yield placement rows (dicts of text) for `debtors` debtors."""
    mix = mix or PortfolioMix()
    rng = np.random.default_rng(seed)
    pools = _Pools(seed)
    districts = list(DISTRICT_WEIGHTS)
    weights = np.array(list(DISTRICT_WEIGHTS.values()))
    weights = weights / weights.sum()
    ref = 0
    for _ in range(debtors):
        u = rng.random()
        kind = "individual" if u < mix.individual else ("small_micro" if u < mix.individual + mix.small_micro else "large")
        abroad = kind == "individual" and rng.random() < mix.abroad
        district = districts[int(rng.choice(len(districts), p=weights))]
        region = SHANGHAI_DISTRICT_CODES[district]
        row: dict[str, str] = dict.fromkeys(ALL_COLUMNS, "")
        if kind == "individual":
            female = bool(rng.random() < 0.45)
            born_region = region if rng.random() < 0.55 else OTHER_BIRTHPLACES[int(rng.integers(0, len(OTHER_BIRTHPLACES)))]
            row["debtor_type"] = "individual"
            row["debtor_name"] = pools.names[int(rng.integers(0, len(pools.names)))]
            row["id_number"] = resident_id(rng, born_region, birth_date(rng, as_of), female)
            row["employer"] = pools.companies[int(rng.integers(0, len(pools.companies)))] if rng.random() < 0.8 else ""
            row["monthly_income"] = _money(float(np.clip(rng.lognormal(9.3, 0.5), 2600, 120000)))
            if rng.random() < 0.4:
                user = pools.pinyin[int(rng.integers(0, len(pools.pinyin)))]
                domain = pools.domains[int(rng.integers(0, len(pools.domains)))]
                row["email"] = f"{user}{int(rng.integers(1, 999))}@{domain}"
        else:
            row["debtor_type"] = "enterprise"
            row["debtor_name"] = pools.companies[int(rng.integers(0, len(pools.companies)))]
            row["id_number"] = uscc(rng, region)
        if abroad:
            tz, cc, place = ABROAD[int(rng.integers(0, len(ABROAD)))]
            row["timezone"] = tz
            digits = 10 if cc == "+1" else 8 if cc in ("+65", "+852") else 9 if cc == "+61" else 10
            row["phone"] = cc + str(int(rng.integers(2, 10))) + "".join(str(int(d)) for d in rng.integers(0, 10, size=digits - 1))
            row["address"] = place
            row["district"] = ""
        else:
            row["timezone"] = "Asia/Shanghai"
            row["phone"] = mobile(rng)
            street = pools.streets[int(rng.integers(0, len(pools.streets)))]
            number, floor, room = int(rng.integers(1, 2000)), int(rng.integers(1, 40)), int(rng.integers(1, 9))
            row["address"] = f"上海市{district}{street}{number}号{floor}0{room}室"
            row["district"] = district
        n_debts = 1
        if rng.random() < mix.repeat_debtor:
            n_debts = 2 if rng.random() < 0.75 else 3
        for _ in range(n_debts):
            ref += 1
            if kind == "individual":
                principal = float(np.clip(rng.lognormal(10.2, 1.0), 3000, 900000))
            elif kind == "small_micro":
                principal = float(np.clip(rng.lognormal(12.6, 0.9), 50000, 4_900_000))
            else:
                principal = float(np.clip(rng.lognormal(15.6, 0.9), 1_000_000, 80_000_000))
            months = int(rng.integers(6, 60))
            start = date(2019, 1, 1)
            latest = as_of - timedelta(days=120)
            origination = start + timedelta(days=int(rng.integers(0, (latest - start).days)))
            default = min(origination + timedelta(days=int(rng.integers(60, 30 * months + 61))), as_of - timedelta(days=30))
            row = dict(row)
            row["debt_ref"] = f"{ref_prefix}-{ref:08d}"
            row["currency"] = "CNY"
            row["principal"] = _money(principal)
            row["interest"] = _money(principal * float(rng.uniform(0.0, 0.18)))
            row["fees"] = _money(float(rng.choice([0, 0, 50, 200, 500, 1500])))
            row["origination_date"] = origination.isoformat()
            row["default_date"] = default.isoformat()
            yield row


def write_portfolio(
    path: Path, debtors: int, *, seed: int = 7, as_of: date = DEFAULT_AS_OF, ref_prefix: str = "QZ"
) -> int:
    """Write the CSV; returns the number of rows."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ALL_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in iter_placements(debtors, seed=seed, as_of=as_of, ref_prefix=ref_prefix):
            writer.writerow(row)
            rows += 1
    return rows
