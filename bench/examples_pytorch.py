#!/usr/bin/python3
"""The dataset-examples scan in eager PyTorch, as the peer to benchmark filtervis examples against:
the same photos decoded and prepared the same way (PIL, shorter side to SIZE with antialiasing,
centre crop, torchvision's normalization), the same batches through the same network up to the
last block asked for, each channel's spatial maximum and its position, and a running top K per
channel. Prints photos per second.

Usage: /usr/bin/python3 bench/examples_pytorch.py MODEL.pt PHOTOS_DIR THREADS SIZE BATCH K
MODEL.pt is the network cut after its last block, returning the blocks' outputs (bench/examples.sh).
"""
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


def prepared(path, size):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    s = size / min(w, h)
    img = img.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR, reducing_gap=None)
    w, h = img.size
    left, top = (w - size) // 2, (h - size) // 2
    img = img.crop((left, top, left + size, top + size))
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255).permute(2, 0, 1)
    return (x - MEAN) / STD


def main(model_path, photos, threads, size, batch, k):
    threads, size, batch, k = int(threads), int(size), int(batch), int(k)
    torch.set_num_threads(threads)
    model = torch.jit.load(model_path).eval()
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(photos) for f in fs if f.lower().endswith((".png", ".jpg", ".jpeg")))
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))  # warm-up, as filtervis builds its session first
        start = time.perf_counter()
        best = None
        for i in range(0, len(files), batch):
            x = torch.stack([prepared(f, size) for f in files[i:i + batch]])
            outs = model(x)
            values = [o.flatten(2).max(dim=2) for o in outs]  # per image and channel: the maximum and where
            scores = torch.cat([v.values for v in values], dim=1)
            best = scores if best is None else torch.cat([best, scores])
            best = best.topk(min(k, best.shape[0]), dim=0).values
        seconds = time.perf_counter() - start
    print(f"eager_pytorch photos_per_second {len(files) / seconds:.3f} seconds {seconds:.2f} photos {len(files)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
