"""Reference classification metrics from scikit-learn, for the TypeScript tests.

Usage: sklearn_metrics.py CASES.json

CASES.json is {"cases": [{"k": K, "y_true": [...], "y_pred": [...], "probs": [[...], ...] | null}]}
with class indices in 0..K-1. Prints {"sklearn_version": ..., "results": [...]} on stdout,
one result per case in the same order. Floats print with repr precision, so they round-trip.
"""

import json
import sys

import numpy as np
from sklearn import __version__ as sklearn_version
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
)


def prfs(y_true, y_pred, labels, average):
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=average, zero_division=0
    )


def case_result(case):
    k = case["k"]
    labels = list(range(k))
    y_true = np.asarray(case["y_true"], dtype=np.int64)
    y_pred = np.asarray(case["y_pred"], dtype=np.int64)

    p, r, f, s = prfs(y_true, y_pred, labels, None)
    macro = prfs(y_true, y_pred, labels, "macro")
    weighted = prfs(y_true, y_pred, labels, "weighted")
    micro = prfs(y_true, y_pred, labels, "micro")

    # log_loss needs at least two labels; the caller checks K=1 by hand.
    probs = case.get("probs")
    loss = None
    if probs is not None and k >= 2:
        loss = float(log_loss(y_true, np.asarray(probs, dtype=np.float64), labels=labels))

    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision_macro": float(macro[0]),
        "recall_macro": float(macro[1]),
        "f1_macro": float(macro[2]),
        "precision_weighted": float(weighted[0]),
        "recall_weighted": float(weighted[1]),
        "f1_weighted": float(weighted[2]),
        "f1_micro": float(micro[2]),
        "per_class": {
            "precision": [float(x) for x in p],
            "recall": [float(x) for x in r],
            "f1": [float(x) for x in f],
            "support": [int(x) for x in s],
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "log_loss": loss,
    }


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: sklearn_metrics.py CASES.json")
    with open(argv[1], encoding="utf-8") as fh:
        cases = json.load(fh)["cases"]
    results = [case_result(c) for c in cases]
    json.dump({"sklearn_version": sklearn_version, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
