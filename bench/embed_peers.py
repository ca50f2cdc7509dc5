"""The Python side of the embedding benchmark: transformers' CLIP image processor (PIL backend,
the same preprocessing faultline reproduces) and onnxruntime, on the same images.

    python bench/embed_peers.py LIST.csv MODEL_DIR [--processes N]

Prints JSON lines: preprocessing throughput (224 px CLIP defaults, one process and N processes)
and end to end (preprocess + tiny model + L2 normalise) with the model folder's own config.
"""
import argparse
import csv
import json
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image
from transformers import CLIPImageProcessor


def load_paths(list_path):
    base = Path(list_path).parent
    with open(list_path) as f:
        return [str(base / row["image"]) for row in csv.DictReader(f)]


def preprocess_all(paths, processor=None):
    processor = processor or CLIPImageProcessor()
    for p in paths:
        with Image.open(p) as image:
            processor(images=image, return_tensors="np")


def _worker(chunk):
    preprocess_all(chunk)
    return len(chunk)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("list")
    ap.add_argument("model")
    ap.add_argument("--processes", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    paths = load_paths(args.list)

    start = time.perf_counter()
    preprocess_all(paths)
    seconds = time.perf_counter() - start
    print(json.dumps({"peer": "transformers CLIPImageProcessor (PIL), 1 process", "images": len(paths),
                      "seconds": round(seconds, 3), "images_per_second": round(len(paths) / seconds, 1)}))

    n = args.processes
    chunks = [paths[i::n] for i in range(n)]
    start = time.perf_counter()
    with mp.Pool(n) as pool:
        pool.map(_worker, chunks)
    seconds = time.perf_counter() - start
    print(json.dumps({"peer": f"transformers CLIPImageProcessor (PIL), {n} processes", "images": len(paths),
                      "seconds": round(seconds, 3), "images_per_second": round(len(paths) / seconds, 1)}))

    model = Path(args.model)
    processor = CLIPImageProcessor.from_pretrained(model)
    onnx = next(p for p in [model / "onnx" / "vision_model.onnx", model / "vision_model.onnx"] if p.exists())
    session = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    out = []
    for i in range(0, len(paths), args.batch):
        images = [Image.open(p) for p in paths[i:i + args.batch]]
        pixels = processor(images=images, return_tensors="np")["pixel_values"].astype(np.float32)
        for image in images:
            image.close()
        embeds = session.run(["image_embeds"], {"pixel_values": pixels})[0]
        out.append(embeds / np.linalg.norm(embeds, axis=-1, keepdims=True))
    seconds = time.perf_counter() - start
    print(json.dumps({"peer": "end to end: CLIPImageProcessor + onnxruntime, tiny model, 1 process",
                      "images": len(paths), "seconds": round(seconds, 3),
                      "images_per_second": round(len(paths) / seconds, 1)}))


if __name__ == "__main__":
    main()
