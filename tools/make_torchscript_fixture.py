#!/usr/bin/python3
"""Traces a small CNN with two outputs to TorchScript and writes reference input gradients.

Usage: /usr/bin/python3 tools/make_torchscript_fixture.py OUT_DIR
Writes OUT_DIR/small.pt (traced by this PyTorch), small_x.npy (2 images, 32 px) and, for each
output i, small_out<i>_grad.npy: d(sum of objectives)/dx for filters [1, 3] by autograd in
float64, and small.json with the objectives. Needs Debian's python3-torch and python3-numpy.
"""
import json
import sys

import numpy as np
import torch
from torch import nn


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        a = torch.relu(self.bn(self.conv1(x)))
        b = torch.relu(self.conv2(nn.functional.max_pool2d(a, 2)))
        return b, self.fc(b.mean(dim=(2, 3)))


def objective(act, channels):
    if act.dim() == 2:
        return act[torch.arange(act.shape[0]), channels]
    inner = act[:, :, 2:-2, 2:-2] if min(act.shape[2:]) > 4 else act
    return inner.mean(dim=(2, 3))[torch.arange(act.shape[0]), channels]


def main(out):
    torch.manual_seed(0)
    model = Small()
    model.train()
    with torch.no_grad():
        model(torch.randn(8, 3, 32, 32))
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    torch.jit.trace(model, x).save(f"{out}/small.pt")
    channels = torch.tensor([1, 3])
    model64 = model.double()
    record = {"filters": [1, 3], "torch": torch.__version__, "objectives": {}}
    for i in range(2):
        xd = x.double().requires_grad_(True)
        obj = objective(model64(xd)[i], channels)
        obj.sum().backward()
        np.save(f"{out}/small_out{i}_grad.npy", xd.grad.numpy().astype(np.float32))
        record["objectives"][str(i)] = [float(v) for v in obj.detach().numpy()]
    np.save(f"{out}/small_x.npy", x.numpy().astype(np.float32))
    with open(f"{out}/small.json", "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
