"""The reference protocol in scikit-learn, timed: standardise with the train rows (mean, ddof=1
std), L2-normalise, then per class 2-fold stratified CV over C in 1e-6..1 on balanced accuracy
and a refit at the best C. Prints one JSON line per solver.

Usage: python bench/peers.py DATA.parquet [--solvers linear_svc,svc] [--max-seconds 3000]

A solver still running after --max-seconds is stopped and reported as a lower bound
("unfinished_after"), so shapes where SVC is hopeless still give a measured ratio.
"""
import argparse
import json
import multiprocessing
import queue
import time

import numpy as np
import pyarrow.parquet as pq
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC, LinearSVC

parser = argparse.ArgumentParser()
parser.add_argument("data")
parser.add_argument("--solvers", default="linear_svc,svc")
parser.add_argument("--max-seconds", type=float, default=None)
args = parser.parse_args()

table = pq.read_table(args.data, columns=["embedding", "label", "prediction", "split"])
d = len(table.column("embedding").chunk(0)[0])
x = table.column("embedding").combine_chunks().flatten().to_numpy().reshape(-1, d).astype(np.float64)
label = table.column("label").to_numpy()
correct = label == table.column("prediction").to_numpy()
split = np.array(table.column("split").to_pylist())

GRID = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
MAKERS = {
    "linear_svc": lambda C: LinearSVC(loss="hinge", dual=True, C=C, class_weight="balanced"),
    "svc": lambda C: SVC(kernel="linear", C=C, class_weight="balanced"),
}


def protocol(make):
    start = time.perf_counter()
    stats = x[split == "train"] if (split == "train").sum() >= 2 else x[split == "val"]
    mean, std = stats.mean(axis=0), stats.std(axis=0, ddof=1)
    classes = []
    for c in np.unique(label):
        rows = (label == c) & (split == "val")
        z = (x[rows] - mean) / std
        z /= np.linalg.norm(z, axis=1, keepdims=True)
        y = correct[rows]
        # As faultline: 2-fold stratified CV needs two rows of each kind.
        if min(y.sum(), (~y).sum()) < 2:
            continue
        skf = StratifiedKFold(n_splits=2, shuffle=True, random_state=0)
        scores = []
        for C in GRID:
            fold_scores = []
            for fit_rows, held in skf.split(z, y):
                model = make(C).fit(z[fit_rows], y[fit_rows])
                fold_scores.append(balanced_accuracy_score(y[held], model.predict(z[held])))
            scores.append(float(np.mean(fold_scores)))
        best = int(np.argmax(scores))
        make(GRID[best]).fit(z, y)
        classes.append({"class": int(c), "c": GRID[best], "cv_balanced_accuracy": scores[best]})
    return time.perf_counter() - start, classes


def run(name, results):
    results.put(protocol(MAKERS[name]))


for name in args.solvers.split(","):
    if args.max_seconds is None:
        seconds, classes = protocol(MAKERS[name])
    else:
        # A forked child shares the loaded data; the timer starts inside protocol(), so the
        # bound excludes loading, as the reported times do.
        results = multiprocessing.get_context("fork").Queue()
        child = multiprocessing.get_context("fork").Process(target=run, args=(name, results))
        child.start()
        try:
            # Read before joining: a child blocks on exit until its result is read.
            seconds, classes = results.get(timeout=args.max_seconds + 5)
        except queue.Empty:
            child.terminate()
            child.join()
            print(json.dumps({"solver": name, "seconds": None,
                              "unfinished_after": args.max_seconds, "classes": []}), flush=True)
            continue
        child.join()
    print(json.dumps({"solver": name, "seconds": seconds, "classes": classes}), flush=True)
