#!/usr/bin/python3
"""Exports a small CNN with PyTorch and writes reference input gradients computed by autograd.

Usage: /usr/bin/python3 tools/make_torch_reference.py OUT_DIR
Writes OUT_DIR/mixed.onnx (opset 11, BatchNorm kept separate), mixed_x.npy (input batch),
mixed_grad.npy (float64 autograd gradient of sum of objectives, stored as float32) and
mixed_objectives.npy, for the layer and filters in mixed.json. The objective is filtervis's:
the mean of one channel over height and width with a 2-pixel border left out.
Needs Debian's python3-torch and python3-numpy; filtervis itself never runs Python.
"""
import json
import sys

import numpy as np
import torch
from torch import nn


class Mixed(nn.Module):
    """Every operator family of the foundation issue, in a few layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.branch_a = nn.Conv2d(16, 8, 3, padding=2, dilation=2)
        self.branch_b = nn.Conv2d(16, 8, 1)
        self.depthwise = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.avg = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.pool(x)
        a = nn.functional.leaky_relu(self.branch_a(x), 0.1)
        b = torch.clamp(self.branch_b(x), 0, 6)
        x = torch.cat([a, b], dim=1) + x
        x = x * torch.sigmoid(self.depthwise(x))
        x = nn.functional.pad(x, (1, 1, 1, 1))
        x = self.avg(x) - 0.5 * x / 2.0
        pooled = x.mean(dim=(2, 3))
        return self.head(torch.flatten(pooled, 1)), x


def objective(act, channels):
    if act.dim() == 2:
        return act[torch.arange(act.shape[0]), channels]
    inner = act[:, :, 2:-2, 2:-2] if min(act.shape[2:]) > 4 else act
    means = inner.mean(dim=(2, 3))
    return means[torch.arange(act.shape[0]), channels]


def main(out):
    torch.manual_seed(0)
    model = Mixed()
    # Calibrate BatchNorm statistics on random data so activations are well scaled.
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.randn(8, 3, 40, 40))
    model.eval()
    x = torch.randn(3, 3, 40, 40)
    torch.onnx.export(model, x, f"{out}/mixed.onnx", opset_version=11, do_constant_folding=False,
                      input_names=["image"], output_names=["logits", "features"],
                      dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}})
    channels = torch.tensor([3, 9, 3])
    model64 = model.double()
    refs = {}
    for name, index in (("features", 1), ("logits", 0)):
        xd = x.double().requires_grad_(True)
        obj = objective(model64(xd)[index], channels)
        obj.sum().backward()
        np.save(f"{out}/mixed_{name}_grad.npy", xd.grad.numpy().astype(np.float32))
        refs[name] = [float(v) for v in obj.detach().numpy()]
    np.save(f"{out}/mixed_x.npy", x.numpy().astype(np.float32))
    with open(f"{out}/mixed.json", "w") as f:
        json.dump({"filters": channels.tolist(), "objectives": refs, "torch": torch.__version__}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
