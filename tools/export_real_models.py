#!/usr/bin/python3
"""Exports every torchvision CNN family filtervis supports, as torch.onnx.export writes them, with
reference input gradients from PyTorch autograd in float64.

Usage: /usr/bin/python3 tools/export_real_models.py OUT_DIR [NAME ...]

For each model: OUT_DIR/NAME.onnx (random weights, BatchNorm statistics calibrated on random
data; opsets 11 to 17 and fixed or dynamic batch vary across the families), OUT_DIR/NAME_x.npy
(a batch of 2 images), and for two layers, an intermediate block output and the logits,
OUT_DIR/NAME_<layer>_grad.npy: d(sum of objectives)/d(x) for filters [1, 5], the objective being
filtervis's (channel mean with a 2-pixel border left out). OUT_DIR/NAME.json names the layers
(the ONNX tensor of the block's output, found by its scope name) and holds the objectives.
Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""
import json
import sys

import numpy as np
import onnx
import torch
import torchvision
from torch import nn

# name: (opset, dynamic batch, size, intermediate module, constructor arguments)
MODELS = {
    "resnet18": (11, True, 64, "layer2", {}),
    "resnet50": (17, False, 64, "layer3", {}),
    "vgg16": (12, False, 224, "features.22", {}),
    "densenet121": (13, True, 64, "features.denseblock2", {}),
    "mobilenet_v2": (14, False, 64, "features.7", {}),
    "mobilenet_v3_small": (15, True, 64, "features.6", {}),
    "efficientnet_b0": (16, True, 64, "features.4", {}),
    "googlenet": (11, False, 96, "inception4a", {"aux_logits": False, "init_weights": True}),
    "inception_v3": (13, True, 96, "Mixed_5d", {"aux_logits": False, "transform_input": True, "init_weights": True}),
    "squeezenet1_1": (12, True, 64, "features.7", {}),
    "shufflenet_v2_x1_0": (13, True, 64, "stage3", {}),
    "regnet_y_400mf": (14, True, 64, "trunk_output.block2", {}),
    "convnext_tiny": (17, True, 64, "features.3", {}),
}
FILTERS = [1, 5]


def objective(act, channels):
    if act.dim() == 2:
        return act[torch.arange(act.shape[0]), channels]
    inner = act[:, :, 2:-2, 2:-2] if min(act.shape[2:]) > 4 else act
    return inner.mean(dim=tuple(range(2, act.dim())))[torch.arange(act.shape[0]), channels]


def calibrated(name, kwargs, size):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None, **kwargs)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, size, size))
    return model.eval()


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


def main(out, names):
    for name in names or MODELS:
        opset, dynamic, size, mid, kwargs = MODELS[name]
        model = calibrated(name, kwargs, max(size, 64))
        x = torch.randn(2, 3, size, size)
        axes = {"image": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None
        path = f"{out}/{name}.onnx"
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["image"], output_names=["logits"], dynamic_axes=axes)
        layer = module_output_tensor(onnx.load(path), mid)
        captured = {}
        module = model.get_submodule(mid)
        model64 = model.double()
        module.register_forward_hook(lambda m, i, o: captured.__setitem__("mid", o))
        channels = torch.tensor(FILTERS)
        record = {"opset": opset, "dynamic_batch": dynamic, "size": size, "filters": FILTERS, "layers": {}}
        for key, tensor_name in (("mid", layer), ("logits", "logits")):
            xd = x.double().requires_grad_(True)
            logits = model64(xd)
            act = captured["mid"] if key == "mid" else logits
            obj = objective(act, channels)
            obj.sum().backward()
            np.save(f"{out}/{name}_{key}_grad.npy", xd.grad.numpy().astype(np.float32))
            record["layers"][key] = {"tensor": tensor_name, "module": mid if key == "mid" else "output",
                                     "objectives": [float(v) for v in obj.detach().numpy()]}
        np.save(f"{out}/{name}_x.npy", x.numpy().astype(np.float32))
        with open(f"{out}/{name}.json", "w") as f:
            json.dump(record, f, indent=1)
        print(name, "opset", opset, "layer", layer, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
