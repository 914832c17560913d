"""How the emotion and intent heads do on a writer they have not seen: each named development round
is scored by heads trained on every other training set (same design as `train.py`), for a grid of
settings. Use it to compare model changes without spending a fresh held-out round.

    .venv/bin/python benchmarks/conversation_writers.py
    .venv/bin/python benchmarks/conversation_writers.py --rounds test_round5.jsonl test_round6.jsonl --c 32 --tfidf 1.0

A round whose errors were read before other training data was written (see data/README.md) gives
an optimistic figure here.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from qingzhai.conversation import train as T
from qingzhai.conversation.model import default_embedder

console = Console(width=None if sys.stdout.isatty() else 160)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", nargs="+", default=["test_round6.jsonl", "test_round7.jsonl", "test_round8.jsonl"])
    parser.add_argument("--c", nargs="+", type=float, default=[8.0, 32.0, 128.0])
    parser.add_argument("--tfidf", nargs="+", type=float, default=[1.0, 1.5])
    args = parser.parse_args()
    unknown = set(args.rounds) - set(T.EMOTION_TRAIN_SETS)
    if unknown:
        parser.error(f"not development sets: {', '.join(sorted(unknown))} (held-out rounds are never used here)")
    examples = T.load_sets(T.EMOTION_TRAIN_SETS)
    emb, _fresh = T.cached_embeddings([e.text for e in examples], default_embedder())
    with Progress(console=console, transient=True) as progress:
        fits = 2 * len(args.rounds) * len(args.tfidf)  # emotion and intent
        task = progress.add_task("training without each round", total=fits)
        results = T.leave_sets_out(
            examples, emb, args.rounds, grid_c=args.c, grid_tfidf=args.tfidf, progress=lambda n: progress.advance(task, n)
        )
    table = Table(title="Heads trained without the round, scored on it (emotion accuracy / intent macro-F1)")
    table.add_column("C, TF-IDF weight")
    for name in args.rounds:
        table.add_column(name, justify="right")
    table.add_column("mean", justify="right")
    for (c, w), scores in sorted(results.items()):
        cells = [f"{e:.3f} / {i:.3f}" for e, i in zip(scores["emotion"], scores["intent"], strict=True)]
        table.add_row(f"C={c:g}, {w:g}", *cells, f"{np.mean(scores['emotion']):.3f} / {np.mean(scores['intent']):.3f}")
    console.print(table)
    rerun = " ".join(["--rounds", *args.rounds, "--c", *map(str, args.c), "--tfidf", *map(str, args.tfidf)])
    console.print(f"rerun: .venv/bin/python benchmarks/conversation_writers.py {rerun}")


if __name__ == "__main__":
    main()
