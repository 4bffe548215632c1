#!/usr/bin/python3
"""Brute-force reference for filtervis examples (dataset examples): every activation of every
photo computed by PyTorch in float64, then each channel's top and bottom K by a full sort.

Usage: /usr/bin/python3 tools/examples_reference.py OUT_DIR PHOTOS_DIR

PHOTOS_DIR holds skimage's astronaut.png, chelsea.png and coffee.png (.ci/run extracts them). Writes:
  OUT_DIR/resnet18.onnx        torchvision resnet18, random weights (BatchNorm calibrated), dynamic batch
  OUT_DIR/photos/...           30 photos of 64 x 64 (crops and flips of the three, in nested folders),
                               plus a text file and a damaged PNG, which the scan must skip
  OUT_DIR/layers.txt           the ONNX tensors of the block outputs layer1 and layer2
  OUT_DIR/reference.tsv        reduce, layer, channel, end (top|bottom), rank, image, value, y, x
Photos are at the network's size, so filtervis's preparation (shorter side to the size, centre
crop) leaves them as they are; the input is torchvision's normalization of the colours / 255.
Ties: the photo's path in byte order, then row, then column; a map's maximum is its first in
row-major order.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from export_real_models import module_output_tensor  # noqa: E402
from export_torchvision import calibrate  # noqa: E402

SIZE = 64
TOP, BOTTOM = 5, 3
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def photos(src, out):
    """30 crops and flips of the three photos, in three folders; their relative paths."""
    rng = np.random.default_rng(3)
    names = []
    for k in range(30):
        base = np.asarray(Image.open(f"{src}/{('astronaut', 'chelsea', 'coffee')[k % 3]}.png").convert("RGB"))
        h, w, _ = base.shape
        side = int(rng.integers(80, min(h, w)))
        y, x = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
        img = Image.fromarray(base[y:y + side, x:x + side]).resize((SIZE, SIZE), Image.BILINEAR)
        if k % 2:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        folder = ("a", "b/c", "b")[k % 3]
        os.makedirs(f"{out}/photos/{folder}", exist_ok=True)
        name = f"{folder}/p{k:02d}.png"
        img.save(f"{out}/photos/{name}")
        names.append(name)
    with open(f"{out}/photos/notes.txt", "w") as f:
        f.write("not a photo\n")
    with open(f"{out}/photos/b/damaged.png", "wb") as f:
        f.write(open(f"{out}/photos/{names[0]}", "rb").read()[:200])
    return names


def main(out, src):
    os.makedirs(out, exist_ok=True)
    names = photos(src, out)
    torch.manual_seed(0)
    model = calibrate(torchvision.models.resnet18(weights=None), SIZE, 8)
    path = f"{out}/resnet18.onnx"
    torch.onnx.export(model, torch.randn(2, 3, SIZE, SIZE), path, opset_version=13, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    graph = onnx.load(path)
    modules = ("layer1", "layer2")
    tensors = [module_output_tensor(graph, m) for m in modules]
    with open(f"{out}/layers.txt", "w") as f:
        f.write("\n".join(tensors) + "\n")
    model64 = model.double()
    captured = {}
    for m in modules:
        model64.get_submodule(m).register_forward_hook(lambda mod, i, o, m=m: captured.__setitem__(m, o.detach().numpy()))
    x = np.stack([(np.asarray(Image.open(f"{out}/photos/{n}").convert("RGB"), dtype=np.float64) / 255 - MEAN) / STD for n in names])
    with torch.no_grad():
        model64(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
    key = [n.encode("utf-8") for n in names]
    lines = []
    for m, tensor in zip(modules, tensors):
        a = captured[m]  # N, C, H, W
        n, c, h, w = a.shape
        flat = a.reshape(n, c, h * w)
        arg = flat.argmax(axis=2)  # the first maximum in row-major order
        for reduce, values in (("max", flat.max(axis=2)), ("mean", flat.mean(axis=2))):
            for ch in range(c):
                for end, sign, k in (("top", -1, TOP), ("bottom", 1, BOTTOM)):
                    order = sorted(range(n), key=lambda i: (sign * values[i, ch], key[i], arg[i, ch] // w, arg[i, ch] % w))
                    for rank, i in enumerate(order[:k]):
                        lines.append(f"{reduce}\t{tensor}\t{ch}\t{end}\t{rank}\t{names[i]}\t{values[i, ch]!r}\t{arg[i, ch] // w}\t{arg[i, ch] % w}")
    with open(f"{out}/reference.tsv", "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
