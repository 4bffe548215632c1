"""Readability of a run's images: the fraction of each image's power (colour channels, mean
removed) above half the Nyquist frequency (radial frequency > 0.25 cycles per pixel), where
natural images have little, and the objective reached. Reads OUT/filters/*.png and OUT/run.json.

Usage: readability.py OUT [OUT ...]  (one line per run)
"""
import json
import sys

import numpy as np
from PIL import Image


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


for out in sys.argv[1:]:
    run = json.load(open(f"{out}/run.json"))
    files = sorted(f for f in __import__("os").listdir(f"{out}/filters") if f.endswith(".png"))
    shares = [high_frequency_share(f"{out}/filters/{f}") for f in files]
    filters = run["filters"]
    # The Lucid recipe measures the final image as shown (clean_objective); the Keras recipe's last value is the objective before its last step.
    reached = [f.get("clean_objective", f["final_objective"]) for f in filters]
    print(f"{out}: recipe {run['settings'].get('recipe')}, {len(files)} images, power above half Nyquist {np.mean(shares):.4f}"
          f" (median {np.median(shares):.4f}), objective reached {np.mean(reached):.4f} (mean over filters),"
          f" image pipeline share {run['timings'].get('image_pipeline_share', 0):.3f}, {run['timings']['seconds_per_step']:.3f} s per step")
