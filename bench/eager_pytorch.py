#!/usr/bin/python3
"""The filtervis recipe in eager PyTorch, as the peer to benchmark against.

Usage: /usr/bin/python3 bench/eager_pytorch.py MODEL.pt THREADS FILTERS STEPS SIZE
Runs the recipe (noise in [-0.125, 0.125), objective = channel mean with a 2-pixel border left
out, gradient normalised per image, step 10) for FILTERS filters in one batch, with the weights'
requires_grad off (no weight gradients), and prints filters per second and seconds per step.
"""
import sys
import time

import torch


def main(path, threads, filters, steps, size):
    threads, filters, steps, size = int(threads), int(filters), int(steps), int(size)
    torch.set_num_threads(threads)
    model = torch.jit.load(path).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    channels = torch.arange(filters)
    torch.manual_seed(0)
    img = (torch.rand(filters, 3, size, size) - 0.5) * 0.25
    # One warm-up step, as filtervis builds its session before timing.
    warm = img.clone().requires_grad_(True)
    model(warm)[:, :, 2:-2, 2:-2].mean(dim=(2, 3))[torch.arange(filters), channels].sum().backward()
    start = time.perf_counter()
    for _ in range(steps):
        img = img.detach().requires_grad_(True)
        act = model(img)
        obj = act[:, :, 2:-2, 2:-2].mean(dim=(2, 3))[torch.arange(filters), channels]
        (grad,) = torch.autograd.grad(obj.sum(), img)
        norm = grad.flatten(1).norm(dim=1).clamp_min(1e-6).view(-1, 1, 1, 1)
        img = img + 10.0 * grad / norm
    seconds = time.perf_counter() - start
    print(f"eager_pytorch filters_per_second {filters / seconds:.4f} seconds_per_step {seconds / steps:.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
