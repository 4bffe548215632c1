#!/usr/bin/python3
"""Exports every torchvision CNN family filtervis supports, as torch.onnx.export writes them, with
reference input gradients from PyTorch autograd in float64.

Usage: /usr/bin/python3 tools/export_real_models.py OUT_DIR [NAME ... | --user-case]

For each model: OUT_DIR/NAME.onnx (random weights, BatchNorm statistics calibrated on random
data; opsets 11 to 17 and fixed or dynamic batch vary across the families), OUT_DIR/NAME_x.npy
(a batch of 2 small images: see stable_input for why small), and for two layers, an intermediate block output and the logits,
OUT_DIR/NAME_<layer>_grad.npy: d(sum of objectives)/d(x) for filters [1, 5], the objective being
filtervis's (channel mean with a 2-pixel border left out). OUT_DIR/NAME.json names the layers
(the ONNX tensor of the block's output, found by its scope name) and holds the objectives.
Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""
import copy
import json
import sys

import numpy as np
import onnx
import torch
import torchvision
from torch import nn

from export_torchvision import calibrate

# name: (opset, dynamic batch, size, intermediate module, constructor arguments)
MODELS = {
    "resnet18": (11, True, 32, "layer2", {}),
    "resnet50": (17, False, 32, "layer3", {}),
    "vgg16": (12, False, 224, "features.22", {}),
    "densenet121": (13, True, 32, "features.denseblock2", {}),
    "mobilenet_v2": (14, False, 32, "features.7", {}),
    "mobilenet_v3_small": (15, True, 32, "features.6", {}),
    "efficientnet_b0": (16, True, 32, "features.4", {}),
    "googlenet": (11, False, 32, "inception4a", {"aux_logits": False, "init_weights": True}),
    "inception_v3": (13, True, 80, "Mixed_5d", {"aux_logits": False, "transform_input": True, "init_weights": True}),
    "squeezenet1_1": (12, True, 32, "features.7", {}),
    "shufflenet_v2_x1_0": (13, True, 32, "stage3", {}),
    "regnet_y_400mf": (14, True, 32, "trunk_output.block2", {}),
    "convnext_tiny": (17, True, 32, "features.3", {}),
}
FILTERS = [1, 5]


def objective(act, channels):
    if act.dim() == 2:
        return act[torch.arange(act.shape[0]), channels]
    inner = act[:, :, 2:-2, 2:-2] if min(act.shape[2:]) > 4 else act
    return inner.mean(dim=tuple(range(2, act.dim())))[torch.arange(act.shape[0]), channels]


def calibrated(name, kwargs, size):
    torch.manual_seed(0)
    return calibrate(getattr(torchvision.models, name)(weights=None, **kwargs), size, 8 if size <= 96 else 4)


def module_output_tensor(onnx_model, module_path):
    """The ONNX tensor a module's forward returns: the output of the last node in its scope."""
    parts = module_path.split(".")
    scopes = []
    for i in range(len(parts)):
        scopes.append(".".join(parts[: i + 1]))
    candidates = ["/" + "/".join(scopes) + "/", "/" + "/".join(parts) + "/"]
    for prefix in candidates:
        nodes = [n for n in onnx_model.graph.node if n.name.startswith(prefix)]
        if nodes:
            return nodes[-1].output[0]
    raise SystemExit(f"no ONNX node in scope {candidates}")


def noise_hooks(model, noise):
    """With noise > 0, every convolution and linear output gets noise * its standard deviation *
    N(0, 1) added; returns the hooks, for the caller to remove."""
    hooks = []
    if noise > 0:
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                hooks.append(m.register_forward_hook(lambda m, i, o: o + noise * o.std() * torch.randn_like(o)))
    return hooks


def gradients(model, mid, x, dtype, noise=0.0):
    """Objectives and d(sum)/dx for the block output and the logits, from one forward pass.

    With noise > 0 every convolution and linear output gets noise * its standard deviation *
    N(0, 1) added: like the rounding of another float32 implementation (which is relative to the
    summed terms, not to the result, so it moves values near zero too), made larger on purpose.
    """
    captured = {}
    hooks = [model.get_submodule(mid).register_forward_hook(lambda m, i, o: captured.__setitem__("mid", o))] + noise_hooks(model, noise)
    channels = torch.tensor(FILTERS)
    xd = x.to(dtype).detach().requires_grad_(True)
    logits = model(xd)
    result = {}
    for key, act in (("mid", captured["mid"]), ("logits", logits)):
        obj = objective(act, channels)
        (grad,) = torch.autograd.grad(obj.sum(), xd, retain_graph=True)
        result[key] = ([float(v) for v in obj.detach().double().numpy()], grad.double())
    for h in hooks:
        h.remove()
    return result


# The general objectives of filtervis (issue 13) against float64 autograd, at the block output.
OBJECTIVE_MODELS = ("resnet18", "mobilenet_v2")


def direction_vector(channels):
    return np.sin(np.arange(channels) + 1.0).astype(np.float32)


def objective_references(model, mid, x, out, name):
    """Values and d(sum)/dx in float64 of filtervis's general objectives at the block output, for
    the batch and filters of the gradient references: per image deepdream(mid), neuron(mid, f)
    (the centre), direction(mid, v) and direction_cosine(mid, v, 1), channel(mid, f) (Lucid's mean
    over every position, no border); for the batch (one value)
    diversity(mid), alignment(mid) and channel_interpolate(mid, 1, 5), as Lucid defines them."""
    model64 = copy.deepcopy(model).double()
    captured = {}
    hook = model64.get_submodule(mid).register_forward_hook(lambda m, i, o: captured.__setitem__("mid", o))
    record = {}
    for key in ("deepdream", "neuron", "direction", "direction_cosine", "channel", "diversity", "alignment", "channel_interpolate"):
        xd = x.double().detach().requires_grad_(True)
        model64(xd)
        a = captured["mid"]
        n, c = a.shape[0], a.shape[1]
        v = torch.from_numpy(direction_vector(c)).double()
        if key == "deepdream":
            obj = (a * a).mean(dim=(1, 2, 3))
        elif key == "neuron":
            h, w = a.shape[2] // 2, a.shape[3] // 2
            obj = a[torch.arange(n), torch.tensor(FILTERS), h, w]
        elif key == "direction":
            np.save(f"{out}/{name}_direction_v.npy", direction_vector(c))
            obj = (a * v.view(1, -1, 1, 1)).mean(dim=(1, 2, 3))
        elif key == "channel":
            obj = a[torch.arange(n), torch.tensor(FILTERS)].mean(dim=(1, 2))
        elif key == "direction_cosine":
            dot = (a * v.view(1, -1, 1, 1)).sum(dim=1)
            cos = dot / ((1e-4 + a.norm(dim=1)) * (1e-4 + v.norm()))
            obj = (dot * cos.clamp(min=0.1)).mean(dim=(1, 2))
        elif key == "diversity":
            flat = a.reshape(n, c, -1)
            grams = flat @ flat.transpose(1, 2)
            grams = grams / grams.pow(2).sum(dim=(1, 2), keepdim=True).clamp(min=1e-10).sqrt()
            obj = sum((grams[i] * grams[j]).sum() for i in range(n) for j in range(n) if i != j).reshape(1) / n
        elif key == "alignment":
            obj = -sum(((a[i] - a[i + d]) ** 2).mean() / 2.0 ** d for d in (1, 2, 3, 4) for i in range(n - d)).reshape(1)
        else:
            weights = [i / (n - 1) if n > 1 else 0.0 for i in range(n)]
            obj = sum((1 - weights[i]) * a[i, FILTERS[0]].mean() + weights[i] * a[i, FILTERS[1]].mean() for i in range(n)).reshape(1)
        (grad,) = torch.autograd.grad(obj.sum(), xd)
        np.save(f"{out}/{name}_obj_{key}_grad.npy", grad.numpy().astype(np.float32))
        record[key] = [float(v) for v in obj.detach().numpy()]
    hook.remove()
    with open(f"{out}/{name}_objectives.json", "w") as f:
        json.dump(record, f, indent=1)


def rel(a, b):
    return float((a - b).norm() / b.norm())


def stable_input(model, mid, size, opset, dynamic):
    """A batch whose input gradient does not change under rounding-sized perturbations.

    These networks are piecewise linear: the input gradient depends only on which ReLUs are on
    (and which max-pool inputs win), and rounding can flip a unit whose input is within ~1e-6 of
    zero, which moves the whole gradient by ~1%: a float32 implementation can then differ from
    the float64 truth by 1e-2 with nothing wrong. So the reference input is one where the
    gradient stays the same (to 1e-5) when every convolution and linear output is perturbed by
    noise of 1e-6 of its spread (ten times float32's rounding), and the comparison tests the
    gradient, not the chaos.
    Small images (fewer units) make such inputs easy to find. Up to 8 seeds are tried; the
    most stable is kept and its error recorded.
    """
    model32 = copy.deepcopy(model)
    model64 = copy.deepcopy(model).double()
    for m in (model32, model64):
        for p in m.parameters():
            p.requires_grad_(False)
    best = None
    # The search runs in float32 (the noise is ten times float32's rounding). Where float64 is
    # cheap (small images) it also asks that PyTorch's own float32 gradient match float64.
    for seed in range(8):
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(seed))
        clean = gradients(model32, mid, x, torch.float32)
        torch.manual_seed(seed)
        noisy = gradients(model32, mid, x, torch.float32, noise=1e-6)
        error = max(rel(noisy[k][1], clean[k][1]) for k in clean)
        if size <= 96:
            exact = gradients(model64, mid, x, torch.float64)
            error = max(error, max(rel(clean[k][1], exact[k][1]) for k in clean))
        if best is None or error < best[0]:
            best = (error, seed, x)
        if error < 1e-5:
            break
    error, seed, x = best
    clean = gradients(model64, mid, x, torch.float64)
    # PyTorch's own float32 gradient against the float64 one: the error float32 cannot avoid
    # here. Where no input is stable (vgg16 at 224 px), tests allow a few times this.
    own = gradients(model32, mid, x, torch.float32)
    float32_error = max(rel(own[k][1], clean[k][1]) for k in clean)
    record = {"opset": opset, "dynamic_batch": dynamic, "size": size, "filters": FILTERS, "seed": seed,
              "gradient_change_under_1e-6_noise": error, "pytorch_float32_error": float32_error, "layers": {}}
    return x, clean, record


def main(out, names):
    for name in names or MODELS:
        opset, dynamic, size, mid, kwargs = MODELS[name]
        model = calibrated(name, kwargs, max(size, 64))
        x = torch.randn(2, 3, size, size)
        axes = {"image": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None
        path = f"{out}/{name}.onnx"
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["image"], output_names=["logits"], dynamic_axes=axes)
        layer = module_output_tensor(onnx.load(path), mid)
        x, grads, record = stable_input(model, mid, size, opset, dynamic)
        for key, tensor_name in (("mid", layer), ("logits", "logits")):
            objectives, g64 = grads[key]
            np.save(f"{out}/{name}_{key}_grad.npy", g64.numpy().astype(np.float32))
            record["layers"][key] = {"tensor": tensor_name, "module": mid if key == "mid" else "output", "objectives": objectives}
        np.save(f"{out}/{name}_x.npy", x.numpy().astype(np.float32))
        if name in OBJECTIVE_MODELS:
            objective_references(model, mid, x, out, name)
        with open(f"{out}/{name}.json", "w") as f:
            json.dump(record, f, indent=1)
        print(name, "opset", opset, "layer", layer, "seed", record["seed"], "gradient change under noise", record["gradient_change_under_1e-6_noise"],
              "PyTorch float32 error", record["pytorch_float32_error"], flush=True)


def export_user_case(out):
    """The case a user reported (issue 12): mobilenet_v2 as torch.onnx.export writes it with opset 13,
    dynamic batch, 224 px, and a batch of 4 images uniform in [-1, 1]. The DJL backend returned
    all-zero gradients for it in most runs; the tests run it in several JVMs on every backend."""
    model = calibrated("mobilenet_v2", {}, 224)
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), f"{out}/mobilenet_v2_224.onnx", opset_version=13, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    x = np.random.default_rng(0).uniform(-1, 1, (4, 3, 224, 224)).astype(np.float32)
    np.save(f"{out}/mobilenet_v2_224_x.npy", x)
    print("mobilenet_v2_224 (the reported case) opset 13", flush=True)


if __name__ == "__main__":
    if sys.argv[2:] == ["--user-case"]:
        export_user_case(sys.argv[1])
    else:
        main(sys.argv[1], sys.argv[2:])
        if not sys.argv[2:]:
            export_user_case(sys.argv[1])
