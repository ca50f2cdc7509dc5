"""The loading benchmark's million rows as the files users already have: embeddings in a NumPy
.npy with the labels in a Parquet table beside it, and a Hugging Face `datasets` folder
(save_to_disk), from the same values as bench/make_load_data.py (seed 0).

    python bench/make_numpy_load_data.py OUT_DIR [--rows 1000000] [--dim 512] [--classes 1000]
"""
import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--hf", action="store_true", help="also write the datasets folder")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    n, d = args.rows, args.dim
    values = rng.standard_normal((n, d), dtype=np.float32)
    labels = (np.arange(n) % args.classes).astype(np.int64)
    wrong = rng.random(n) < 0.2
    predictions = np.where(wrong, (labels + 1) % args.classes, labels)
    split = np.where((np.arange(n) // args.classes) % 2 == 0, "val", "test")
    np.save(out / f"load-{n}x{d}.npy", values)
    pq.write_table(
        pa.table({"label": labels, "prediction": predictions, "split": split}),
        out / f"load-{n}x{d}-meta.parquet",
    )
    if args.hf:
        import datasets

        embedding = pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), d)
        table = pa.table(
            {"embedding": embedding, "label": labels, "prediction": predictions, "split": split}
        )
        datasets.Dataset(table).save_to_disk(str(out / f"hf-{n}x{d}"))


if __name__ == "__main__":
    main()
