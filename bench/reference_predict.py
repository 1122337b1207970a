#!/usr/bin/python3
"""PyTorch-eager reference for SkinScan's predict path (benchmark and test use only).

Rebuilds the SkinScan network in PyTorch from model.json, loads the weights exported by
`skinscan export --format pytorch` (which it runs into a temporary file), and
screens images end to end: PIL decode (JPEG DCT-scaled like SkinScan) + area resize +
field-of-view fill + colour constancy + normalise + eager forward + calibration.

  /usr/bin/python3 bench/reference_predict.py --images DIR [--model DIR] [--threads N]
      [--repeat R] [--probs]

Prints JSON: median_ms/p95_ms per image (single-threaded by default), and with --probs the
calibrated probabilities of every image (for the agreement test).
Requires Debian's python3-torch, python3-pil and python3-numpy; never on the product path.
"""
import argparse
import functools
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTHS = {"resnet-s": (24, 48, 96, 192), "resnet-m": (32, 64, 128, 256)}


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.down = nn.Conv2d(cin, cout, 1, stride, bias=False)
            self.down_bn = nn.BatchNorm2d(cout)
        else:
            self.down = None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.down_bn(self.down(x)) if self.down is not None else x))


class ResNetS(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.stem = nn.Conv2d(3, widths[0], 3, 2, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(widths[0])
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(BasicBlock(cin, w, 1 if i == 0 else 2))
            cin = w
        self.stages = nn.Sequential(*blocks)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(cin, 7)

    def forward(self, x):
        f = self.stages(F.relu(self.stem_bn(self.stem(x))))
        return self.fc(self.drop(f.mean((2, 3))))


class Ensemble(nn.Module):
    """log of the mean of the members' calibrated probabilities (SkinScan's arch "ensemble")."""

    def __init__(self, members):
        super().__init__()
        self.members = members  # [(ResNetS, member json)]
        for i, (net, _) in enumerate(members):
            self.add_module(f"m{i}", net)

    def forward(self, x):
        logp = [torch.log_softmax(member_adjusted(net(x), m) / m["temperature"], 1)
                for net, m in self.members]
        return torch.logsumexp(torch.stack(logp), 0) - math.log(len(logp))


def member_adjusted(logits, c):
    return logits + c["prior_adjustment"] * torch.tensor(c["log_prior"], dtype=torch.float32)


def load_model(model_dir):
    info = json.load(open(os.path.join(model_dir, "model.json")))
    if info["arch"] == "ensemble":
        members = info["ensemble"]["members"]
        if any(m["arch"] not in WIDTHS for m in members):
            sys.exit(f"reference supports ensembles of {list(WIDTHS)}")
        net = Ensemble([(ResNetS(WIDTHS[m["arch"]]), m) for m in members])
    elif info["arch"] in WIDTHS:
        net = ResNetS(WIDTHS[info["arch"]])
    else:
        sys.exit(f"reference supports {list(WIDTHS)} and their ensembles, not {info['arch']}")
    with tempfile.TemporaryDirectory() as tmp:  # always export afresh: never stale
        export = os.path.join(tmp, "weights.pytorch.pt")
        subprocess.run([os.path.join(ROOT, "build", "skinscan"), "export", "--format", "pytorch",
                        "--model", model_dir, "--out", export], check=True, stdout=subprocess.DEVNULL)
        state = torch.load(export)
    net.load_state_dict(state, strict=True)
    net.eval()
    return net, info


@functools.lru_cache(maxsize=None)
def area_matrix(n_in, n_out):
    """Rows of area-coverage weights: output pixel i averages input [i*s, (i+1)*s)."""
    s = n_in / n_out
    m = np.zeros((n_out, n_in), dtype=np.float64)
    for i in range(n_out):
        a, b = i * s, (i + 1) * s
        for j in range(int(math.floor(a)), min(n_in, int(math.ceil(b)))):
            m[i, j] = (min(b, j + 1) - max(a, j)) / s
    return m


def preprocess(path, info):
    p = info["preprocessing"]
    w, h = p["width"], p["height"]
    img = Image.open(path)
    if img.format == "JPEG":  # DCT scaling exactly as SkinScan chooses it (decode_rgb)
        min_side, shortest = 2 * max(w, h), min(img.size)
        for k in (8, 4, 2):
            if shortest >= k * min_side:
                img.draft("RGB", (img.size[0] // k, img.size[1] // k))
                break
    a = np.asarray(img.convert("RGB"), dtype=np.float64)
    if a.shape[1] != w or a.shape[0] != h:  # INTER_AREA, then rounding to 8 bits as OpenCV
        a = np.tensordot(area_matrix(a.shape[0], h), a, axes=(1, 0))           # rows
        a = np.tensordot(area_matrix(a.shape[1], w), a, axes=(1, 1)).transpose(1, 0, 2)  # cols
        a = np.clip(np.rint(a), 0, 255)
    a = field_of_view(a, p.get("field_of_view", "as-is"))
    a = colour_constancy(a, p.get("colour_constancy", "none"))
    x = (a / 255.0 - np.array(p["mean"])) / np.array(p["std"])
    return torch.from_numpy(x.transpose(2, 0, 1)[None].astype(np.float32))


def _dilate(mask, kernel):
    """Binary dilation by a centred odd kernel; outside the image counts as unset (OpenCV's
    default border for dilate)."""
    kh, kw = kernel.shape
    ph, pw = kh // 2, kw // 2
    pad = np.pad(mask, ((ph, ph), (pw, pw)))
    out = np.zeros_like(mask)
    for dy in range(kh):
        for dx in range(kw):
            if kernel[dy, dx]:
                out |= pad[dy:dy + mask.shape[0], dx:dx + mask.shape[1]]
    return out


CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
# OpenCV's getStructuringElement(MORPH_ELLIPSE, 7x7).
ELLIPSE7 = np.array([[0, 0, 0, 1, 0, 0, 0]] + [[0, 1, 1, 1, 1, 1, 0]] + [[1] * 7] * 3 +
                    [[0, 1, 1, 1, 1, 1, 0]] + [[0, 0, 0, 1, 0, 0, 0]], dtype=bool)


def field_of_view(a, method):
    """SkinScan's fill_field_of_view (model/field_of_view.cc) on the model-sized 8-bit image:
    the dark pixels (brightest channel < 40) 4-connected to a corner, grown by
    max(1, longer side // 48) pixels through pixels < 96, painted with the mean colour of the
    7x7-ellipse band outside them; nothing when that would cover more than 60%."""
    if method == "as-is":
        return a
    if method != "fill":
        sys.exit(f"unknown field_of_view {method}")
    brightest = a.max(axis=2)
    dark = brightest < 40
    region = np.zeros_like(dark)
    for y, x in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        region[y, x] = dark[y, x]
    while True:  # flood fill: the dark components that touch a corner
        grown = _dilate(region, CROSS) & dark
        if (grown == region).all():
            break
        region = grown
    share = int(region.sum())
    if share == 0 or share > 0.6 * region.size:
        return a
    dim = brightest < 96
    for _ in range(max(1, max(a.shape[0], a.shape[1]) // 48)):
        region = (_dilate(region, CROSS) & dim) | region
    band = _dilate(region, ELLIPSE7) & ~region
    if not band.any():
        return a
    out = a.copy()
    out[region] = np.rint(a[band].mean(axis=0))
    return out


def colour_constancy(a, method):
    """Shades of Gray (p = 6) on the model-sized 8-bit image, as SkinScan's to_tensor: to
    neutral grey of the image's own brightness, or (-exposure) of the fixed level 0.66."""
    if method == "none":
        return a
    if method not in ("shades-of-gray", "shades-of-gray-exposure"):
        sys.exit(f"unknown colour constancy {method}")
    e = np.power(np.mean(np.power(a / 255.0, 6.0), axis=(0, 1)), 1.0 / 6.0)
    grey = e.mean()
    if grey <= 1e-6:
        return a
    target = 0.66 if method == "shades-of-gray-exposure" else grey
    gains = np.clip(target / np.maximum(e, 1e-6), 0.25, 4.0).astype(np.float32)
    return np.minimum(255.0, a.astype(np.float32) * gains).astype(np.float64)


def calibrate(logits, info):
    c = info["calibration"]
    return torch.softmax(member_adjusted(logits, c) / c["temperature"], 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "default"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--probs", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    net, info = load_model(args.model)
    paths = sorted(os.path.join(args.images, f) for f in os.listdir(args.images))
    codes = [c["code"] for c in info["classes"]]
    out = {"images": len(paths), "threads": args.threads}
    with torch.no_grad():
        if args.probs:
            out["probabilities"] = {
                os.path.basename(p): dict(zip(codes, calibrate(net(preprocess(p, info)), info)[0].tolist()))
                for p in paths}
        for p in paths:  # warm-up
            calibrate(net(preprocess(p, info)), info)
        ms = []
        for _ in range(args.repeat):
            for p in paths:
                t0 = time.perf_counter()
                calibrate(net(preprocess(p, info)), info)
                ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    out["median_ms"] = ms[(len(ms) - 1) // 2]
    out["p95_ms"] = ms[int(0.95 * (len(ms) - 1))]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
