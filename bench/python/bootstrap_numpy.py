"""Paired bootstrap of accuracy, f1 and roc_auc vectorised in numpy: the reference the TypeScript bootstrap is
benchmarked against. Reads the rows the benchmark wrote (labels as uint8, both models' scores as float64, raw
little-endian), resamples indices with numpy's default generator, and prints the timing and intervals as JSON.

Usage: bootstrap_numpy.py DIR ROWS RESAMPLES SEED CONFIDENCE THRESHOLD
"""

import json
import sys
import time

import numpy as np


def label_metrics(y, predicted):
    """accuracy and f1 (scikit-learn's definitions, zero_division -> 0) for 0/1 labels and predictions."""
    tp = np.count_nonzero(y & predicted)
    fp = np.count_nonzero(predicted) - tp
    fn = np.count_nonzero(y) - tp
    accuracy = np.count_nonzero(y == predicted) / y.size
    denominator = 2 * tp + fp + fn
    return accuracy, (2 * tp / denominator if denominator else 0.0)


def roc_auc(y, scores):
    """Mann-Whitney form of the ROC AUC with average ranks for tied scores (equals roc_auc_score)."""
    n = scores.size
    order = np.argsort(scores)
    ordered = scores[order]
    starts_group = np.empty(n, dtype=bool)
    starts_group[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_group[1:])
    group = np.cumsum(starts_group) - 1
    starts = np.flatnonzero(starts_group)
    ends = np.append(starts[1:], n)
    average_rank = (starts + ends + 1) / 2.0
    positive = y[order].astype(bool)
    positives = np.count_nonzero(positive)
    negatives = n - positives
    rank_sum = average_rank[group[positive]].sum()
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def metrics(y, scores, threshold):
    accuracy, f1 = label_metrics(y, (scores >= threshold).astype(np.uint8))
    return np.array([accuracy, f1, roc_auc(y, scores)])


def main():
    directory, rows, resamples, seed, confidence, threshold = sys.argv[1:7]
    rows, resamples, seed = int(rows), int(resamples), int(seed)
    confidence, threshold = float(confidence), float(threshold)
    labels = np.fromfile(f"{directory}/labels.u8", dtype=np.uint8, count=rows)
    candidate = np.fromfile(f"{directory}/candidate.f64", dtype="<f8", count=rows)
    champion = np.fromfile(f"{directory}/champion.f64", dtype="<f8", count=rows)

    started = time.perf_counter()
    cpu_started = time.process_time()
    estimate = metrics(labels, candidate, threshold) - metrics(labels, champion, threshold)
    rng = np.random.default_rng(seed)
    improvements = np.empty((resamples, 3))
    for r in range(resamples):
        index = rng.integers(0, rows, rows)
        y = labels[index]
        improvements[r] = metrics(y, candidate[index], threshold) - metrics(y, champion[index], threshold)
    tail = (1 - confidence) / 2
    lower = np.quantile(improvements, tail, axis=0)
    upper = np.quantile(improvements, 1 - tail, axis=0)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started

    names = ["accuracy", "f1", "roc_auc"]
    print(json.dumps({
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "intervals": {
            name: {"estimate": float(estimate[m]), "lower": float(lower[m]), "upper": float(upper[m])}
            for m, name in enumerate(names)
        },
    }))


if __name__ == "__main__":
    main()
