"""pyarrow's side of the loading benchmark: read_table plus the conversion to one float32
matrix (what a Python user of the reference code does), and pyarrow's own memory-mapped IPC
read. Each measurement in a fresh process, reporting its peak RSS.

    python bench/load_peers.py DATA.parquet DATA.arrow
"""
import json
import resource
import subprocess
import sys
import time


def parquet(path):
    import numpy as np
    import pyarrow.parquet as pq
    start = time.perf_counter()
    table = pq.read_table(path)
    column = table.column("embedding").combine_chunks()
    matrix = np.asarray(column.flatten()).reshape(len(column), -1).astype(np.float32, copy=False)
    labels = table.column("label").to_numpy()
    return time.perf_counter() - start, matrix.nbytes


def arrow(path):
    import numpy as np
    import pyarrow as pa
    start = time.perf_counter()
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    column = table.column("embedding").combine_chunks()
    matrix = np.asarray(column.flatten()).reshape(len(column), -1)
    return time.perf_counter() - start, matrix.nbytes


def main():
    if len(sys.argv) == 3 and sys.argv[1] in ("parquet", "arrow"):
        seconds, nbytes = (parquet if sys.argv[1] == "parquet" else arrow)(sys.argv[2])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"peer": f"pyarrow {sys.argv[1]} -> one float32 matrix", "file": sys.argv[2],
                          "seconds": round(seconds, 3), "peak_rss_bytes": peak,
                          "peak_over_embedding_bytes": round(peak / nbytes, 2)}))
        return
    for kind, path in (("parquet", sys.argv[1]), ("arrow", sys.argv[2])):
        subprocess.run([sys.executable, __file__, kind, path], check=True)


if __name__ == "__main__":
    main()
