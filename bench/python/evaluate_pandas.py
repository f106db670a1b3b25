"""The pandas + scikit-learn side of `bench/evaluate.ts`.

Reads a binary predictions CSV (label, candidate, champion) with pandas.read_csv and computes every binary metric of
`evaluate-model` for both models with scikit-learn, the way a data scientist would. Prints one JSON object:
{"seconds": wall time from start of the script (imports included), "maxRssBytes": peak RSS,
 "candidate": {metric: value}, "champion": {metric: value}}.

Usage: python bench/python/evaluate_pandas.py <file.csv> [threshold]
"""
import json
import resource
import sys
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import metrics  # noqa: E402


def binary_metrics(y_true, scores, threshold):
    predicted = (scores >= threshold).astype(np.int64)
    return {
        "accuracy": metrics.accuracy_score(y_true, predicted),
        "precision": metrics.precision_score(y_true, predicted, zero_division=0),
        "recall": metrics.recall_score(y_true, predicted, zero_division=0),
        "f1": metrics.f1_score(y_true, predicted, zero_division=0),
        "roc_auc": metrics.roc_auc_score(y_true, scores),
        "pr_auc": metrics.average_precision_score(y_true, scores),
        "log_loss": metrics.log_loss(y_true, scores, labels=[0, 1]),
        "brier": metrics.brier_score_loss(y_true, scores),
    }


def main():
    path = sys.argv[1]
    threshold = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
    frame = pd.read_csv(path)
    y_true = frame["label"].to_numpy()
    result = {
        "candidate": binary_metrics(y_true, frame["candidate"].to_numpy(), threshold),
        "champion": binary_metrics(y_true, frame["champion"].to_numpy(), threshold),
    }
    seconds = time.perf_counter() - START
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    print(json.dumps({
        "seconds": seconds,
        "maxRssBytes": peak,
        "candidate": {k: float(v) for k, v in result["candidate"].items()},
        "champion": {k: float(v) for k, v in result["champion"].items()},
    }))


if __name__ == "__main__":
    main()
