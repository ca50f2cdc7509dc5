"""A million-row dataset for the loading benchmark, as Parquet and as an uncompressed Arrow IPC
file (the format faultline memory-maps).

    python bench/make_load_data.py OUT_DIR [--rows 1000000] [--dim 512] [--classes 1000]
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
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), d)
    table = pa.table({"embedding": embedding, "label": labels, "prediction": predictions, "split": split})
    pq.write_table(table, out / f"load-{n}x{d}.parquet")
    # One record batch per 65,536 rows, as pyarrow and most writers produce.
    with pa.OSFile(str(out / f"load-{n}x{d}.arrow"), "wb") as sink:
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=65536)


if __name__ == "__main__":
    main()
