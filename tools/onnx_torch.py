"""A small ONNX interpreter on PyTorch, for references and benchmarks: runs an ONNX graph eagerly with
torch operations (autograd works through it), in float32 or float64. Covers the operators of the
models our tests and benchmarks use (torchvision exports, the Keras-converted demo models); anything
else stops with the operator's name.

    net = OnnxTorch(onnx.load(path), dtype=torch.float64)
    values = net.run(x)            # every tensor by name
    net.set_initializer(name, array)   # replace a weight (the randomisation test's copies)
"""
import numpy as np
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    out = {}
    for a in node.attribute:
        if a.type == a.INT:
            out[a.name] = a.i
        elif a.type == a.FLOAT:
            out[a.name] = a.f
        elif a.type == a.INTS:
            out[a.name] = list(a.ints)
        elif a.type == a.FLOATS:
            out[a.name] = list(a.floats)
        elif a.type == a.STRING:
            out[a.name] = a.s.decode()
        elif a.type == a.TENSOR:
            out[a.name] = numpy_helper.to_array(a.t)
    return out


def _pads(node_attrs, x, kernel, strides, dilations):
    """ONNX pads [top, left, bottom, right] (or auto_pad) as F.pad's (left, right, top, bottom)."""
    auto = node_attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for i in range(2):
            size = x.shape[2 + i]
            out = -(-size // strides[i])
            total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if auto == "SAME_UPPER" else (big, small))
        return (pads[1][0], pads[1][1], pads[0][0], pads[0][1])
    p = node_attrs.get("pads", [0, 0, 0, 0])
    return (p[1], p[3], p[0], p[2])


class OnnxTorch:
    def __init__(self, model, dtype=torch.float32):
        self.graph = model.graph
        self.dtype = dtype
        self.params = {}
        for t in self.graph.initializer:
            self.set_initializer(t.name, numpy_helper.to_array(t))
        self.input_name = [i.name for i in self.graph.input if i.name not in self.params][0]

    def set_initializer(self, name, array):
        a = np.asarray(array)
        t = torch.from_numpy(a.copy())
        self.params[name] = t.to(self.dtype) if a.dtype.kind == "f" else t

    def initializer(self, name):
        return self.params[name].numpy()

    def run(self, x, stop_at=None):
        """Every tensor by name for input x (NCHW or the model's own layout); stops after the node
        that outputs stop_at, if given."""
        values = dict(self.params)
        values[self.input_name] = x
        for node in self.graph.node:
            ins = [values[i] if i else None for i in node.input]
            outs = self._apply(node.op_type, _attrs(node), ins)
            for name, v in zip(node.output, outs if isinstance(outs, (list, tuple)) else [outs]):
                values[name] = v
            if stop_at is not None and stop_at in node.output:
                break
        return values

    def _apply(self, op, a, ins):
        x = ins[0] if ins else None
        if op == "Conv":
            w = ins[1]
            kernel = list(w.shape[2:])
            strides = a.get("strides", [1, 1])
            dilations = a.get("dilations", [1, 1])
            x = F.pad(x, _pads(a, x, kernel, strides, dilations))
            return F.conv2d(x, w, ins[2] if len(ins) > 2 else None, strides, 0, dilations, a.get("group", 1))
        if op in ("MaxPool", "AveragePool"):
            kernel = a["kernel_shape"]
            strides = a.get("strides", [1, 1])
            pads = _pads(a, x, kernel, strides, [1, 1])
            ceil = bool(a.get("ceil_mode", 0))
            if op == "MaxPool":
                return F.max_pool2d(F.pad(x, pads, value=float("-inf")), kernel, strides, 0, ceil_mode=ceil)
            if a.get("count_include_pad", 0) or pads == (0, 0, 0, 0):
                return F.avg_pool2d(F.pad(x, pads), kernel, strides, 0, ceil_mode=ceil, count_include_pad=True)
            ones = F.pad(torch.ones_like(x[:1, :1]), pads)
            counts = F.avg_pool2d(ones, kernel, strides, 0, ceil_mode=ceil, count_include_pad=True)
            return F.avg_pool2d(F.pad(x, pads), kernel, strides, 0, ceil_mode=ceil, count_include_pad=True) / counts
        if op == "GlobalAveragePool":
            return x.mean(dim=(2, 3), keepdim=True)
        if op == "BatchNormalization":
            scale, bias, mean, var = ins[1:5]
            shape = [1, -1] + [1] * (x.dim() - 2)
            return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + a.get("epsilon", 1e-5)) * scale.view(shape) + bias.view(shape)
        if op == "Relu":
            return torch.relu(x)
        if op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min")
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max")
            lo = float(lo) if lo is not None else None
            hi = float(hi) if hi is not None else None
            return torch.clamp(x, lo, hi)
        if op in ("Add", "Sub", "Mul", "Div"):
            y = ins[1]
            return {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](x, y)
        if op == "Concat":
            return torch.cat(ins, dim=a["axis"])
        if op == "Transpose":
            return x.permute(*a["perm"])
        if op == "Identity":
            return x
        if op == "Flatten":
            axis = a.get("axis", 1)
            return x.reshape(int(np.prod(x.shape[:axis])), -1)
        if op == "Reshape":
            shape = [int(v) for v in ins[1]]
            shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
            return x.reshape(shape)
        if op == "Gemm":
            w = ins[1].t() if a.get("transB", 0) else ins[1]
            x = x.t() if a.get("transA", 0) else x
            y = a.get("alpha", 1.0) * (x @ w)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
            return y
        if op == "MatMul":
            return x @ ins[1]
        if op == "Softmax":
            return torch.softmax(x, dim=a.get("axis", -1))
        if op == "ReduceMean":
            axes = a.get("axes") or [int(v) for v in ins[1]]
            return x.mean(dim=axes, keepdim=bool(a.get("keepdims", 1)))
        if op == "Pad":
            pads = [int(v) for v in ins[1]]
            value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
            if a.get("mode", "constant") != "constant" or len(pads) != 8 or any(pads[:2]) or any(pads[4:6]):
                raise SystemExit(f"Pad {a} {pads}: only constant padding of H and W")
            return F.pad(x, (pads[3], pads[7], pads[2], pads[6]), value=value)
        if op == "Constant":
            v = a["value"]
            t = torch.from_numpy(np.array(v))
            return t.to(self.dtype) if v.dtype.kind == "f" else t
        raise SystemExit(f"onnx_torch: no operator {op}")
