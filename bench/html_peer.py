"""The peer of faultline's HTML thumbnails: Pillow making the same 96 px JPEG data URIs (quality 80)
from the same files, as a Python script building such a page would (Image.thumbnail, which
decodes JPEGs at a reduced scale with draft mode). One process, then one per core.

    python bench/html_peer.py LIST_OF_IMAGE_PATHS
"""
import base64, io, os, sys, time
from multiprocessing import Pool

from PIL import Image


def uri(path):
    with Image.open(path) as im:
        im.thumbnail((96, 96))
        out = io.BytesIO()
        im.convert("RGB").save(out, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


paths = open(sys.argv[1]).read().split()
start = time.perf_counter()
size = sum(len(uri(p)) for p in paths)
one = time.perf_counter() - start
start = time.perf_counter()
with Pool(os.cpu_count()) as pool:
    pool.map(uri, paths, chunksize=64)
many = time.perf_counter() - start
print(f"Pillow, {len(paths)} thumbnails ({size / 1e6:.1f} MB of data URIs): {one:.2f} s in one process, {many:.2f} s in {os.cpu_count()}")
