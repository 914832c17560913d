"""A compact business-registry graph: people, companies, addresses, phones and e-mails as integer
nodes, links in CSR arrays (NumPy), transfers indexed by sender and receiver.

Built from the registry JSON format (docs/assessment.md) or straight from arrays (the benchmark's
million-node graph). A bounded-radius search from one debtor touches only its neighbourhood, so a
query costs milliseconds however large the graph is. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import numpy as np

from qingzhai.core.errors import RuleViolation
from qingzhai.core.masking import mask_email, mask_phone

PERSON, COMPANY, ADDRESS, PHONE, EMAIL = 0, 1, 2, 3, 4
NODE_KINDS: Final = ("person", "company", "address", "phone", "email")

LEGAL_REP, SHAREHOLDER, EXECUTIVE, SUPERVISOR, RELATIVE, AT_ADDRESS, HAS_PHONE, HAS_EMAIL = range(8)
EDGE_KINDS: Final = ("legal_representative", "shareholder", "executive", "supervisor", "relative", "address",
                     "phone", "email")
ROLE_KINDS: Final = {name: i for i, name in enumerate(EDGE_KINDS[:4])}

TRANSFER_KINDS: Final = ("equity", "real_estate", "vehicle", "payment")
NO_DAY: Final = 0  # ordinal 0 never occurs: "no date"


def day_of(value: Any, field: str) -> int:
    if value in (None, ""):
        return NO_DAY
    try:
        return date.fromisoformat(str(value)).toordinal()
    except ValueError:
        raise RuleViolation(f"'{value}' is not an ISO date (YYYY-MM-DD)", field=field) from None


def fen_of(value: Any, field: str) -> int:
    if value in (None, ""):
        return -1
    if isinstance(value, float):
        raise RuleViolation("amounts are given as text, e.g. \"1000.00\"", field=field)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RuleViolation(f"'{value}' is not an amount", field=field) from None
    fen = amount * 100
    if not fen.is_finite() or fen != fen.to_integral_value() or fen < 0:
        raise RuleViolation(f"'{value}' is not a non-negative amount with at most 2 decimals", field=field)
    return int(fen)


@dataclass
class RegistryGraph:
    ids: list[str]
    names: list[str]
    kind: np.ndarray  # uint8 per node
    registered: np.ndarray  # int32 ordinal day a company was set up (0: unknown)
    deregistered: np.ndarray  # int32 ordinal day a company was deregistered (0: still registered)
    capital_fen: np.ndarray  # int64 registered capital (-1: unknown)
    indptr: np.ndarray  # CSR over both directions of every link
    nbr: np.ndarray  # int32 neighbour node
    etype: np.ndarray  # int8 edge kind
    edir: np.ndarray  # int8: +1 this node holds/represents the neighbour company, -1 the reverse, 0 symmetric
    erow: np.ndarray  # int32 role row (share and dates), -1 for other links
    share_bp: np.ndarray  # int32 per role row: share in basis points (-1 when not a shareholding)
    role_from: np.ndarray  # int32 per role row
    role_to: np.ndarray  # int32 per role row
    roles_held: np.ndarray  # int32 per node: number of roles held (nominee pattern)
    t_ids: list[str]
    t_asset: list[str]
    t_src: np.ndarray
    t_dst: np.ndarray
    t_kind: np.ndarray  # uint8
    t_value: np.ndarray  # int64 fen
    t_cons: np.ndarray  # int64 fen (-1 unknown)
    t_day: np.ndarray  # int32 ordinal
    t_out_ptr: np.ndarray
    t_out: np.ndarray
    t_in_ptr: np.ndarray
    t_in: np.ndarray
    debtors: dict[str, tuple[int, int]]  # debtor id -> (node, default day ordinal)
    _index: dict[str, int] | None = None

    @property
    def nodes(self) -> int:
        return len(self.kind)

    def index(self, node_id: str) -> int:
        if self._index is None:
            self._index = {v: i for i, v in enumerate(self.ids)}
        try:
            return self._index[node_id]
        except KeyError:
            raise RuleViolation(f"no node '{node_id}' in the registry graph", field="debtor") from None

    def degree(self, node: int) -> int:
        return int(self.indptr[node + 1] - self.indptr[node])

    def neighbours(self, node: int) -> range:
        return range(int(self.indptr[node]), int(self.indptr[node + 1]))

    def transfers_from(self, node: int) -> np.ndarray:
        return self.t_out[self.t_out_ptr[node]:self.t_out_ptr[node + 1]]

    def transfers_to(self, node: int) -> np.ndarray:
        return self.t_in[self.t_in_ptr[node]:self.t_in_ptr[node + 1]]

    @property
    def memory_bytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_arrays(
        cls, *, ids: list[str], names: list[str], kind: np.ndarray, registered: np.ndarray, deregistered: np.ndarray,
        capital_fen: np.ndarray, link_src: np.ndarray, link_dst: np.ndarray, link_type: np.ndarray,
        link_row: np.ndarray, share_bp: np.ndarray, role_from: np.ndarray, role_to: np.ndarray,
        t_ids: list[str], t_asset: list[str], t_src: np.ndarray, t_dst: np.ndarray, t_kind: np.ndarray,
        t_value: np.ndarray, t_cons: np.ndarray, t_day: np.ndarray, debtors: Mapping[str, tuple[int, int]],
    ) -> RegistryGraph:
        """Links are given once (holder -> company for roles); both directions are indexed here."""
        n = len(kind)
        src = np.concatenate([link_src, link_dst]).astype(np.int32)
        dst = np.concatenate([link_dst, link_src]).astype(np.int32)
        et = np.concatenate([link_type, link_type]).astype(np.int8)
        is_role = (link_type <= SUPERVISOR).astype(np.int8)
        ed = np.concatenate([is_role, -is_role]).astype(np.int8)
        er = np.concatenate([link_row, link_row]).astype(np.int32)
        order = np.argsort(src, kind="stable")
        counts = np.bincount(src, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        roles_held = np.bincount(link_src[link_type <= SUPERVISOR], minlength=n).astype(np.int32)

        def csr(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
            return ptr, np.argsort(keys, kind="stable").astype(np.int32)

        t_src = np.asarray(t_src, dtype=np.int32)
        t_dst = np.asarray(t_dst, dtype=np.int32)
        out_ptr, out_idx = csr(t_src)
        in_ptr, in_idx = csr(t_dst)
        return cls(
            ids=ids, names=names, kind=np.asarray(kind, dtype=np.uint8),
            registered=np.asarray(registered, dtype=np.int32), deregistered=np.asarray(deregistered, dtype=np.int32),
            capital_fen=np.asarray(capital_fen, dtype=np.int64), indptr=indptr, nbr=dst[order], etype=et[order],
            edir=ed[order], erow=er[order], share_bp=np.asarray(share_bp, dtype=np.int32),
            role_from=np.asarray(role_from, dtype=np.int32), role_to=np.asarray(role_to, dtype=np.int32),
            roles_held=roles_held, t_ids=t_ids, t_asset=t_asset, t_src=t_src, t_dst=t_dst,
            t_kind=np.asarray(t_kind, dtype=np.uint8), t_value=np.asarray(t_value, dtype=np.int64),
            t_cons=np.asarray(t_cons, dtype=np.int64), t_day=np.asarray(t_day, dtype=np.int32),
            t_out_ptr=out_ptr, t_out=out_idx, t_in_ptr=in_ptr, t_in=in_idx, debtors=dict(debtors),
        )

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> RegistryGraph:
        """Load the registry JSON format; a bad record is refused with the field that is wrong."""
        if not isinstance(doc, Mapping):
            raise RuleViolation("the registry file must hold a JSON object", field="registry")
        ids: list[str] = []
        names: list[str] = []
        kinds: list[int] = []
        reg: list[int] = []
        dereg: list[int] = []
        cap: list[int] = []
        index: dict[str, int] = {}
        links: list[tuple[int, int, int, int]] = []
        shares: list[int] = []
        r_from: list[int] = []
        r_to: list[int] = []

        def add(node_id: str, name: str, kind: int, field: str, *, r: int = NO_DAY, d: int = NO_DAY, c: int = -1) -> int:
            if not node_id or not isinstance(node_id, str):
                raise RuleViolation("every record needs a text 'id'", field=field)
            if node_id in index:
                raise RuleViolation(f"duplicate id '{node_id}'", field=field)
            index[node_id] = len(ids)
            ids.append(node_id)
            names.append(name)
            kinds.append(kind)
            reg.append(r)
            dereg.append(d)
            cap.append(c)
            return index[node_id]

        def attr(node: int, value: Any, kind: int, etype: int) -> None:
            if not value:
                return
            key = f"{NODE_KINDS[kind]}:{str(value).strip()}"
            target = index.get(key)
            if target is None:
                target = add(key, str(value).strip(), kind, NODE_KINDS[kind])
            links.append((node, target, etype, -1))

        def section(name: str) -> list[Mapping[str, Any]]:
            value = doc.get(name, [])
            if not isinstance(value, list) or not all(isinstance(x, Mapping) for x in value):
                raise RuleViolation("must be a list of objects", field=name)
            return value

        people, companies = section("people"), section("companies")
        for i, p in enumerate(people):
            node = add(p.get("id"), str(p.get("name") or ""), PERSON, f"people[{i}].id")  # type: ignore[arg-type]
            attr(node, p.get("address"), ADDRESS, AT_ADDRESS)
            attr(node, p.get("phone"), PHONE, HAS_PHONE)
            attr(node, p.get("email"), EMAIL, HAS_EMAIL)
        for i, c in enumerate(companies):
            node = add(c.get("id"), str(c.get("name") or ""), COMPANY, f"companies[{i}].id",  # type: ignore[arg-type]
                       r=day_of(c.get("registered_on"), f"companies[{i}].registered_on"),
                       d=day_of(c.get("deregistered_on"), f"companies[{i}].deregistered_on"),
                       c=fen_of(c.get("registered_capital"), f"companies[{i}].registered_capital"))
            attr(node, c.get("address"), ADDRESS, AT_ADDRESS)
            attr(node, c.get("phone"), PHONE, HAS_PHONE)
            attr(node, c.get("email"), EMAIL, HAS_EMAIL)

        def ref(value: Any, field: str, allowed: tuple[int, ...]) -> int:
            node = index.get(value) if isinstance(value, str) else None
            if node is None or kinds[node] not in allowed:
                raise RuleViolation(f"'{value}' is not a known {' or '.join(NODE_KINDS[a] for a in allowed)}", field=field)
            return node

        for i, p in enumerate(people):
            for j, rel in enumerate(p.get("relatives") or []):
                other = ref(rel.get("person") if isinstance(rel, Mapping) else rel, f"people[{i}].relatives[{j}].person",
                            (PERSON,))
                links.append((index[p["id"]], other, RELATIVE, -1))
        for i, r in enumerate(section("roles")):
            holder = ref(r.get("holder"), f"roles[{i}].holder", (PERSON, COMPANY))
            company = ref(r.get("company"), f"roles[{i}].company", (COMPANY,))
            role = ROLE_KINDS.get(str(r.get("role")))
            if role is None:
                raise RuleViolation("role must be one of " + ", ".join(ROLE_KINDS), field=f"roles[{i}].role")
            share = -1
            if r.get("share") not in (None, ""):
                try:
                    value = Decimal(str(r["share"]))
                except InvalidOperation:
                    value = Decimal(-1)
                if not Decimal(0) <= value <= Decimal(1):
                    raise RuleViolation("share is a fraction between 0 and 1, e.g. \"0.51\"", field=f"roles[{i}].share")
                share = int(value * 10000)
            links.append((holder, company, role, len(shares)))
            shares.append(share)
            r_from.append(day_of(r.get("from"), f"roles[{i}].from"))
            r_to.append(day_of(r.get("to"), f"roles[{i}].to"))
        t_ids: list[str] = []
        t_asset: list[str] = []
        t_rows: list[tuple[int, int, int, int, int, int]] = []
        for i, t in enumerate(section("transfers")):
            kind = str(t.get("kind"))
            if kind not in TRANSFER_KINDS:
                raise RuleViolation("kind must be one of " + ", ".join(TRANSFER_KINDS), field=f"transfers[{i}].kind")
            value = fen_of(t.get("value"), f"transfers[{i}].value")
            if value < 0:
                raise RuleViolation("a transfer needs its value", field=f"transfers[{i}].value")
            day = day_of(t.get("date"), f"transfers[{i}].date")
            if day == NO_DAY:
                raise RuleViolation("a transfer needs its date", field=f"transfers[{i}].date")
            t_rows.append((ref(t.get("from"), f"transfers[{i}].from", (PERSON, COMPANY)),
                           ref(t.get("to"), f"transfers[{i}].to", (PERSON, COMPANY)), TRANSFER_KINDS.index(kind),
                           value, fen_of(t.get("consideration"), f"transfers[{i}].consideration"), day))
            t_ids.append(str(t.get("id") or f"T{i + 1}"))
            t_asset.append(str(t.get("asset") or ""))
        debtors: dict[str, tuple[int, int]] = {}
        for i, d in enumerate(section("debtors")):
            if not d.get("id"):
                raise RuleViolation("every debtor needs an 'id'", field=f"debtors[{i}].id")
            node = ref(d.get("person_or_company"), f"debtors[{i}].person_or_company", (PERSON, COMPANY))
            debtors[str(d["id"])] = (node, day_of(d.get("default_date"), f"debtors[{i}].default_date"))
        arr = np.array(links, dtype=np.int64).reshape(-1, 4)
        trs = np.array(t_rows, dtype=np.int64).reshape(-1, 6)
        graph = cls.from_arrays(
            ids=ids, names=names, kind=np.array(kinds), registered=np.array(reg), deregistered=np.array(dereg),
            capital_fen=np.array(cap), link_src=arr[:, 0], link_dst=arr[:, 1], link_type=arr[:, 2], link_row=arr[:, 3],
            share_bp=np.array(shares), role_from=np.array(r_from), role_to=np.array(r_to), t_ids=t_ids, t_asset=t_asset,
            t_src=trs[:, 0], t_dst=trs[:, 1], t_kind=trs[:, 2], t_value=trs[:, 3], t_cons=trs[:, 4], t_day=trs[:, 5],
            debtors=debtors,
        )
        graph._index = index
        return graph


def describe_node(graph: RegistryGraph, node: int) -> dict[str, Any]:
    """A node for findings and reports; phones and e-mails masked, shared details named by position."""
    kind = int(graph.kind[node])
    name = graph.names[node]
    if kind == PHONE:
        name = mask_phone(name)
    elif kind == EMAIL:
        name = mask_email(name)
    node_id = graph.ids[node] if kind in (PERSON, COMPANY) else f"{NODE_KINDS[kind]}#{node}"
    return {"id": node_id, "name": name, "kind": NODE_KINDS[kind]}


def edge_label(graph: RegistryGraph, position: int) -> str:
    label = EDGE_KINDS[int(graph.etype[position])]
    row = int(graph.erow[position])
    if row >= 0 and int(graph.share_bp[row]) >= 0:
        label += f" {int(graph.share_bp[row]) / 100:.0f}%"
    return label
