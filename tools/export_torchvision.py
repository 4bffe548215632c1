#!/usr/bin/python3
"""Exports a torchvision classifier (random weights, BatchNorm statistics calibrated on random
data so activations are well scaled) as ONNX, plus a TorchScript of the network cut at a layer.

Usage: /usr/bin/python3 tools/export_torchvision.py NAME CUT OUT_DIR [OPSET]
  NAME  a torchvision model, e.g. resnet18
  CUT   a top-level child to cut after, e.g. layer2
Writes OUT_DIR/NAME.onnx (dynamic batch, height and width) and OUT_DIR/NAME-CUT.pt (traced).
"""
import sys

import torch
import torchvision
from torch import nn


def calibrate(model, size=224, batch=8):
    """BatchNorm statistics from random data, in place; returns the model in eval mode.

    Cumulative statistics (momentum None) over the calibration batches: activations then have
    about zero mean and unit variance at every depth, as in a trained network.
    """
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.momentum = None
            m.reset_running_stats()
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(batch, 3, size, size))
    return model.eval()


def calibrated(name):
    torch.manual_seed(0)
    return calibrate(getattr(torchvision.models, name)(weights=None))


def cut_after(model, cut):
    layers = []
    for child_name, child in model.named_children():
        layers.append(child)
        if child_name == cut:
            return nn.Sequential(*layers)
    raise SystemExit(f"{cut} is not a child of the model")


def main(name, cut, out, opset=17):
    model = calibrated(name)
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, x, f"{out}/{name}.onnx", opset_version=int(opset), input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}})
    traced = torch.jit.trace(cut_after(model, cut), torch.randn(1, 3, 180, 180))
    traced.save(f"{out}/{name}-{cut}.pt")


if __name__ == "__main__":
    main(*sys.argv[1:])
