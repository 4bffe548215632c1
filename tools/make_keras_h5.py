#!/usr/bin/python3
"""Writes one small Keras model twice, with the same float32 weights: as a Keras 2 HDF5 file
(model.save layout: root attribute model_config, model_weights/<layer>/<layer>/<param>:0 datasets
listed by layer_names/weight_names attributes) and in TF.js layers format (model.json + one binary
shard). The app-cli test KerasH5Test checks that filtervis imports both to the same ONNX model.

Usage: /usr/bin/python3 tools/make_keras_h5.py OUT_DIR   (Debian: python3-h5py, python3-numpy)
"""
import json
import os
import sys

import h5py
import numpy as np


def layer(name, cls, config, inbound):
    config = dict(config, name=name)
    return {"name": name, "class_name": cls, "config": config,
            "inbound_nodes": [[[i, 0, 0, {}] for i in inbound]] if inbound else []}


LAYERS = [
    layer("image", "InputLayer", {"batch_input_shape": [None, 20, 20, 3], "dtype": "float32"}, []),
    layer("conv_a", "Conv2D", {"filters": 8, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last",
                               "dilation_rate": [1, 1], "activation": "relu", "use_bias": True}, ["image"]),
    layer("bn_a", "BatchNormalization", {"axis": -1, "epsilon": 0.001, "center": True, "scale": True}, ["conv_a"]),
    layer("dw", "DepthwiseConv2D", {"kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "depth_multiplier": 1,
                                    "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "linear", "use_bias": False}, ["bn_a"]),
    layer("relu6", "ReLU", {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}, ["dw"]),
    layer("conv_b", "Conv2D", {"filters": 8, "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
                               "dilation_rate": [1, 1], "activation": "linear", "use_bias": True}, ["bn_a"]),
    layer("add", "Add", {}, ["relu6", "conv_b"]),
    layer("pool", "MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid", "data_format": "channels_last"}, ["add"]),
    layer("gap", "GlobalAveragePooling2D", {"data_format": "channels_last"}, ["pool"]),
    layer("fc", "Dense", {"units": 4, "activation": "softmax", "use_bias": True}, ["gap"]),
]
CONFIG = {"class_name": "Model", "config": {"name": "tiny_keras", "layers": LAYERS,
                                            "input_layers": [["image", 0, 0]], "output_layers": [["fc", 0, 0]]}}
SHAPES = {
    "conv_a": [("kernel", (3, 3, 3, 8)), ("bias", (8,))],
    "bn_a": [("gamma", (8,)), ("beta", (8,)), ("moving_mean", (8,)), ("moving_variance", (8,))],
    "dw": [("depthwise_kernel", (3, 3, 8, 1))],
    "conv_b": [("kernel", (1, 1, 8, 8)), ("bias", (8,))],
    "fc": [("kernel", (8, 4)), ("bias", (4,))],
}


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    weights = {}
    for lname, params in SHAPES.items():
        for p, shape in params:
            v = rng.uniform(-0.5, 0.5, shape).astype(np.float32)
            if p == "moving_variance":
                v = np.abs(v) + 0.5
            weights[(lname, p)] = v
    with h5py.File(os.path.join(out, "tiny.h5"), "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(CONFIG).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([l["name"].encode() for l in LAYERS])
        for l in LAYERS:
            lg = g.create_group(l["name"])
            names = [f"{l['name']}/{p}:0".encode() for p, _ in SHAPES.get(l["name"], [])]
            lg.attrs["weight_names"] = np.array(names, dtype="S") if names else np.array([], dtype="S1")
            for p, _ in SHAPES.get(l["name"], []):
                lg.create_dataset(f"{l['name']}/{p}:0", data=weights[(l["name"], p)])
    specs, data = [], b""
    for (lname, p), v in weights.items():
        specs.append({"name": f"{lname}/{p}", "shape": list(v.shape), "dtype": "float32"})
        data += v.astype("<f4").tobytes()
    tfjs = os.path.join(out, "tfjs")
    os.makedirs(tfjs, exist_ok=True)
    with open(os.path.join(tfjs, "group1-shard1of1.bin"), "wb") as fh:
        fh.write(data)
    with open(os.path.join(tfjs, "model.json"), "w") as fh:
        json.dump({"format": "layers-model", "modelTopology": {"keras_version": "2.2.4", "backend": "tensorflow", "model_config": CONFIG},
                   "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": specs}]}, fh)


if __name__ == "__main__":
    main(sys.argv[1])
