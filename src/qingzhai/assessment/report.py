"""The assessment report for a lawyer: one self-contained HTML file with the summary, the 12
indicators, the red flags, the evidence chain of each shell finding as a table, and a drawing of
the relevant part of the registry graph (matplotlib, Agg, embedded as a base64 PNG).
"""

from __future__ import annotations

import base64
import io
from html import escape
from typing import Any

from qingzhai.assessment.schemas import AssessmentRead
from qingzhai.i18n import _

KIND_COLOURS = {"person": "#4C72B0", "company": "#DD8452", "address": "#55A868", "phone": "#8172B3", "email": "#937860"}


def draw_subgraph(subgraph: dict[str, Any], debtor_id: str | None) -> str | None:
    """PNG (base64) of the nodes and links on the findings' paths; node labels are ids (see the legend)."""
    nodes = subgraph.get("nodes") or []
    if not nodes:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    g = nx.MultiDiGraph()
    for n in nodes:
        g.add_node(n["id"], kind=n["kind"])
    for link in subgraph.get("links") or []:
        g.add_edge(link["source"], link["target"], label=link["label"], transfer=link["transfer"])
    pos = nx.spring_layout(nx.Graph(g), seed=7, k=1.2)
    fig, ax = plt.subplots(figsize=(9, 6.5), dpi=110)
    colours = [KIND_COLOURS.get(g.nodes[n]["kind"], "#999999") for n in g.nodes]
    sizes = [1400 if n == debtor_id else 900 for n in g.nodes]
    nx.draw_networkx_nodes(g, pos, node_color=colours, node_size=sizes, ax=ax, edgecolors="black")
    plain = [(u, v) for u, v, d in g.edges(data=True) if not d["transfer"]]
    moved = [(u, v) for u, v, d in g.edges(data=True) if d["transfer"]]
    nx.draw_networkx_edges(g, pos, edgelist=plain, ax=ax, arrows=True, edge_color="#777777", arrowstyle="-|>")
    nx.draw_networkx_edges(g, pos, edgelist=moved, ax=ax, arrows=True, edge_color="#C44E52", width=2.5,
                           style="dashed", arrowstyle="-|>", connectionstyle="arc3,rad=0.2")
    labels = {n: n for n in g.nodes}
    nx.draw_networkx_labels(g, pos, labels=labels, font_size=7, ax=ax)
    edge_labels: dict[tuple[str, str], str] = {}
    for u, v, d in g.edges(data=True):
        text = d["label"].split(" ")[0] if not d["transfer"] else d["label"]
        edge_labels[(u, v)] = f"{edge_labels[(u, v)]} / {text}" if (u, v) in edge_labels else text
    nx.draw_networkx_edge_labels(g, pos, edge_labels=edge_labels, font_size=6, ax=ax)
    ax.set_axis_off()
    ax.set_title("registry subgraph: solid = roles and shared details, red dashed = transfers")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if c is None else str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _money(value: Any) -> str:
    if not value:
        return "—"
    return f"{value['amount']} {value['currency']}"


def render_html(view: AssessmentRead, *, case_label: str, debtor_label: str, shells: dict[str, Any] | None) -> str:
    s = view.summary
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{escape(_('Assessment report'))} {escape(case_label)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #bbb;padding:4px 8px;font-size:13px;vertical-align:top}th{background:#eee}"
        ".high{color:#b00}.medium{color:#a60}</style></head><body>",
        f"<h1>{escape(_('Assessment report'))} — {escape(case_label)}</h1>",
        f"<p>{escape(_('Debtor'))}: {escape(debtor_label)} · {escape(_('Version'))} {view.version} · "
        f"{escape(view.assessed_at.isoformat())}</p>",
        f"<h2>{escape(_('Summary'))}</h2>",
        _table([_("Item"), _("Value")], [
            [_("Grade"), view.grade], [_("Completeness"), f"{view.completeness:.0%}"],
            [_("Disposable income (monthly)"), f"{_money(s.get('disposable_income'))} "
             f"({_money(s.get('disposable_income_low'))} – {_money(s.get('disposable_income_high'))})"],
            [_("Liquid assets"), _money(s.get("liquid_assets"))], [_("Total assets"), _money(s.get("total_assets"))],
            [_("Fake-debt risk"), s.get("fake_debt_risk")], [_("Concealment flagged"), s.get("concealment_flagged")],
            [_("Evidence strength"), f"{s.get('evidence_strength', 0):.0%}"],
            [_("Limitation date"), s.get("limitation_date")], [_("Cooperative"), s.get("cooperative")],
            [_("Hardship"), s.get("hardship")], [_("Enterprise size"), s.get("enterprise_size")],
            [_("Data not used (no legal basis)"), ", ".join(view.withheld) or "—"],
        ]),
        f"<h2>{escape(_('Indicators'))}</h2>",
        _table([_("Indicator"), _("Status"), _("Score"), _("Confidence"), _("Findings"), _("Evidence")], [
            [_(i.key), _(i.status), i.score, f"{i.confidence:.2f}", " ".join(i.findings),
             "; ".join(f"{e['source']} {e['reference']} {e['observed_on'] or ''}".strip() for e in i.evidence)]
            for i in view.indicators]),
        f"<h2>{escape(_('Red flags'))}</h2>",
        _table([_("Severity"), _("Code"), _("Finding")], [[r.severity, r.code, r.finding] for r in view.red_flags])
        if view.red_flags else f"<p>{escape(_('None.'))}</p>",
        f"<h2>{escape(_('Fake-debt check'))}</h2>",
        "<ul>" + "".join(f"<li>{escape(r)}</li>" for r in view.fake_debt_reasons) + "</ul>"
        if view.fake_debt_reasons else f"<p>{escape(_('No reasons to doubt the debt.'))}</p>",
    ]
    if shells:
        parts.append(f"<h2>{escape(_('Evidence chain: shell companies and asset transfers'))}</h2>")
        parts.append(f"<p>{escape(_('Registry'))}: {escape(str(shells.get('registry') or ''))}</p>")
        rows = []
        for rank, f in enumerate(shells.get("findings") or [], start=1):
            for step, node in enumerate(f["path"]):
                rows.append([rank if step == 0 else "", f"{f['strength']:.2f}" if step == 0 else "",
                             f["kind"] if step == 0 else "", step, node.get("via") or "—", node["id"], node["name"]])
            for t in f.get("transfers") or []:
                cons = t.get("consideration_fen")
                rows.append(["", "", "", "→", f"{t['kind']} {t['date']}", t["to"],
                             f"{t['asset']}: {t['value_fen'] / 100:,.2f} / "
                             f"{'—' if cons is None else f'{cons / 100:,.2f}'}"])
            rows.append(["", "", "", "", _("reasons"), "", "; ".join(f.get("reasons") or [])])
        parts.append(_table([_("Rank"), _("Strength"), _("Kind"), _("Step"), _("Link"), _("Node"), _("Name / detail")], rows))
        png = draw_subgraph(shells.get("subgraph") or {}, (shells.get("debtor") or {}).get("id"))
        if png:
            parts.append(f"<img alt='registry subgraph' src='data:image/png;base64,{png}'>")
            legend = [[n["id"], n["kind"], n["name"]] for n in (shells.get("subgraph") or {}).get("nodes", [])]
            parts.append(_table([_("Node"), _("Kind"), _("Name")], legend))
    parts.append("</body></html>")
    return "\n".join(parts)
