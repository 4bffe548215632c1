"""Readability of a run's images: the fraction of filters that fire, the objective reached on the
clean image, the fraction of each image's power (colour channels, mean removed) above half the
Nyquist frequency (radial frequency > 0.25 cycles per pixel), where natural images have little,
and the time per image. Reads OUT/filters/<layer>-<f>.png and OUT/run.json.

Usage: readability.py OUT [OUT ...]                      (one line per run)
       readability.py --transparency-grid OUT GRID.png   (MaCo's images shown with their transparency, on white, 4 per row)
"""
import json
import os
import re
import sys

import numpy as np
from PIL import Image

PLAIN = re.compile(r".*-\d+\.png$")


def high_frequency_share(path):
    img = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255
    h, w, _ = img.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    high = np.sqrt(fx * fx + fy * fy) > 0.25
    total = above = 0.0
    for c in range(3):
        p = np.abs(np.fft.fft2(img[:, :, c] - img[:, :, c].mean())) ** 2
        total += p.sum()
        above += p[high].sum()
    return above / total if total > 0 else 0.0


def report(out):
    run = json.load(open(f"{out}/run.json"))
    files = sorted(f for f in os.listdir(f"{out}/filters") if PLAIN.match(f))
    shares = [high_frequency_share(f"{out}/filters/{f}") for f in files]
    filters = run["filters"]
    fired = sum(1 for f in filters if f["status"] == "ok")
    # Lucid and MaCo measure the final image as shown (clean_objective); the Keras recipe's last value is the objective before its last step.
    reached = [f.get("clean_objective", f["final_objective"]) for f in filters]
    t = run["timings"]
    per_image = t["ascent_seconds"] / len(filters)
    print(f"{out}: recipe {run['settings'].get('recipe')}, {fired}/{len(filters)} fire, objective reached {np.mean(reached):.3f}"
          f" (mean), power above half Nyquist {np.mean(shares):.3f} (median {np.median(shares):.3f}),"
          f" {per_image:.1f} s per image ({t['seconds_per_step']:.3f} s per step, Java share {t.get('image_pipeline_share', 0):.3f})")


def transparency_grid(out, grid):
    files = sorted((f for f in os.listdir(f"{out}/filters") if f.endswith("-maco.png")), key=lambda f: int(f.split("-")[-2]))
    tiles = []
    for f in files:
        rgba = np.asarray(Image.open(f"{out}/filters/{f}").convert("RGBA"), dtype=np.float64) / 255
        a = rgba[:, :, 3:]
        tiles.append(rgba[:, :, :3] * a + (1 - a))
    h, w, _ = tiles[0].shape
    cols = 4
    rows = (len(tiles) + cols - 1) // cols
    canvas = np.ones((rows * (h + 5) + 5, cols * (w + 5) + 5, 3))
    for i, t in enumerate(tiles):
        y, x = 5 + (i // cols) * (h + 5), 5 + (i % cols) * (w + 5)
        canvas[y:y + h, x:x + w] = t
    Image.fromarray((canvas * 255).round().astype(np.uint8)).resize((canvas.shape[1] // 2, canvas.shape[0] // 2)).save(grid)


if sys.argv[1] == "--transparency-grid":
    transparency_grid(sys.argv[2], sys.argv[3])
else:
    for out in sys.argv[1:]:
        report(out)
