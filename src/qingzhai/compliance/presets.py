"""Jurisdiction presets: the defaults of `ContactRules` with the source of each rule.

Sources are from /work/shared/research/compliance-rules.md (collected 2026-11). "sec." marks a
secondary source (the primary text was not available). Where a source gives no number, the value
here is qingzhai's choice and says so ("chosen").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from types import MappingProxyType
from typing import Final

from qingzhai.compliance.rules import ContactRules, QuietWindow
from qingzhai.core.errors import RuleViolation

DAYTIME_08_21: Final = (QuietWindow(time(21, 0), time(8, 0)),)

_COMMON = {
    "hold": "Case holds (dispute, moratorium/breathing space, mediation, cease_contact, bankruptcy, deceased) "
            "block collection contact: issue 4; credit-card measures (2011) art. 69; SI 2020/1311; "
            "HK Code of Banking Practice s.43; Debt Repayment Scheme (SG)",
    "case_closed": "qingzhai: a closed case (paid, settled, returned...) is not worked; only notices go out",
    "agent_suspended": "qingzhai: an agent with an open conduct incident is suspended (CBA 2026 guideline, sec.)",
    "opt_out": "Debtor's channel or number opt-out: 12 CFR 1006.14(h); honoured in every preset",
    "cease_communication": "15 USC 1692c(c); honoured in every preset",
    "attorney_represented": "15 USC 1692c(a)(2); 12 CFR 1006.6(b)(2); honoured in every preset",
    "workplace_contact": "15 USC 1692c(a)(3); honoured in every preset",
    "third_party_refused": "CBA 2026 guideline (sec.): stop contacting a third party once they ask",
    "address_book_source": "CBA 2026 guideline (sec.); PIPL arts. 13, 29: never use the debtor's address book (通讯录)",
}

CN: Final = ContactRules(
    preset="cn",
    quiet=(QuietWindow(time(22, 0), time(8, 0)),),
    max_connected_calls_per_day=3,
    max_attempts_per_number_per_day=6,
    third_party_mode="out_of_contact",
    out_of_contact_failed_calls=3,
    out_of_contact_days=3,
    visit_min_collectors=2,
    identity_statement=True,
    holidays_country="CN",
    sources=MappingProxyType({
        **_COMMON,
        "quiet_hours": "China Banking Association 《金融机构个人消费类贷款催收工作指引(试行)》 2026-01-30 (sec.); "
                       "GB/T 45251-2025 (sec.): no contact 22:00-08:00 debtor's local time",
        "connected_calls_per_day": "GB/T 45251-2025 (effective 2025-02-28; number from a sec. page): "
                                   "at most 3 connected calls per debtor per day, all agencies combined",
        "attempts_per_number_per_day": "CBA 2026 guideline (sec.): at most 6 dial attempts to one number per day",
        "third_party_not_out_of_contact": "CBA 2026 guideline; GB/T 45251; credit-card measures (2011) art. 68",
        "third_party_purpose": "CBA 2026 guideline; GB/T 45251: third parties only to locate or pass on a message",
        "visit_team": "CBA 2026 guideline art. 22 (sec.): at least 2 collectors on a visit",
        "identity_statement": "CBA 2026 guideline (sec.): state the institution's identity at first contact",
        "holiday": "qingzhai setting (off by default): public holidays of the `holidays` package as quiet days",
    }),
)

US_REGF: Final = ContactRules(
    preset="us-regf",
    quiet=DAYTIME_08_21,
    max_connected_calls_per_day=None,
    max_attempts_per_number_per_day=None,
    max_call_attempts_per_period=7,
    period_days=7,
    conversation_cooldown_days=7,
    third_party_mode="locate_once",
    visit_min_collectors=None,
    identity_statement=True,
    holidays_country="US",
    sources=MappingProxyType({
        **_COMMON,
        "quiet_hours": "15 USC 1692c(a)(1); 12 CFR 1006.6(b)(1)(i): 08:00-21:00 consumer's local time",
        "call_attempts_per_period": "12 CFR 1006.14(b)(2)(i)(A): more than 7 calls within 7 consecutive days",
        "conversation_cooldown": "12 CFR 1006.14(b)(2)(i)(B): no call within 7 days after a telephone conversation, "
                                 "the conversation day being day 1",
        "third_party_purpose": "15 USC 1692c(b); 12 CFR 1006.10: third parties only for location information",
        "third_party_once": "12 CFR 1006.10(c): a location inquiry at most once per person",
        "identity_statement": "15 USC 1692e(11): the debt-collector disclosure",
        "holiday": "qingzhai setting (off by default)",
    }),
)

UK_FCA: Final = ContactRules(
    preset="uk-fca",
    quiet=DAYTIME_08_21,
    max_connected_calls_per_day=3,
    max_attempts_per_number_per_day=6,
    third_party_mode="out_of_contact",
    visit_min_collectors=None,
    identity_statement=True,
    holidays_country="GB",
    sources=MappingProxyType({
        **_COMMON,
        "quiet_hours": "CONC 7.9 (unreasonable times); 08:00-21:00 chosen after MCOB 13.5.4G wording",
        "connected_calls_per_day": "CONC 7.9/7.10 give no number ('disproportionate contact'): 3 chosen (as cn)",
        "attempts_per_number_per_day": "CONC gives no number: 6 chosen (as cn)",
        "third_party_not_out_of_contact": "CONC 7.9 (no public embarrassment); qingzhai applies the cn locating rule",
        "third_party_purpose": "CONC 7.9: no disclosure to third parties",
        "identity_statement": "CONC 7.9 (no misrepresenting who is calling)",
        "holiday": "qingzhai setting (off by default)",
    }),
)

HK: Final = ContactRules(
    preset="hk",
    quiet=DAYTIME_08_21,
    max_connected_calls_per_day=3,
    max_attempts_per_number_per_day=6,
    third_party_mode="out_of_contact",
    visit_min_collectors=None,
    identity_statement=True,
    holidays_country="HK",
    sources=MappingProxyType({
        **_COMMON,
        "quiet_hours": "HK Code of Banking Practice s.43 (no calls at unreasonable hours; no number given: "
                       "08:00-21:00 chosen)",
        "connected_calls_per_day": "HK Code of Banking Practice s.43 (no persistent calls; no number: 3 chosen)",
        "attempts_per_number_per_day": "HK Code of Banking Practice s.43 (no number: 6 chosen)",
        "third_party_not_out_of_contact": "HK Code of Banking Practice s.43: no pestering referees or family",
        "third_party_purpose": "HK Code of Banking Practice s.43: no recovery from third parties who are not guarantors",
        "identity_statement": "HK Code of Banking Practice s.43: no false names or anonymous calls",
        "holiday": "qingzhai setting (off by default)",
    }),
)

SG: Final = ContactRules(
    preset="sg",
    quiet=DAYTIME_08_21,
    max_connected_calls_per_day=3,
    max_attempts_per_number_per_day=6,
    third_party_mode="out_of_contact",
    visit_min_collectors=None,
    identity_statement=True,
    holidays_country="SG",
    sources=MappingProxyType({
        **_COMMON,
        "quiet_hours": "Debt Collection Act 2022 / Protection from Harassment Act: no hours given; 08:00-21:00 chosen",
        "connected_calls_per_day": "Protection from Harassment Act: no number given; 3 chosen",
        "attempts_per_number_per_day": "no number given; 6 chosen",
        "third_party_not_out_of_contact": "Protection from Harassment Act; qingzhai applies the cn locating rule",
        "third_party_purpose": "Protection from Harassment Act",
        "identity_statement": "Debt Collection Act 2022 (approved collectors identify themselves)",
        "holiday": "qingzhai setting (off by default)",
    }),
)

PRESETS: Final[Mapping[str, ContactRules]] = MappingProxyType(
    {r.preset: r for r in (CN, US_REGF, UK_FCA, HK, SG)}
)


def preset(name: str) -> ContactRules:
    try:
        return PRESETS[name]
    except KeyError:
        raise RuleViolation(f"unknown preset '{name}': one of {', '.join(PRESETS)}", field="preset") from None


def source_of(rules: ContactRules, rule: str) -> str:
    return rules.sources.get(rule, "")
