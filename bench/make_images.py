"""Photo-like JPEGs (and some PNGs) of typical dataset sizes for the embedding benchmark, with a
list CSV in the input contract (image, label, prediction, split).

    python bench/make_images.py OUT_DIR [--count 2000]
"""
import argparse
from pathlib import Path

import numpy as np
from PIL import Image

SIZES = [(500, 375), (375, 500), (640, 480), (500, 333), (333, 500), (800, 600)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args()
    out = Path(args.out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = ["image,label,prediction,split"]
    for i in range(args.count):
        w, h = SIZES[i % len(SIZES)]
        y, x = np.mgrid[0:h, 0:w]
        phase = rng.uniform(0, 6, 3)
        base = np.stack([np.sin(x / (20 + 9 * c) + y / (31 + 5 * c) + phase[c]) for c in range(3)], -1)
        pixels = np.clip(base * 90 + 128 + rng.normal(0, 14, (h, w, 3)), 0, 255).astype(np.uint8)
        name = f"images/{i:06d}." + ("png" if i % 10 == 0 else "jpg")
        image = Image.fromarray(pixels)
        if name.endswith("jpg"):
            image.save(out / name, quality=90)
        else:
            image.save(out / name)
        label = "cat" if i % 2 else "dog"
        prediction = label if i % 5 else ("dog" if label == "cat" else "cat")
        split = ["val", "test"][(i // 2) % 2]
        rows.append(f"{name},{label},{prediction},{split}")
    (out / "list.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
