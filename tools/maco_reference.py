"""Reference numbers for filtervis's MaCo recipe, in float64 with PyTorch autograd (written from
Xplique's definition, Fel et al. 2023), for MacoReferenceTest:

  OUT/maco_phase.npy, maco_magnitude.npy  the inputs: phase (3, S, S/2+1) ~ N(0, 1), a positive magnitude
  OUT/maco_weights.npy                    w (3, S, S): the test's objective is sum(w * image)
  OUT/maco_image.npy                      the image in [0, 1], CHW
  OUT/maco_grad.npy                       d sum(w * image) / d phase
  OUT/nadam_*.npy                         torch.optim.NAdam (Keras's epsilon 1e-7), lr 1, ascending five
                                          gradients: start, gradients (5, n), end

Usage: python3 tools/maco_reference.py OUT_DIR  (Debian's python3-torch; OUT_DIR is the test resources folder)."""
import sys

import numpy as np
import torch

S = 24
# Lucid's color_correlation_svd_sqrt divided by its largest column norm; a pixel's colours are M t.
SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
M = torch.tensor(SQRT / np.max(np.linalg.norm(SQRT, axis=0)), dtype=torch.float64)


def standardize(t):
    return (t - t.mean()) / (t.std(unbiased=False) + 1e-5)


def image(phase, magnitude):
    p = standardize(phase)
    x = torch.fft.irfft2(torch.polar(magnitude, p), s=(S, S))  # divided by S^2, numpy's norm
    x = standardize(x)
    mixed = torch.einsum("cj,jhw->chw", M, x)
    return torch.sigmoid(mixed)


def main(out):
    rng = np.random.default_rng(7)
    phase = rng.normal(size=(3, S, S // 2 + 1)).astype(np.float32)
    fy = np.fft.fftfreq(S)[:, None]
    fx = np.fft.rfftfreq(S)[None, :]
    magnitude = (1.0 / np.maximum(np.sqrt(fx ** 2 + fy ** 2), 1.0 / S) * (1 + 0.2 * rng.random((3, S, S // 2 + 1)))).astype(np.float32)
    weights = rng.normal(size=(3, S, S)).astype(np.float32)
    p = torch.tensor(phase, dtype=torch.float64, requires_grad=True)
    img = image(p, torch.tensor(magnitude, dtype=torch.float64))
    (img * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    for name, a in (("phase", phase), ("magnitude", magnitude), ("weights", weights),
                    ("image", img.detach().numpy()), ("grad", p.grad.numpy())):
        np.save(f"{out}/maco_{name}.npy", np.asarray(a, dtype=np.float32))

    start = rng.normal(size=40).astype(np.float32)
    grads = rng.normal(size=(5, 40)).astype(np.float32)
    q = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    # foreach=True: torch 1.13's single-tensor NAdam multiplies mu twice into mu_product_next (fixed
    # later); its foreach path and Keras's Nadam do not.
    opt = torch.optim.NAdam([q], lr=1.0, betas=(0.9, 0.999), eps=1e-7, momentum_decay=0.004, foreach=True)
    for g in grads:
        q.grad = -torch.tensor(g, dtype=torch.float64)  # ascending
        opt.step()
    np.save(f"{out}/nadam_start.npy", start)
    np.save(f"{out}/nadam_gradients.npy", grads)
    np.save(f"{out}/nadam_end.npy", q.detach().numpy().astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1])
