"""`qingzhai model …`: train, score, report, card, train-portfolio."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, handle_errors, print_json, transaction
from qingzhai.core.errors import NotFound
from qingzhai.i18n import _, current_lang
from qingzhai.scoring import service
from qingzhai.scoring.model import TrainedModel
from qingzhai.scoring.report import render
from qingzhai.scoring.rules import FairnessSettings, PortfolioSettings, TrainSettings

app = typer.Typer(help="Repayment-capacity models: train, score, report, and the portfolio model.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[str], None]]:
    if quiet:
        yield lambda _text: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(_("Training"), total=total)

        def step(text: str) -> None:
            bar.update(task, advance=1, description=text)

        yield step


def metrics_table(card: dict[str, Any]) -> Table:
    table = Table(_("Model"), "AUC", "Gini", "KS", "Brier", title=_("Cross-validated metrics (mean ± sd)"))
    for kind, stats in card["metrics"].items():
        name = f"{kind} ✔" if kind == card["chosen_model"] else kind
        table.add_row(name, *(f"{stats[m]['mean']:.3f} ± {stats[m]['sd']:.3f}" for m in ("auc", "gini", "ks", "brier")))
    return table


def print_card(card: dict[str, Any]) -> None:
    console.print(metrics_table(card))
    calibration = Table(_("Predicted"), _("Observed"), _("Rows"), title=_("Calibration of {model} (out-of-fold)",
                                                                        model=card["chosen_model"]))
    for row in card["calibration"][card["chosen_model"]]:
        calibration.add_row(f"{row['mean_predicted']:.3f}", f"{row['observed_rate']:.3f}", str(row["count"]))
    console.print(calibration)
    top = Table(_("Feature"), _("Share of importance"),
                title=_("Top features of {model}", model=card.get("top_features_of", "lightgbm")))
    for item in card["top_features"]:
        top.add_row(item["name"], f"{item.get('share', item.get('gain_share', 0.0)):.1%}")
    console.print(top)
    if card.get("ignored_columns"):
        console.print(_("Not used as features: {cols}", cols=", ".join(f"{k} ({v})" for k, v in card["ignored_columns"].items())))


@app.command("train")
@handle_errors
def train(
    data: Annotated[Path, typer.Option(help="Training data: .csv (UTF-8) or .parquet.")],
    target: Annotated[str, typer.Option(help="Column with the outcome (two values).")],
    out: Annotated[Path, typer.Option(help="Directory to write the model and its model card to.")],
    positive: Annotated[str | None, typer.Option(help="Target value whose probability the model gives "
                                                       "(default: the value meaning good/yes/1).")] = None,
    folds: Annotated[int, typer.Option(help="Outer cross-validation folds.")] = 5,
    repeats: Annotated[int, typer.Option(help="Repetitions of the K-fold.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed; same data and seed, same numbers.")] = 42,
    protected: Annotated[list[str] | None, typer.Option(
        "--protected", help="Column the model must never use (repeatable).")] = None,
    group: Annotated[list[str] | None, typer.Option(
        "--group", help="Column to check fairness across; never a feature (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train LightGBM and a scorecard with repeated cross-validation, and save the chosen model."""
    settings = TrainSettings(folds=folds, repeats=repeats, seed=seed)
    with _progress(folds * repeats + 1, as_json) as step:
        model = service.train_file(data, target=target, positive=positive, out=out, now=clock.now(), settings=settings,
                                   protected=tuple(protected or ()), groups=tuple(group or ()), progress=step)
    if as_json:
        print_json(model.card)
        return
    print_card(model.card)
    console.print(_("Chosen model: {kind}. Saved to {out}.", kind=model.chosen, out=out))


@app.command("score")
@handle_errors
def score(
    model: Annotated[Path, typer.Option(help="Model directory written by 'train'.")],
    data: Annotated[Path, typer.Option(help="Rows to score: .csv or .parquet.")],
    out: Annotated[Path, typer.Option(help="CSV to write: the input plus probability, score, band, reason_1..3.")],
    lang: Annotated[str | None, typer.Option(help="Language of the reasons: zh_CN or en (default QINGZHAI_LANG).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score rows: probability, score band and the top three reasons per row."""
    rows = service.score_file(model, data, out, lang=lang or current_lang())
    if as_json:
        print_json({"rows": rows, "out": str(out)})
    else:
        console.print(_("{rows} rows scored into {out}.", rows=rows, out=out))


@app.command("report")
@handle_errors
def report(
    model: Annotated[Path, typer.Option(help="Model directory written by 'train' or 'train-portfolio'.")],
    out: Annotated[Path, typer.Option(help="HTML file to write.")],
    approve_at: Annotated[float, typer.Option(help="Probability at which a case counts as approved.")] = 0.5,
    as_json: JsonOpt = False,
) -> None:
    """Write the HTML report: ROC, calibration, score distribution, importance, fairness."""
    trained = TrainedModel.load(model)
    page, summary = render(trained, fairness=FairnessSettings(approve_at=approve_at))
    out.write_text(page, encoding="utf-8")
    if as_json:
        print_json({**summary, "out": str(out)})
    else:
        console.print(_("Report written to {out}.", out=out))


@app.command("card")
@handle_errors
def card(
    model: Annotated[Path | None, typer.Option(help="Model directory; default: this database's portfolio model.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a model card."""
    if model is None:
        with transaction() as session:
            record = service.active_portfolio(session)
            if record is None:
                raise NotFound(_("no portfolio model has been trained"), field="model")
            data = dict(record.card)
    else:
        data = TrainedModel.load(model).card
    if as_json:
        print_json(data)
    else:
        print_card(data)


def _portfolio_summary(result: service.PortfolioTraining) -> dict[str, Any]:
    card = result.model.card
    return {"model_id": result.record.id, "path": str(result.path), "history": result.history,
            "real_examples": result.real_examples, "examples": result.examples, "notes": result.notes,
            "chosen_model": card["chosen_model"], "metrics": card["metrics"], "data_categories": card["data_categories"]}


@app.command("train-portfolio")
@handle_errors
def train_portfolio(
    horizon_days: Annotated[int, typer.Option(
        help="A plan counts as kept when not defaulted this many days after it started.")] = 90,
    min_examples: Annotated[int, typer.Option(help="Labelled plans needed to train on real history.")] = 200,
    folds: Annotated[int, typer.Option(help="Outer cross-validation folds.")] = 5,
    repeats: Annotated[int, typer.Option(help="Repetitions of the K-fold.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    model_dir: Annotated[Path | None, typer.Option(
        help="Where to keep models (default QINGZHAI_MODEL_DIR or ./qingzhai-models).")] = None,
    simulated: Annotated[bool, typer.Option(
        help="With too little real history, train on simulated outcomes (said in the card).")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Train the repayment-capacity model from this database's cases, assessments, contracts and payments."""
    settings = PortfolioSettings(horizon_days=horizon_days, min_examples=min_examples)
    train_settings = TrainSettings(folds=folds, repeats=repeats, seed=seed)
    with _progress(folds * repeats + 1, as_json) as step, transaction() as session:
        result = service.train_portfolio(session, now=clock.now(), settings=settings, train_settings=train_settings,
                                         model_dir=model_dir, allow_simulated=simulated, progress=step)
        summary = _portfolio_summary(result)
    if as_json:
        print_json(summary)
        return
    for note in result.notes:
        console.print(f"[yellow]{_('Too little real history')}:[/yellow] {note}")
    if result.history == "simulated":
        console.print(_("Trained on SIMULATED plan outcomes for the real cases; retrain as real history accumulates."))
    console.print(metrics_table(result.model.card))
    console.print(_("Data categories used: {cats}", cats=", ".join(summary["data_categories"])))
    console.print(_("Portfolio model {id} saved to {path} and active.", id=result.record.id, path=result.path))
