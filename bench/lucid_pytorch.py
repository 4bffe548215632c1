"""The peer of `filtervis visualize --recipe lucid`: Lucent's render_vis defaults written for eager PyTorch, on
the same ONNX model run by tools/onnx_torch.py (our small ONNX-to-PyTorch interpreter, stopped at the layer).

Usage: lucid_pytorch.py MODEL.onnx LAYER FILTERS STEPS THREADS SIZE
Prints "seconds per step S" (the mean over the steps after the first 3) and each image's final objective.
       lucid_pytorch.py flops MODEL.onnx LAYER SIZE
Prints the convolution work per image per step in GFLOP: forward and input backward (twice the forward's).

The recipe, as Lucent's defaults: param.image(128, fft=True, decorrelate=True) (spectrum noise sd 0.01,
scale 1 / max(f, 1 / 128), orthonormal irfft2 / 4, Lucid's colour matrix, sigmoid), the standard transforms
(pad 12 with 0.5, jitter 8, random scale from 11 factors, random rotation, jitter 4), bilinear resize to the
model's SIZE, the model's -1:1 range, Adam lr 0.05, loss = -sum over images of the mean of its own channel.
"""
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tools")
from onnx_torch import OnnxTorch  # noqa: E402

COLOR = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR = COLOR / COLOR.norm(dim=0).max()


def fft_image(batch, size, generator):
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    freqs = np.sqrt(fx * fx + fy * fy)
    scale = torch.tensor(1.0 / np.maximum(freqs, 1.0 / size), dtype=torch.float32)
    spectrum = (torch.randn(batch, 3, size, size // 2 + 1, 2, generator=generator) * 0.01).requires_grad_(True)

    def image():
        z = torch.view_as_complex(spectrum) * scale
        x = torch.fft.irfftn(z, s=(size, size), norm="ortho") / 4
        x = torch.einsum("bchw,dc->bdhw", x, COLOR)
        return torch.sigmoid(x)
    return spectrum, image


def transform(x, rng):
    x = F.pad(x, (12, 12, 12, 12), value=0.5)
    d = rng.integers(8)
    e = rng.integers(8)
    x = x[:, :, d:d + x.shape[2] - 8, e:e + x.shape[3] - 8]
    s = 1 + (rng.integers(11) - 5) / 50
    x = F.interpolate(x, size=(int(x.shape[2] * s), int(x.shape[3] * s)), mode="bilinear", align_corners=False)
    angle = float(rng.choice(list(range(-10, 11)) + 5 * [0])) * np.pi / 180
    theta = torch.tensor([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0]], dtype=torch.float32)
    grid = F.affine_grid(theta[None].expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", align_corners=False)
    d = rng.integers(4)
    e = rng.integers(4)
    return x[:, :, d:d + x.shape[2] - 4, e:e + x.shape[3] - 4]


def main(model_path, layer, filters, steps, threads, size):
    torch.set_num_threads(threads)
    filters = [int(f) for f in filters.split(",")]
    net = OnnxTorch(onnx.load(model_path))
    for p in net.params.values():
        p.requires_grad_(False)
    nhwc = next(i for i in net.graph.input if i.name == net.input_name).type.tensor_type.shape.dim[3].dim_value == 3
    spectrum, image = fft_image(len(filters), 128, torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam([spectrum], lr=0.05)
    rng = np.random.default_rng(0)
    index = torch.arange(len(filters))
    times = []
    for step in range(steps):
        t0 = time.perf_counter()
        optimizer.zero_grad()
        x = F.interpolate(transform(image(), rng), size=(size, size), mode="bilinear", align_corners=True) * 2 - 1
        if nhwc:
            x = x.permute(0, 2, 3, 1)
        a = net.run(x, stop_at=layer)[layer]
        objective = a[index, filters].mean(dim=(1, 2))
        (-objective.sum()).backward()
        optimizer.step()
        times.append(time.perf_counter() - t0)
    print(f"seconds per step {np.mean(times[3:]):.4f}")
    print("objectives", " ".join(f"{v:.3f}" for v in objective.tolist()))


def flops(model_path, layer, size):
    net = OnnxTorch(onnx.load(model_path))
    shape = [1, size, size, 3] if next(i for i in net.graph.input if i.name == net.input_name).type.tensor_type.shape.dim[3].dim_value == 3 \
        else [1, 3, size, size]
    with torch.no_grad():
        values = net.run(torch.zeros(shape), stop_at=layer)
    total = 0
    for node in net.graph.node:
        if node.op_type == "Conv" and node.output[0] in values:
            w = values[node.input[1]]
            total += 2 * values[node.output[0]].numel() * w.shape[1] * w.shape[2] * w.shape[3]
        if layer in node.output:
            break
    print(f"{2 * total / 1e9:.3f}")


if __name__ == "__main__":
    if sys.argv[1] == "flops":
        flops(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
