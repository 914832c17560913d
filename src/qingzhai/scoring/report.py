"""The HTML model report: ROC and calibration plots, score distribution, feature importance, and
the fairness section (AUC, score distribution and approval-rate parity per group, and the proof
that protected attributes are not features). Plots are PNG embedded as base64; one file, no
outside resources.
"""

from __future__ import annotations

import base64
import html
import io
import math
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from qingzhai.fonts import register_cjk_font_for_plots
from qingzhai.i18n import _
from qingzhai.scoring.model import TrainedModel
from qingzhai.scoring.rules import FairnessSettings, GroupFairness, calibration_table, fairness_by_group


@lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    """A font that can draw Chinese (the one qingzhai ships, or the machine's); else plots keep to ASCII."""
    from matplotlib import font_manager

    shipped = register_cjk_font_for_plots()
    if shipped is not None:
        return shipped
    for font in font_manager.fontManager.ttflist:
        if any(key in font.name for key in ("CJK", "WenQuanYi", "Hei", "Droid Sans Fallback", "Source Han")):
            return font.name
    return None


def plot_text(text: str, fallback: str) -> str:
    """`text` when it can be drawn (ASCII, or a Chinese font is installed), else `fallback`."""
    if text.isascii():
        return text
    font = _cjk_font()
    if font is not None:
        plt.rcParams["font.sans-serif"] = [font, *plt.rcParams["font.sans-serif"]]
        return text
    return fallback


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _roc(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-p, kind="mergesort")
    ys = y[order].astype(bool)
    tpr = np.concatenate(([0.0], np.cumsum(ys) / max(ys.sum(), 1)))
    fpr = np.concatenate(([0.0], np.cumsum(~ys) / max((~ys).sum(), 1)))
    return fpr, tpr


def roc_plot(y: np.ndarray, predictions: dict[str, np.ndarray]) -> str:
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for name, p in predictions.items():
        fpr, tpr = _roc(y, p)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set_xlabel(plot_text(_("False positive rate"), "False positive rate"))
    ax.set_ylabel(plot_text(_("True positive rate"), "True positive rate"))
    ax.set_title(plot_text(_("ROC (out-of-fold)"), "ROC (out-of-fold)"))
    ax.legend(loc="lower right")
    return _png(fig)


def calibration_plot(y: np.ndarray, predictions: dict[str, np.ndarray]) -> str:
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for name, p in predictions.items():
        rows = calibration_table(y, p, bins=10)
        ax.plot([r.mean_predicted for r in rows], [r.observed_rate for r in rows], marker="o", label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set_xlabel(plot_text(_("Predicted probability"), "Predicted probability"))
    ax.set_ylabel(plot_text(_("Observed rate"), "Observed rate"))
    ax.set_title(plot_text(_("Calibration (out-of-fold)"), "Calibration (out-of-fold)"))
    ax.legend(loc="upper left")
    return _png(fig)


def distribution_plot(p: np.ndarray, labels: np.ndarray, title: str, fallback_title: str) -> str:
    """Histograms per group; a group name that cannot be drawn is shown as #n, its row in the table."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for index, name in enumerate(sorted({str(v) for v in labels})):
        mask = np.array([str(v) == name for v in labels])
        label = plot_text(name, f"#{index + 1}")
        ax.hist(p[mask], bins=20, range=(0, 1), alpha=0.5, density=True, label=f"{label} (n={int(mask.sum())})")
    ax.set_xlabel(plot_text(_("Probability of the positive outcome"), "Probability of the positive outcome"))
    ax.set_title(plot_text(title, fallback_title))
    ax.legend(fontsize="small")
    return _png(fig)


def importance_plot(top: list[dict[str, Any]], model: str) -> str:
    """Split gain for the trees, spread of coef x WoE for the scorecard, their weighted mean for the blend."""
    fig, ax = plt.subplots(figsize=(6, 0.35 * max(len(top), 3) + 1))
    names = [t["name"] for t in top][::-1]
    ax.barh(names, [t.get("share", t.get("gain_share", 0.0)) for t in top][::-1])
    ax.set_xlabel(plot_text(_("Share of importance ({model})", model=model), f"Share of importance ({model})"))
    ax.set_title(plot_text(_("Feature importance"), "Feature importance"))
    return _png(fig)


def group_labels(values: pd.Series, *, bands: int) -> np.ndarray:
    """Group values as text; a numeric column with many values is cut into quantile bands."""
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
        cut = pd.qcut(values, q=bands, duplicates="drop")
        return np.array([str(v) if not pd.isna(v) else "missing" for v in cut], dtype=object)
    return np.array(["missing" if pd.isna(v) else str(v) for v in values], dtype=object)


def _fmt(value: float, digits: int = 3) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def absence_proof(model: TrainedModel) -> list[tuple[str, bool, bool]]:
    """For each protected attribute: is it among LightGBM's features? among the scorecard's?"""
    booster_features = set(model.pipeline.booster.feature_name())
    schema_features = set(model.pipeline.schema.names)
    card_features = {v.name for v in model.pipeline.scorecard.variables}
    protected = list(model.card.get("protected_attributes", []))
    # LightGBM names features Column_i when trained from a matrix: map them back through the schema.
    named = {model.pipeline.schema.names[int(n.split("_")[1])] if n.startswith("Column_") else n for n in booster_features}
    return [(p, p in named or p in schema_features, p in card_features) for p in protected]


def fairness_section(model: TrainedModel, settings: FairnessSettings) -> tuple[str, list[dict[str, Any]]]:
    oof = model.oof
    chosen = model.chosen
    parts: list[str] = [f"<h2>{html.escape(_('Fairness'))}</h2>"]
    proof = absence_proof(model)
    if proof:
        rows = [[html.escape(name), _("yes — FAIL") if in_lgbm else _("no"), _("yes — FAIL") if in_card else _("no")]
                for name, in_lgbm, in_card in proof]
        intro = _("Protected attributes are excluded from the features. Checked against the saved models:")
        parts.append(f"<p>{html.escape(intro)}</p>")
        parts.append(_table([_("Protected attribute"), _("Used by LightGBM"), _("Used by the scorecard")], rows))
    else:
        parts.append(f"<p>{html.escape(_('No protected attributes were named when training.'))}</p>")
    findings: list[dict[str, Any]] = []
    group_columns = [c for c in oof.columns if c.startswith("group:")]
    if oof.empty or not group_columns:
        parts.append(f"<p>{html.escape(_('No fairness groups were named when training (use --group).'))}</p>")
        return "\n".join(parts), findings
    y = oof["target"].to_numpy()
    p = oof[f"p_{chosen}"].to_numpy()
    rule = _("A case counts as approved at a probability of {p} or more; a group is flagged when its approval rate "
             "is below {floor} of the best group, or its AUC is more than {gap} below the overall AUC.",
             p=settings.approve_at, floor=settings.parity_floor, gap=settings.auc_gap)
    parts.append(f"<p>{html.escape(rule)}</p>")
    for column in group_columns:
        name = column.split(":", 1)[1]
        labels = group_labels(oof[column], bands=settings.numeric_bands)
        stats: list[GroupFairness] = fairness_by_group(y, p, labels, settings=settings)
        rows = [[str(i + 1), html.escape(s.group), str(s.count), str(s.positives), _fmt(s.auc), _fmt(s.mean_probability),
                 _fmt(s.approval_rate), _fmt(s.parity_ratio, 2), _("flagged") if s.flagged else ""]
                for i, s in enumerate(stats)]
        parts.append(f"<h3>{html.escape(name)}</h3>")
        parts.append(_table(["#", _("Group"), _("Rows"), _("Positives"), _("AUC"), _("Mean probability"), _("Approval rate"),
                             _("Parity ratio"), ""], rows))
        parts.append(distribution_plot(p, labels, _("Score distribution by {group}", group=name),
                                       f"Score distribution by {name}" if name.isascii() else "Score distribution"))
        findings.append({"group": name, "groups": [s.__dict__ for s in stats]})
    return "\n".join(parts), findings


STYLE = """body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}img{max-width:100%;margin:.5em 0}code{background:#f6f6f6}"""


def render(model: TrainedModel, *, fairness: FairnessSettings | None = None) -> tuple[str, dict[str, Any]]:
    """The report as one HTML page, and its figures as a dict (for --json)."""
    fairness = fairness or FairnessSettings()
    card = model.card
    title = _("Model report: {name}", name=card.get("name", "model"))
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    data = card.get("data", {})
    trained = _("Trained {when} with seed {seed}; {rows} rows, data fingerprint {fp}.", when=card.get("trained_at", ""),
                seed=card.get("seed", ""), rows=data.get("rows", ""), fp=str(data.get("fingerprint", ""))[:16])
    parts.append(f"<p>{html.escape(trained)}</p>")
    if card.get("history"):
        parts.append(f"<p><b>{html.escape(_('History used: {history}', history=card['history']))}</b> "
                     f"{html.escape('; '.join(card.get('history_notes', [])))}</p>")
    parts.append(f"<p>{html.escape(card.get('evaluation', {}).get('method', ''))}</p>")
    rows = []
    for kind, stats in card.get("metrics", {}).items():
        marker = " ✔" if kind == model.chosen else ""
        rows.append([html.escape(kind + marker)] + [
            f"{_fmt(stats[m]['mean'])} ± {_fmt(stats[m]['sd'])}" for m in ("auc", "gini", "ks", "brier")])
    parts.append(_table([_("Model"), "AUC", "Gini", "KS", "Brier"], rows))
    oof = model.oof
    if not oof.empty:
        y = oof["target"].to_numpy()
        predictions = {c[2:]: oof[c].to_numpy() for c in oof.columns if c.startswith("p_")}
        parts.append(roc_plot(y, predictions))
        parts.append(calibration_plot(y, predictions))
        outcome = np.where(y == 1, plot_text(_("positive"), "positive"), plot_text(_("negative"), "negative"))
        parts.append(distribution_plot(predictions[model.chosen], outcome, _("Score distribution by outcome"),
                                       "Score distribution by outcome"))
    if card.get("top_features"):
        parts.append(importance_plot(card["top_features"], card.get("top_features_of", "lightgbm")))
    if card.get("data_categories"):
        parts.append(f"<p>{html.escape(_('Data categories used: {cats}', cats=', '.join(card['data_categories'])))}</p>")
    section, findings = fairness_section(model, fairness)
    parts.append(section)
    parts.append("</body></html>")
    summary = {"name": card.get("name"), "chosen_model": model.chosen, "metrics": card.get("metrics"),
               "protected_absent": [{"attribute": a, "in_lightgbm": b, "in_scorecard": c} for a, b, c in absence_proof(model)],
               "fairness": findings}
    return "\n".join(parts), summary
