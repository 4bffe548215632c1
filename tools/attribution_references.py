#!/usr/bin/python3
"""Reference attributions in float64 from PyTorch autograd, for filtervis's explain tests.

Usage: /usr/bin/python3 tools/attribution_references.py OUT_DIR

For resnet18 and mobilenet_v2 (random weights, BatchNorm calibrated, 64 px, dynamic batch):
OUT_DIR/attr_NAME.onnx, OUT_DIR/attr_NAME_random_head.onnx (the classifier re-drawn, for the
randomization sanity check of Adebayo et al. 2018), OUT_DIR/attr_NAME_x.npy (one input, chosen so
that float32 rounding flips no ReLU that matters: see stable_input), and for the top class k
OUT_DIR/attr_NAME_METHOD.npy for gradcam, gradcampp, hirescam, layercam, xgradcam, eigencam, eigengradcam, scorecam, ablationcam (at the layer's
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
from onnx_torch import OnnxTorch

# name: (opset, size, layer whose maps are tested, the classifier module re-drawn for the sanity check)
MODELS = {"resnet18": (13, 64, "layer3", "fc"), "mobilenet_v2": (14, 64, "features.13", "classifier.1")}
# The randomisation test's blocks (module outputs) and seed: the top blocks re-drawn cumulatively, as filtervis does.
BLOCKS = {"resnet18": ["layer1", "layer2", "layer3", "layer4"], "mobilenet_v2": ["features.3", "features.7", "features.14", "features.18"]}
RANDOMIZATION_SEED = 0
# A tensor inside a residual block, which a skip connection goes around: Ablation-CAM cannot run on from it.
BYPASSED = {"resnet18": "/layer3/layer3.1/relu/Relu_output_0", "mobilenet_v2": "/features/features.13/conv/conv.0/conv.0.2/Clip_output_0"}
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
    maps["xgradcam"] = relu((((g * a).sum(dim=(1, 2)) / (a.sum(dim=(1, 2)) + EPS))[:, None, None] * a).sum(0))
    maps["eigencam"] = first_component(a, a)
    maps["eigengradcam"] = first_component(g * a, a)
    maps["saliency"] = gx[0].abs().max(dim=0).values
    return maps


def first_component(x, a):
    """EigenCAM's map: the C x H x W tensor's positions as samples, each channel centred, projected on
    the first right singular vector (torch.linalg.svd); the sign that correlates positively with the
    mean activation over channels; ReLU."""
    X = x.reshape(x.shape[0], -1).T
    X = X - X.mean(dim=0)
    _, _, vh = torch.linalg.svd(X, full_matrices=False)
    projection = X @ vh[0]
    reference = a.mean(dim=0).reshape(-1)
    if (projection * (reference - reference.mean())).sum() < 0:
        projection = -projection
    return torch.relu(projection).reshape(x.shape[1:])


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


def ablation_cam(model, mid, x, k):
    """Weights: (y - y_c) / y, y the logit of class k and y_c the logit with channel c of the layer's
    output zeroed (a forward hook replaces the module's output)."""
    with torch.no_grad():
        a, logits = forward(model, mid, x)
        y = logits[0, k]
        weights = torch.zeros(a.shape[1], dtype=x.dtype)
        for c in range(a.shape[1]):
            def ablate(module, inputs, output, c=c):
                output = output.clone()
                output[:, c] = 0
                return output
            hook = model.get_submodule(mid).register_forward_hook(ablate)
            weights[c] = (y - model(x)[0, k]) / y
            hook.remove()
        return torch.relu((weights[:, None, None] * a[0]).sum(0))


def integrated_gradients(model, x, k):
    baseline = torch.zeros_like(x)
    total = torch.zeros_like(x)
    for i in range(IG_STEPS):
        p = (baseline + (i + 0.5) / IG_STEPS * (x - baseline)).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(model(p)[0, k], p)
        total += g
    return ((x - baseline) * total / IG_STEPS)[0].sum(0)


# The faithfulness metrics (docs/explain.md), given a map at the input's resolution and the draws.
EVAL_STEPS = 10
GRID, CELLS_REMOVED = 9, 16
ROAD_PERCENTS = [10, 20, 30, 40, 50, 60, 70, 80, 90]
ROAD_NOISE = 0.01
NEIGHBOURS = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6), ((-1, -1), 1 / 12), ((1, 0), 1 / 6),
              ((-1, 0), 1 / 6)]


def probabilities(model, images, k):
    with torch.no_grad():
        return torch.softmax(model(images), dim=1)[:, k]


def gaussian_blur(x, sigma):
    """Separable Gaussian, radius ceil(3 sigma), edges clamped (replicate padding)."""
    radius = int(np.ceil(3 * sigma))
    i = torch.arange(-radius, radius + 1, dtype=x.dtype)
    kernel = torch.exp(-i * i / (2 * sigma * sigma))
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    h = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(h, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def ranking(m):
    """Pixels by descending map value, ties by row-major index."""
    return np.argsort(-m.reshape(-1).astype(np.float64), kind="stable")


def deletion_insertion(model, x, baseline, m, k, deletion):
    size = x.shape[-1]
    order = torch.from_numpy(ranking(m))
    images = []
    for i in range(EVAL_STEPS + 1):
        count = int(np.floor(i * size * size / EVAL_STEPS + 0.5))
        img = (x if deletion else baseline).clone().reshape(1, 3, -1)
        src = (baseline if deletion else x).reshape(1, 3, -1)
        img[:, :, order[:count]] = src[:, :, order[:count]]
        images.append(img.reshape(x.shape))
    curve = probabilities(model, torch.cat(images), k)
    auc = float(((curve[:-1] + curve[1:]) / 2).mean())
    return [float(v) for v in curve], auc


def mufidelity(model, x, baseline, m, k, subsets):
    size = x.shape[-1]
    rows = (np.arange(size) * GRID) // size
    cell = rows[:, None] * GRID + rows[None, :]
    images, attributions = [], []
    for subset in subsets:
        removed = torch.from_numpy(np.isin(cell, subset))
        attributions.append(float(m.astype(np.float64)[removed.numpy()].sum()))
        images.append(torch.where(removed, baseline, x))
    drop = probabilities(model, x, k)[0] - probabilities(model, torch.cat(images), k)
    a = torch.tensor(attributions, dtype=torch.float64)
    a, d = a - a.mean(), drop - drop.mean()
    return float((a * d).sum() / torch.sqrt((a * a).sum() * (d * d).sum()))


def impute(x, removed):
    """Each removed pixel the weighted mean of its neighbours inside the image, one dense solve per image."""
    size = x.shape[-1]
    idx = np.flatnonzero(removed.reshape(-1))
    var = -np.ones(size * size, dtype=np.int64)
    var[idx] = np.arange(len(idx))
    a = np.zeros((len(idx), len(idx)))
    b = np.zeros((len(idx), 3))
    flat = x.reshape(3, -1).numpy()
    ys, xs = np.divmod(idx, size)
    for (dy, dx), w in NEIGHBOURS:
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (nx >= 0) & (ny < size) & (nx < size)
        rows = np.flatnonzero(inside)
        q = ny[inside] * size + nx[inside]
        a[rows, rows] += w
        unknown = var[q] >= 0
        a[rows[unknown], var[q][unknown]] -= w
        b[rows[~unknown]] += w * flat[:, q[~unknown]].T
    out = flat.copy()
    out[:, idx] = np.linalg.solve(a, b).T
    return torch.from_numpy(out).reshape(x.shape), idx


def road(model, x, m, k, normals, most_relevant_first):
    size = x.shape[-1]
    order = ranking(m)
    images = []
    for i, percent in enumerate(ROAD_PERCENTS):
        count = int(np.floor(percent / 100 * size * size + 0.5))
        removed = np.zeros(size * size, dtype=bool)
        removed[order[:count] if most_relevant_first else order[::-1][:count]] = True
        filled, idx = impute(x[0], removed)
        noise = torch.from_numpy(normals[(0 if most_relevant_first else len(ROAD_PERCENTS)) + i].astype(np.float64)).reshape(3, -1)
        flat = filled.reshape(3, -1)
        flat[:, idx] += ROAD_NOISE * noise[:, idx]
        images.append(flat.reshape(1, 3, size, size))
    return [float(v) for v in probabilities(model, torch.cat(images), k)]


def metrics(model, x, m, k, draws):
    """Deletion and insertion (zero and blur baselines), MuFidelity and ROAD of one map."""
    out = {}
    for name, baseline in (("zero", torch.zeros_like(x)), ("blur", gaussian_blur(x, 5.0))):
        for deletion in (True, False):
            curve, auc = deletion_insertion(model, x, baseline, m, k, deletion)
            key = ("deletion" if deletion else "insertion") + ("" if name == "zero" else "_blur")
            out[key + "_curve"], out[key + "_auc"] = curve, auc
    out["mufidelity"] = mufidelity(model, x, torch.zeros_like(x), m, k, draws["subsets"])
    morf = road(model, x, m, k, draws["normals"], True)
    lerf = road(model, x, m, k, draws["normals"], False)
    out["road_morf"], out["road_lerf"] = morf, lerf
    out["road"] = float(np.mean([(l - mo) / 2 for l, mo in zip(lerf, morf)]))
    return out


MASK64 = (1 << 64) - 1


def java_string_hash(s):
    h = 0
    data = s.encode("utf-16-be")  # Java hashes UTF-16 code units
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def java_normals(seed, name, count):
    """Java's SplittableRandom(seed * 0x9E3779B97F4A7C15 + name.hashCode()) as filtervis's RandomizedCopies
    draws from it (SplitMix64, Box-Muller in pairs): an independent implementation of the same stream, so the
    reference re-draws exactly the weights filtervis re-draws."""
    gamma = 0x9E3779B97F4A7C15
    start = (seed * gamma + java_string_hash(name)) & MASK64
    pairs = (count + 1) // 2
    i = np.arange(1, 2 * pairs + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(start) + i * np.uint64(gamma)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    d = (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    u1, u2 = 1 - d[0::2], d[1::2]
    rad = np.sqrt(-2 * np.log(u1))
    out = np.empty(2 * pairs)
    out[0::2] = rad * np.cos(2 * np.pi * u2)
    out[1::2] = rad * np.sin(2 * np.pi * u2)
    return out[:count]


def weighted_blocks(graph, block_outputs):
    """Conv, ConvTranspose, Gemm and MatMul nodes with a float initializer weight, in graph order, cut after
    each node that outputs a block output (filtervis's RandomizedCopies.blocks)."""
    floats = {t.name for t in graph.initializer if t.data_type == onnx.TensorProto.FLOAT}
    blocks, current = [], []
    for n in graph.node:
        if n.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul") and len(n.input) > 1 and n.input[1] in floats:
            current.append(n)
        if any(o in block_outputs for o in n.output) and current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def interpreted_maps(net, layer, x, k):
    """Grad-CAM at the layer, saliency and Integrated Gradients of the ONNX graph run by the interpreter."""
    out = net.graph.output[0].name
    xd = x.detach().requires_grad_(True)
    values = net.run(xd)
    a = values[layer]
    g, gx = torch.autograd.grad(values[out][0, k], (a, xd))
    maps = {"gradcam": torch.relu((g[0].mean(dim=(1, 2))[:, None, None] * a[0]).sum(0)), "saliency": gx[0].abs().max(dim=0).values}
    maps["integrated-gradients"] = integrated_gradients(lambda p: net.run(p)[out], x, k)
    return maps


def spearman(a, b):
    def ranks(v):
        v = v.reshape(-1)
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        sorted_v = v[order]
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and sorted_v[j + 1] == sorted_v[i]:
                j += 1
            r[order[i:j + 1]] = (i + j) / 2 + 1
            i = j + 1
        return r
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def randomization(path, name, layer, x, k):
    """Cascading randomisation on the exported graph, in float64: each level re-draws the top blocks' weights
    and biases from N(0, s^2), s each tensor's own standard deviation, from Java's stream (java_normals); the
    Spearman correlation of each map with the map of the unchanged graph."""
    model = onnx.load(path)
    block_outputs = [module_output_tensor(model, b) for b in BLOCKS[name]]
    blocks = weighted_blocks(model.graph, set(block_outputs))
    x64 = x.double()
    trained = {m: v.detach().numpy() for m, v in interpreted_maps(OnnxTorch(model, torch.float64), layer, x64, k).items()}
    levels = []
    for level in range(1, len(blocks) + 1):
        net = OnnxTorch(model, torch.float64)
        redrawn = 0
        for block in blocks[len(blocks) - level:]:
            for n in block:
                redrawn += 1
                for weight in n.input[1:3]:
                    if weight in net.params and net.params[weight].is_floating_point():
                        v = net.initializer(weight).astype(np.float32).astype(np.float64)
                        sd = float(np.sqrt(((v - v.mean()) ** 2).mean()))
                        drawn = (java_normals(RANDOMIZATION_SEED, weight, v.size) * sd).astype(np.float32)
                        net.set_initializer(weight, drawn.reshape(v.shape))
        maps = interpreted_maps(net, layer, x64, k)
        entry = {"layers_randomized": redrawn}
        for m, v in maps.items():
            entry[m] = spearman(trained[m], v.detach().numpy())
        levels.append(entry)
    return {"seed": RANDOMIZATION_SEED, "block_outputs": block_outputs, "layers_total": sum(len(b) for b in blocks), "levels": levels}


def rel(a, b):
    return float((a - b).norm() / b.norm().clamp(min=1e-30))


# The principal-component maps: chosen inputs are not searched for their stability (a component can sit
# close to the next one); how far 1e-6 noise moves them is recorded on its own and bounds their test.
EIGEN = ("eigencam", "eigengradcam")


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
        eigen = 0.0
        for draw in range(3):
            torch.manual_seed(1000 * seed + draw)
            noisy = gradient_maps(model, mid, x, k, noise=1e-6)
            error = max(error, max(rel(noisy[m], clean[m]) for m in clean if m not in EIGEN))
            eigen = max(eigen, max(rel(noisy[m], clean[m]) for m in EIGEN))
        if best is None or error < best[0]:
            best = (error, seed, x, k, eigen)
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
        error, seed, x, k, eigen_error = stable_input(model, mid, size)
        model64 = copy.deepcopy(model).double()
        x64 = x.double()
        maps = gradient_maps(model64, mid, x64, k)
        float32_maps = gradient_maps(model, mid, x, k)
        float32_error = max(rel(v.detach().double(), maps[m].detach()) for m, v in float32_maps.items() if m not in EIGEN)
        eigen_float32_error = max(rel(float32_maps[m].detach().double(), maps[m].detach()) for m in EIGEN)
        maps["scorecam"] = score_cam(model64, mid, x64, k)
        maps["ablationcam"] = ablation_cam(model64, mid, x64, k)
        ablation_float32_error = rel(ablation_cam(model, mid, x, k).double(), maps["ablationcam"])
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
        # The metrics, on the maps at the input's resolution as saved (float32), with draws written for the tests to read.
        draws_rng = np.random.default_rng(7)
        draws = {"subsets": np.stack([np.sort(draws_rng.choice(GRID * GRID, CELLS_REMOVED, replace=False)) for _ in range(128)]).astype(np.int32),
                 "normals": draws_rng.standard_normal((2 * len(ROAD_PERCENTS), 3 * size * size)).astype(np.float32)}
        np.save(f"{out}/attr_{name}_draws_subsets.npy", draws["subsets"].astype(np.float32))  # Npy reads float32; cell numbers are exact
        np.save(f"{out}/attr_{name}_draws_normals.npy", draws["normals"])
        evaluated = {}
        for m in ("gradcam", "saliency", "integrated-gradients"):
            v = maps[m].detach()
            if v.shape[-1] != size:
                v = F.interpolate(v[None, None], size=(size, size), mode="bilinear", align_corners=False)[0, 0]
            full = v.numpy().astype(np.float32)
            np.save(f"{out}/attr_{name}_{m}_input.npy", full)
            evaluated[m] = metrics(model64, x64, full, k, draws)
        with open(f"{out}/attr_{name}_randomization.json", "w") as f:
            json.dump(randomization(path, name, tensor, x, k), f, indent=1)
        with open(f"{out}/attr_{name}_metrics.json", "w") as f:
            json.dump(evaluated, f, indent=1)
        record = {"layer": tensor, "module": mid, "size": size, "class": k, "seed": seed, "logits": [float(v) for v in logits],
                  "baseline_logit": baseline_logit, "map_change_under_1e-6_noise": error, "pytorch_float32_error": float32_error,
                  "ig_float32_error": ig_float32_error, "eigen_change_under_1e-6_noise": eigen_error, "eigen_float32_error": eigen_float32_error,
                  "ablation_float32_error": ablation_float32_error, "bypassed_layer": BYPASSED[name]}
        with open(f"{out}/attr_{name}.json", "w") as f:
            json.dump(record, f, indent=1)
        print(name, "layer", tensor, "class", k, "seed", seed, "map change under noise", error, "PyTorch float32 error", float32_error,
              "IG float32 error", ig_float32_error, "eigen maps: change under noise", eigen_error, "float32 error", eigen_float32_error, "ablation float32 error", ablation_float32_error, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
