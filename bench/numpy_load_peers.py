"""The peers of faultline's NumPy and Hugging Face loading: numpy.load of the .npy (read into
memory, and memory-mapped then made one float32 matrix, as np.asarray does) with pyarrow reading
the labels beside it, and datasets.load_from_disk with the embeddings as one numpy matrix. Each
in a fresh process, with its peak RSS.

    python bench/numpy_load_peers.py EMB.npy META.parquet [HF_FOLDER]
"""
import json
import resource
import subprocess
import sys
import time


def npy(path, meta, mmap):
    import numpy as np
    import pyarrow.parquet as pq
    start = time.perf_counter()
    matrix = np.load(path, mmap_mode="r" if mmap else None)
    # Touch every value, as faultline's NaN check and the standardisation do.
    finite = bool(np.isfinite(matrix).all())
    labels = pq.read_table(meta).column("label").to_numpy()
    assert finite and len(labels) == len(matrix)
    return time.perf_counter() - start, matrix.nbytes


def hf(folder):
    import datasets
    import numpy as np
    start = time.perf_counter()
    ds = datasets.load_from_disk(folder).with_format("numpy")
    matrix = np.asarray(ds["embedding"], dtype=np.float32)
    labels = ds["label"]
    assert len(labels) == len(matrix)
    return time.perf_counter() - start, matrix.nbytes


def main():
    if sys.argv[1] == "--one":
        kind = sys.argv[2]
        if kind == "hf":
            seconds, nbytes = hf(sys.argv[3])
            peer = "datasets.load_from_disk -> one float32 matrix"
        else:
            seconds, nbytes = npy(sys.argv[3], sys.argv[4], kind == "npy-mmap")
            peer = "numpy.load" + (" (mmap_mode='r')" if kind == "npy-mmap" else "") + " + pyarrow labels"
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"peer": peer, "seconds": round(seconds, 3), "peak_rss_bytes": peak,
                          "peak_over_embedding_bytes": round(peak / nbytes, 2)}))
        return
    emb, meta = sys.argv[1], sys.argv[2]
    for kind in ("npy", "npy-mmap"):
        subprocess.run([sys.executable, __file__, "--one", kind, emb, meta], check=True)
    if len(sys.argv) > 3:
        subprocess.run([sys.executable, __file__, "--one", "hf", sys.argv[3]], check=True)


if __name__ == "__main__":
    main()
