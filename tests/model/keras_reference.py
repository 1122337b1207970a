#!/usr/bin/python3
"""Independent reference for `skinscan import keras`: the seed notebook's Keras CNN evaluated
in NumPy straight from the HDF5 file (h5py), in Keras' own layouts (NHWC activations, HWIO
kernels, NHWC flatten), in float64.

Usage: keras_reference.py MODEL.h5 INPUTS.u8 N RECIPE PIXEL_MEAN PIXEL_STD
  INPUTS.u8  N images of 28x28x3 uint8 RGB, row-major (what SkinScan's resize produced)
  RECIPE     seed-trained: (x - PIXEL_MEAN) / PIXEL_STD on RGB; seed-served: BGR raw 0-255
Prints JSON: {"sha256": ..., "probabilities": [[7 softmax values in the seed's label order]]}.
"""
import hashlib
import json
import sys

import h5py
import numpy as np


def conv2d(x, kernel, bias, padding):
    """x [N,H,W,C], kernel [kh,kw,C,O] (cross-correlation, stride 1)."""
    kh, kw = kernel.shape[:2]
    if padding == "same":
        x = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    n, h, w, _ = x.shape
    oh, ow = h - kh + 1, w - kw + 1
    out = np.zeros((n, oh, ow, kernel.shape[3]))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nhwc,co->nhwo", x[:, i:i + oh, j:j + ow, :], kernel[i, j])
    return out + bias


def max_pool(x, padding):
    """2x2, stride 2; "same" pads bottom/right with -inf (Keras) when the side is odd."""
    n, h, w, c = x.shape
    if padding == "same":
        ph, pw = (-h) % 2, (-w) % 2
        x = np.pad(x, ((0, 0), (0, ph), (0, pw), (0, 0)), constant_values=-np.inf)
        h, w = h + ph, w + pw
    else:
        h, w = h - h % 2, w - w % 2
        x = x[:, :h, :w, :]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def relu(x):
    return np.maximum(x, 0)


def main():
    path, inputs, n, recipe, mean, std = sys.argv[1:7]
    n, mean, std = int(n), float(mean), float(std)
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    h5 = h5py.File(path, "r")
    root = h5["model_weights"] if "model_weights" in h5 else h5
    w = {}
    for name in root.attrs["layer_names"]:
        name = name.decode() if isinstance(name, bytes) else name
        g = root[name]
        names = [s.decode() if isinstance(s, bytes) else s for s in g.attrs["weight_names"]]
        if names:
            w[name.rstrip("0123456789_")] = w.get(name.rstrip("0123456789_"), []) + [
                (np.asarray(g[names[0]], dtype=np.float64), np.asarray(g[names[1]], dtype=np.float64))]
    conv, dense = w["conv2d"], w["dense"]
    x = np.fromfile(inputs, dtype=np.uint8).reshape(n, 28, 28, 3).astype(np.float64)
    if recipe == "seed-trained":
        x = (x - mean) / std
    elif recipe == "seed-served":
        x = x[..., ::-1]
    else:
        sys.exit("unknown recipe " + recipe)
    x = relu(conv2d(x, *conv[0], "same"))
    x = relu(conv2d(x, *conv[1], "valid"))
    x = max_pool(x, "valid")
    x = relu(conv2d(x, *conv[2], "same"))
    x = relu(conv2d(x, *conv[3], "valid"))
    x = max_pool(x, "same")
    x = x.reshape(n, -1)  # Keras Flatten: NHWC order
    x = relu(x @ dense[0][0] + dense[0][1])
    x = relu(x @ dense[1][0] + dense[1][1])
    z = x @ dense[2][0] + dense[2][1]
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    print(json.dumps({"sha256": sha, "probabilities": p.tolist()}))


main()
