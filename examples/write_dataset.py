"""Write a dataset in faultline's input contract from numpy arrays (pyarrow only).

    python examples/write_dataset.py data.parquet
    faultline report data.parquet
"""
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

out = sys.argv[1] if len(sys.argv) > 1 else "data.parquet"
n, d, classes = 2000, 512, ["cat", "dog", "fish"]
rng = np.random.default_rng(0)
embeddings = rng.normal(size=(n, d)).astype(np.float32)  # your CLIP image embeddings
labels = rng.integers(0, len(classes), n)                # true class indices
predictions = np.where(rng.random(n) < 0.8, labels, rng.integers(0, len(classes), n))

table = pa.table({
    "id": [f"img{i:05d}" for i in range(n)],
    "embedding": pa.FixedSizeListArray.from_arrays(pa.array(embeddings.reshape(-1)), d),
    "label": labels,
    "prediction": predictions,
    "split": rng.choice(["train", "val", "test"], n, p=[0.4, 0.3, 0.3]),
    "confidence": rng.random(n).astype(np.float32),
    "image": [f"images/{i:05d}.jpg" for i in range(n)],
})
table = table.replace_schema_metadata({"class_names": json.dumps(classes)})
pq.write_table(table, out)
print(f"wrote {out}")
