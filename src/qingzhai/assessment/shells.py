"""Shell companies and asset transfers: a bounded-radius search from the debtor, then ranked findings,
each with the path that proves it (pure; reads a `RegistryGraph`).

A company is *tied* to the debtor when a path of at most `radius` links joins them: roles (legal
representative, shareholder, executive, supervisor), relatives, or a shared address, phone or
e-mail. Shared nodes with more than `hub_degree` links (a registered-agent address, a switchboard
number) are not followed, so that strangers are not tied through them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qingzhai.assessment.graph import (
    COMPANY,
    LEGAL_REP,
    NO_DAY,
    PERSON,
    SHAREHOLDER,
    TRANSFER_KINDS,
    RegistryGraph,
    describe_node,
    edge_label,
)


@dataclass(frozen=True)
class ShellSettings:
    radius: int = 3  # links followed from the debtor
    hub_degree: int = 50  # shared nodes with more links than this are not followed
    window_before_days: int = 365  # "shortly before the default": up to a year before …
    window_after_days: int = 365  # … and up to a year after
    below_value_share: float = 0.7  # paid less than 70% of the value: "below value"
    nominee_companies: int = 10  # one person holding roles in 10 or more companies
    tiny_capital_fen: int = 10_000_000  # registered capital of 100,000.00 or less is "tiny" …
    tiny_capital_multiple: int = 10  # … when it receives assets worth 10 times its capital
    min_strength: float = 0.3  # weaker findings are not reported


@dataclass(frozen=True)
class ShellFinding:
    kind: str  # transfer_to_tied | below_value_transfer | new_company | circular_ownership | nominee
    strength: float  # 0-1, for ranking
    explanation: str
    path: tuple[dict[str, Any], ...]  # nodes from the debtor, each with the link that reached it ("via")
    transfers: tuple[dict[str, Any], ...] = ()
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "strength": self.strength, "explanation": self.explanation, "path": list(self.path),
                "transfers": list(self.transfers), "reasons": list(self.reasons)}


@dataclass(frozen=True)
class ShellReport:
    debtor: dict[str, Any]
    default_date: date | None
    reached: int  # nodes within the radius
    companies_tied: int
    findings: tuple[ShellFinding, ...]
    subgraph: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # nodes and links on the findings' paths

    def to_dict(self) -> dict[str, Any]:
        return {"debtor": self.debtor, "default_date": self.default_date.isoformat() if self.default_date else None,
                "reached": self.reached, "companies_tied": self.companies_tied,
                "findings": [f.to_dict() for f in self.findings], "subgraph": self.subgraph}


def _search(graph: RegistryGraph, start: int, settings: ShellSettings) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """Breadth-first to `radius`: distance per node and the (previous node, CSR position) that reached it."""
    dist = {start: 0}
    parent: dict[int, tuple[int, int]] = {}
    queue = deque([start])
    indptr, nbr = graph.indptr, graph.nbr
    while queue:
        node = queue.popleft()
        d = dist[node]
        if d >= settings.radius:
            continue
        lo, hi = int(indptr[node]), int(indptr[node + 1])
        if node != start and hi - lo > settings.hub_degree:
            continue
        for pos in range(lo, hi):
            other = int(nbr[pos])
            if other not in dist:
                dist[other] = d + 1
                parent[other] = (node, pos)
                queue.append(other)
    return dist, parent


def _path(graph: RegistryGraph, parent: dict[int, tuple[int, int]], node: int) -> list[dict[str, Any]]:
    steps = []
    while True:
        entry = describe_node(graph, node)
        if node in parent:
            prev, pos = parent[node]
            entry["via"] = edge_label(graph, pos)
            steps.append(entry)
            node = prev
        else:
            entry["via"] = None
            steps.append(entry)
            break
    return steps[::-1]


def _transfer(graph: RegistryGraph, t: int) -> dict[str, Any]:
    cons = int(graph.t_cons[t])
    return {"id": graph.t_ids[t], "kind": TRANSFER_KINDS[int(graph.t_kind[t])], "asset": graph.t_asset[t],
            "from": graph.ids[int(graph.t_src[t])], "to": graph.ids[int(graph.t_dst[t])],
            "value_fen": int(graph.t_value[t]), "consideration_fen": None if cons < 0 else cons,
            "date": date.fromordinal(int(graph.t_day[t])).isoformat()}


def _near(day: int, default: int, settings: ShellSettings) -> bool:
    return default != NO_DAY and day != NO_DAY and -settings.window_before_days <= day - default <= settings.window_after_days


def _holders(graph: RegistryGraph, company: int) -> list[int]:
    """People and companies holding a role in `company`."""
    return [int(graph.nbr[p]) for p in graph.neighbours(company) if graph.edir[p] == -1]


def detect(graph: RegistryGraph, debtor: int, *, default_day: int = NO_DAY, settings: ShellSettings | None = None) -> ShellReport:
    """Ranked findings of asset transfers, shells, circular ownership and nominees around one debtor."""
    settings = settings or ShellSettings()
    dist, parent = _search(graph, debtor, settings)
    kind = graph.kind
    tied_companies = [n for n, d in dist.items() if d > 0 and kind[n] == COMPANY]
    # The debtor's own vehicles: the debtor and the companies it represents or holds shares in.
    sources = {debtor} | {int(graph.nbr[p]) for p in graph.neighbours(debtor)
                          if graph.edir[p] == 1 and graph.etype[p] in (LEGAL_REP, SHAREHOLDER)}
    findings: list[ShellFinding] = []
    flagged_receivers: set[int] = set()
    ends: dict[str, int] = {}  # transfer end ids -> nodes, for the subgraph
    for src in sorted(sources):
        for t in (int(x) for x in graph.transfers_from(src)):
            receiver = int(graph.t_dst[t])
            value, cons, day = int(graph.t_value[t]), int(graph.t_cons[t]), int(graph.t_day[t])
            tied = receiver in dist and receiver not in sources
            reasons: list[str] = []
            strength = 0.0
            if tied:
                strength += 0.3 if dist[receiver] <= 2 else 0.2
                reasons.append(f"receiver tied to the debtor in {dist[receiver]} links")
            near = _near(day, default_day, settings)
            below = 0 <= cons < value * settings.below_value_share
            if near:
                strength += 0.2
                reasons.append("within the window around the default date")
            if below:
                strength += 0.25
                reasons.append(f"paid {cons / 100:,.2f} for a value of {value / 100:,.2f}")
            if kind[receiver] == COMPANY:
                if _near(int(graph.registered[receiver]), default_day, settings):
                    strength += 0.15
                    reasons.append("receiver set up around the default date")
                dereg = int(graph.deregistered[receiver])
                if dereg != NO_DAY and dereg >= day:
                    strength += 0.15
                    reasons.append("receiver deregistered after receiving the asset")
                capital = int(graph.capital_fen[receiver])
                if 0 <= capital <= settings.tiny_capital_fen and value >= settings.tiny_capital_multiple * max(capital, 1):
                    strength += 0.1
                    reasons.append("tiny registered capital receiving a large asset")
                nominees = [h for h in _holders(graph, receiver)
                            if kind[h] == PERSON and graph.roles_held[h] >= settings.nominee_companies]
                if nominees:
                    strength += 0.1
                    reasons.append(f"run by a nominee in {int(graph.roles_held[nominees[0]])} companies")
            if not tied and not (near and below):
                continue  # an ordinary counterparty paid at value, or a sale to a stranger outside the window
            if tied and len(reasons) == 1:
                continue  # a related party paid at value, away from the default: nothing to show
            strength = round(min(strength, 1.0), 2)
            if strength < settings.min_strength:
                continue
            path = _path(graph, parent, receiver) if receiver in dist else [describe_node(graph, debtor) | {"via": None},
                                                                             describe_node(graph, receiver) | {"via": "transfer"}]
            tr = _transfer(graph, t)
            ends[tr["from"]], ends[tr["to"]] = src, receiver
            explanation = (f"{tr['kind'].replace('_', ' ')} '{tr['asset'] or tr['id']}' worth {value / 100:,.2f} moved on "
                           f"{tr['date']} to {graph.names[receiver]}: " + "; ".join(reasons) + ".")
            findings.append(ShellFinding("transfer_to_tied" if tied else "below_value_transfer", strength, explanation,
                                         tuple(path), (tr,), tuple(reasons)))
            flagged_receivers.add(receiver)
    for company in tied_companies:
        if company in flagged_receivers or dist[company] > 2:
            continue
        if _near(int(graph.registered[company]), default_day, settings):
            reg = date.fromordinal(int(graph.registered[company])).isoformat()
            findings.append(ShellFinding("new_company", 0.3, f"{graph.names[company]} tied to the debtor was set up on "
                                         f"{reg}, around the default date.", tuple(_path(graph, parent, company)),
                                         (), ("set up around the default date",)))
    findings.extend(_cycles(graph, dist, parent, tied_companies, flagged_receivers))
    for node, d in dist.items():
        if 0 < d <= 2 and kind[node] == PERSON and graph.roles_held[node] >= settings.nominee_companies:
            findings.append(ShellFinding("nominee", 0.3, f"{graph.names[node]} near the debtor holds roles in "
                                         f"{int(graph.roles_held[node])} companies (a nominee pattern).",
                                         tuple(_path(graph, parent, node)), (), ("one person in many companies",)))
    findings = [f for f in findings if f.strength >= settings.min_strength]
    findings.sort(key=lambda f: (-f.strength, f.kind, f.explanation))
    default = date.fromordinal(default_day) if default_day != NO_DAY else None
    return ShellReport(describe_node(graph, debtor), default, len(dist), len(tied_companies), tuple(findings),
                       _subgraph(graph, findings, ends))


def _cycles(graph: RegistryGraph, dist: dict[int, int], parent: dict[int, tuple[int, int]], companies: list[int],
            receivers: set[int]) -> list[ShellFinding]:
    """Circular ownership among the tied companies (shareholder links followed holder -> company)."""
    inside = set(companies)
    found: list[ShellFinding] = []
    seen_cycles: set[frozenset[int]] = set()
    for start in companies:
        stack: list[tuple[int, list[int]]] = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for pos in graph.neighbours(node):
                if graph.edir[pos] != 1 or graph.etype[pos] != SHAREHOLDER:
                    continue
                nxt = int(graph.nbr[pos])
                if nxt == start and len(trail) > 1:
                    key = frozenset(trail)
                    if key not in seen_cycles:
                        seen_cycles.add(key)
                        names = " -> ".join(graph.names[n] for n in [*trail, start])
                        strength = 0.6 if key & receivers else 0.4
                        path = _path(graph, parent, trail[0]) + [describe_node(graph, n) | {"via": "shareholder"}
                                                                 for n in [*trail[1:], start]]
                        found.append(ShellFinding("circular_ownership", strength, f"Circular ownership: {names}.",
                                                  tuple(path), (), ("companies own each other in a circle",)))
                elif nxt in inside and nxt not in trail and len(trail) < 6:
                    stack.append((nxt, [*trail, nxt]))
    return found


def _subgraph(graph: RegistryGraph, findings: list[ShellFinding], ends: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    nodes: dict[str, dict[str, Any]] = {}
    links: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for f in findings:
        previous = None
        for step in f.path:
            nodes[step["id"]] = {k: step[k] for k in ("id", "name", "kind")}
            if previous is not None and step.get("via"):
                key = (previous, step["id"], step["via"])
                if key not in seen:
                    seen.add(key)
                    links.append({"source": previous, "target": step["id"], "label": step["via"], "transfer": False})
            previous = step["id"]
        for tr in f.transfers:
            for end in ("from", "to"):
                if tr[end] not in nodes:
                    nodes[tr[end]] = describe_node(graph, ends[tr[end]])
            key = (tr["from"], tr["to"], tr["id"])
            if key not in seen:
                seen.add(key)
                links.append({"source": tr["from"], "target": tr["to"], "label": f"{tr['kind']} {tr['date']}",
                              "transfer": True})
    return {"nodes": list(nodes.values()), "links": links}


def detect_for_debtor(graph: RegistryGraph, debtor_id: str, *, settings: ShellSettings | None = None,
                      default_date: date | None = None) -> ShellReport:
    """Findings for a debtor listed in the file's `debtors` (or any node id, with `default_date`)."""
    if debtor_id in graph.debtors:
        node, day = graph.debtors[debtor_id]
    else:
        node, day = graph.index(debtor_id), NO_DAY
    if default_date is not None:
        day = default_date.toordinal()
    return detect(graph, node, default_day=day, settings=settings)

