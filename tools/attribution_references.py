#!/usr/bin/python3
"""Reference attributions in float64 from PyTorch autograd, for filtervis's explain tests.

Usage: /usr/bin/python3 tools/attribution_references.py OUT_DIR

For resnet18 and mobilenet_v2 (random weights, BatchNorm calibrated, 64 px, dynamic batch):
OUT_DIR/attr_NAME.onnx, OUT_DIR/attr_NAME_random_head.onnx (the classifier re-drawn, for the
randomization sanity check of Adebayo et al. 2018), OUT_DIR/attr_NAME_x.npy (one input, chosen so
that float32 rounding flips no ReLU that matters: see stable_input), and for the top class k
OUT_DIR/attr_NAME_METHOD.npy for gradcam, gradcampp, hirescam, layercam, scorecam (at the layer's
resolution), saliency and integrated-gradients (64 uniform midpoints, black baseline; at the image's).
OUT_DIR/attr_NAME.json names the layer's tensor, k, the logits and the float32 sensitivity.
The definitions are filtervis's (docs/explain.md); the code is an independent implementation.
"""
import copy
import json
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

from export_real_models import calibrated, module_output_tensor, noise_hooks

# name: (opset, size, layer whose maps are tested, the classifier module re-drawn for the sanity check)
MODELS = {"resnet18": (13, 64, "layer3", "fc"), "mobilenet_v2": (14, 64, "features.13", "classifier.1")}
IG_STEPS = 64
EPS = 1e-7


def forward(model, mid, x, noise=0.0):
    captured = {}
    hooks = [model.get_submodule(mid).register_forward_hook(lambda m, i, o: captured.__setitem__("a", o))] + noise_hooks(model, noise)
    logits = model(x)
    for h in hooks:
        h.remove()
    return captured["a"], logits


def gradient_maps(model, mid, x, k, noise=0.0):
    """Grad-CAM, Grad-CAM++, HiResCAM, LayerCAM at the layer, and saliency, for class k."""
    xd = x.detach().requires_grad_(True)
    a, logits = forward(model, mid, xd, noise)
    g, gx = torch.autograd.grad(logits[0, k], (a, xd))
    a, g = a[0], g[0]
    relu = torch.relu
    maps = {"gradcam": relu((g.mean(dim=(1, 2))[:, None, None] * a).sum(0))}
    g2, g3 = g * g, g * g * g
    alpha = g2 / (2 * g2 + a.sum(dim=(1, 2))[:, None, None] * g3 + EPS)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    weights = (alpha * relu(g)).sum(dim=(1, 2))
    maps["gradcampp"] = relu((weights[:, None, None] * a).sum(0))
    maps["hirescam"] = relu((g * a).sum(0))
    maps["layercam"] = relu((relu(g) * a).sum(0))
    maps["saliency"] = gx[0].abs().max(dim=0).values
    return maps


def score_cam(model, mid, x, k):
    """Weights: the softmax probability of class k for the input masked by each channel's map,
    upsampled (bilinear, half-pixel centres) and scaled to [0, 1]; constant maps get 0."""
    with torch.no_grad():
        a, _ = forward(model, mid, x)
        a = a[0]
        up = F.interpolate(a[None], size=x.shape[2:], mode="bilinear", align_corners=False)[0]
        weights = torch.zeros(a.shape[0], dtype=x.dtype)
        for c in range(a.shape[0]):
            lo, hi = up[c].min(), up[c].max()
            if hi > lo:
                mask = (up[c] - lo) / (hi - lo)
                weights[c] = torch.softmax(model(x * mask), dim=1)[0, k]
        return torch.relu((weights[:, None, None] * a).sum(0))


def integrated_gradients(model, x, k):
    baseline = torch.zeros_like(x)
    total = torch.zeros_like(x)
    for i in range(IG_STEPS):
        p = (baseline + (i + 0.5) / IG_STEPS * (x - baseline)).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(model(p)[0, k], p)
        total += g
    return ((x - baseline) * total / IG_STEPS)[0].sum(0)


def rel(a, b):
    return float((a - b).norm() / b.norm().clamp(min=1e-30))


def stable_input(model, mid, size):
    """An input whose maps do not move (1e-5) when every convolution and linear output gets noise
    of 1e-6 of its spread, ten times float32's rounding, in any of three draws; the most stable of
    16 seeds (the change is recorded: the tests allow three times it)."""
    best = None
    for seed in range(16):
        x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            k = int(model(x).argmax())
        clean = gradient_maps(model, mid, x, k)
        error = 0.0
        for draw in range(3):
            torch.manual_seed(1000 * seed + draw)
            noisy = gradient_maps(model, mid, x, k, noise=1e-6)
            error = max(error, max(rel(noisy[m], clean[m]) for m in clean))
        if best is None or error < best[0]:
            best = (error, seed, x, k)
        if error < 1e-5:
            break
    return best


def main(out):
    for name, (opset, size, mid, head) in MODELS.items():
        model = calibrated(name, {}, size)
        for p in model.parameters():
            p.requires_grad_(False)
        path = f"{out}/attr_{name}.onnx"
        torch.onnx.export(model, torch.randn(1, 3, size, size), path, opset_version=opset, input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
        tensor = module_output_tensor(onnx.load(path), mid)
        error, seed, x, k = stable_input(model, mid, size)
        model64 = copy.deepcopy(model).double()
        x64 = x.double()
        maps = gradient_maps(model64, mid, x64, k)
        float32_error = max(rel(v.detach().double(), maps[m].detach()) for m, v in gradient_maps(model, mid, x, k).items())
        maps["scorecam"] = score_cam(model64, mid, x64, k)
        maps["integrated-gradients"] = integrated_gradients(model64, x64, k)
        # Integrated Gradients evaluates 64 points of the path that were not chosen stable: PyTorch's own
        # float32 result against float64 bounds what any float32 implementation can reach there.
        ig_float32_error = rel(integrated_gradients(model, x, k).double(), maps["integrated-gradients"])
        for m, v in maps.items():
            np.save(f"{out}/attr_{name}_{m}.npy", v.detach().numpy().astype(np.float32))
        np.save(f"{out}/attr_{name}_x.npy", x.numpy().astype(np.float32))
        with torch.no_grad():
            logits = model64(x64)[0]
            baseline_logit = float(model64(torch.zeros_like(x64))[0, k])
        # The randomization sanity check: the same network with its classifier drawn anew.
        randomized = copy.deepcopy(model)
        torch.manual_seed(1234)
        layer = randomized.get_submodule(head)
        nn.init.normal_(layer.weight, std=float(layer.weight.std()))
        nn.init.normal_(layer.bias, std=0.1)
        torch.onnx.export(randomized, torch.randn(1, 3, size, size), f"{out}/attr_{name}_random_head.onnx", opset_version=opset,
                          input_names=["image"], output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
        record = {"layer": tensor, "module": mid, "size": size, "class": k, "seed": seed, "logits": [float(v) for v in logits],
                  "baseline_logit": baseline_logit, "map_change_under_1e-6_noise": error, "pytorch_float32_error": float32_error,
                  "ig_float32_error": ig_float32_error}
        with open(f"{out}/attr_{name}.json", "w") as f:
            json.dump(record, f, indent=1)
        print(name, "layer", tensor, "class", k, "seed", seed, "map change under noise", error, "PyTorch float32 error", float32_error,
              "IG float32 error", ig_float32_error, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
