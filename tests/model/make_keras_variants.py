#!/usr/bin/python3
"""Writes HDF5 variants of the seed app's Keras file for the import refusal tests.

Usage: make_keras_variants.py SOURCE.h5 OUT_DIR
  wider_dense.h5    first Dense has 128 units (kernel 2304x128), otherwise the seed's layers
  missing_layer.h5  the fourth convolution (conv2d_3) is gone
  extra_layer.h5    a fourth Dense layer after the output layer
  plain.h5          valid HDF5 holding one dataset, no Keras attributes
  full_model.h5     the same weights as Keras' model.save() nests them, under model_weights
"""
import os
import sys

import h5py
import numpy as np

src, out = sys.argv[1:3]


def copy_to(name):
    dst = h5py.File(os.path.join(out, name), "w")
    with h5py.File(src, "r") as s:
        for k, v in s.attrs.items():
            dst.attrs[k] = v
        for k in s:
            s.copy(k, dst)
    return dst


with copy_to("wider_dense.h5") as f:
    del f["dense/dense/kernel:0"], f["dense/dense/bias:0"]
    f["dense/dense/kernel:0"] = np.zeros((2304, 128), np.float32)
    f["dense/dense/bias:0"] = np.zeros((128,), np.float32)

with copy_to("missing_layer.h5") as f:
    del f["conv2d_3"]
    f.attrs["layer_names"] = np.array([n for n in f.attrs["layer_names"] if n != b"conv2d_3"],
                                      dtype="S15")

with copy_to("extra_layer.h5") as f:
    g = f.create_group("dense_3")
    g.attrs["weight_names"] = np.array([b"dense_3/kernel:0", b"dense_3/bias:0"], dtype="S16")
    g["dense_3/kernel:0"] = np.zeros((7, 7), np.float32)
    g["dense_3/bias:0"] = np.zeros((7,), np.float32)
    f.attrs["layer_names"] = np.append(f.attrs["layer_names"], np.array([b"dense_3"], "S15"))

with h5py.File(os.path.join(out, "plain.h5"), "w") as f:
    f["numbers"] = np.arange(10, dtype=np.float32)

with h5py.File(os.path.join(out, "full_model.h5"), "w") as f, h5py.File(src, "r") as s:
    g = f.create_group("model_weights")
    for k, v in s.attrs.items():
        g.attrs[k] = v
    for k in s:
        s.copy(k, g)
    f.attrs["keras_version"] = s.attrs["keras_version"]
    f.attrs["model_config"] = '{"class_name": "Sequential"}'
