"""Synthetic CLIP-like embeddings for the fitting benchmark, in faultline's input contract.

Each class has `--val` val rows, as many train rows (for the standardisation statistics) and a
few test rows; errors (~20%) follow a planted direction plus label noise, so the SVM problem is
not separable, as with real data. `--after` adds a retrained model's predictions
(`prediction_after`): on even classes its failure rate past the threshold falls to a third (a
fix), on odd classes it stays (for `faultline diff`). `--failures 2` plants two independent failure directions per
class (an error is likely past either); with `--shared-classes K` the first K classes all fail
along one shared direction instead of their own.

Usage: python bench/make_data.py OUT.parquet --classes 2 --val 20000 --dim 512 [--seed 0]
           [--failures 1] [--shared-classes 0] [--after]
"""
import argparse
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--classes", type=int, default=2)
parser.add_argument("--val", type=int, default=20000)
parser.add_argument("--train", type=int, default=None)
parser.add_argument("--test", type=int, default=100)
parser.add_argument("--dim", type=int, default=512)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--failures", type=int, default=1)
parser.add_argument("--shared-classes", type=int, default=0)
parser.add_argument("--after", action="store_true")
# How sharply the error rate rises past a failure's threshold (logistic slope, per unit of the
# raw projection): 40 is soft, 400 almost a step.
parser.add_argument("--sharpness", type=float, default=40)
args = parser.parse_args()

rng = np.random.default_rng(args.seed)
d = args.dim
n_train = args.train if args.train is not None else min(args.val, 5000)
offset = rng.normal(size=d).astype(np.float32)
offset *= 3 / np.linalg.norm(offset)
chunks, labels, preds, splits, preds_after = [], [], [], [], []
shared = rng.normal(size=d).astype(np.float32)
shared /= np.linalg.norm(shared)


def unit():
    v = rng.normal(size=d).astype(np.float32)
    return v / np.linalg.norm(v)


for c in range(args.classes):
    centre = unit()
    failures = [unit() for _ in range(args.failures)]
    if c < args.shared_classes:
        failures = [shared]
    # With several failures each takes a smaller share, so the class still errs about 20%.
    quantile = 1 - 0.2 / len(failures)
    for split, n in (("train", n_train), ("val", args.val), ("test", args.test)):
        if n == 0:
            continue
        x = offset + centre + rng.normal(size=(n, d)).astype(np.float32) * (1.2 / np.sqrt(d))
        p_err = np.zeros(n)
        for failure in failures:
            along = x @ failure
            p = 1 / (1 + np.exp(-(along - np.quantile(along, quantile)) * args.sharpness))
            p_err = np.maximum(p_err, p)
        wrong = rng.uniform(size=n) < 0.7 * p_err + 0.05
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        chunks.append(x.astype(np.float32))
        labels.append(np.full(n, c, dtype=np.int32))
        other = (c + 1 + rng.integers(0, max(args.classes - 1, 1), size=n)) % max(args.classes, 2)
        preds.append(np.where(wrong, other, c).astype(np.int32))
        if args.after:
            fix = 1 / 3 if c % 2 == 0 else 1.0
            wrong_after = rng.uniform(size=n) < 0.7 * p_err * fix + 0.05
            preds_after.append(np.where(wrong_after, other, c).astype(np.int32))
        splits += [split] * n
x = np.concatenate(chunks)
values = pa.array(x.reshape(-1), type=pa.float32())
table = pa.table({
    "embedding": pa.FixedSizeListArray.from_arrays(values, d),
    "label": np.concatenate(labels),
    "prediction": np.concatenate(preds),
    "split": pa.array(splits),
})
if args.after:
    table = table.append_column("prediction_after", pa.array(np.concatenate(preds_after)))
# With one class, wrong predictions name a second class that has no rows of its own.
names = [f"c{i}" for i in range(max(args.classes, 2))]
table = table.replace_schema_metadata({"class_names": json.dumps(names)})
pq.write_table(table, args.out)
print(f"wrote {args.out}: {len(table)} rows, {args.classes} classes x {args.val} val rows, d={d}")
