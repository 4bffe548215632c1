#!/usr/bin/python3
"""Counts the FLOPs of forward + input backward of a torchvision model cut after a child, for one
image: 2 FLOP per multiply-add of every Conv2d and Linear, times 2 (the input gradient of a
convolution costs what its forward does). Elementwise work is left out.

Usage: /usr/bin/python3 bench/flops.py NAME CUT SIZE   (prints GFLOP per image per step)
"""
import sys

import torch
import torchvision
from torch import nn


def main(name, cut, size):
    model = getattr(torchvision.models, name)(weights=None).eval()
    macs = [0]

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            macs[0] += output.numel() * k
        elif isinstance(module, nn.Linear):
            macs[0] += output.numel() * module.in_features

    layers = []
    for child_name, child in model.named_children():
        layers.append(child)
        if child_name == cut:
            break
    cut_model = nn.Sequential(*layers)
    for m in cut_model.modules():
        m.register_forward_hook(hook)
    with torch.no_grad():
        cut_model(torch.randn(1, 3, int(size), int(size)))
    print(f"{2 * 2 * macs[0] / 1e9:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
