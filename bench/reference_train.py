#!/usr/bin/python3
"""Eager-PyTorch reference for SkinScan's training throughput (benchmark use only).

One optimisation step, as `build/train_bench` measures it: augment 64 real HAM10000 images
(model-sized, decoded once beforehand), normalise, forward, loss, backward, AdamW step, with
the same architecture and, where torchvision has it, the same augmentation:

  base     random affine (any rotation, scale 0.9-1.15, shift 8%), flips, brightness /
           contrast / saturation jitter 0.15 (SkinScan: one OpenCV warp with reflected
           borders; torchvision fills the borders with black instead)
  shipped  the shipped recipe: scale 0.8-1.3, shift 10%, jitter 0.2/0.2/0.25, colour cast
           0.12, gamma 0.25, blur (p 0.2), vignette (p 0.2), Shades of Gray colour constancy,
           auxiliary lesion-mask head on the second stage (1x1 conv, BCE; the masks get the
           same geometric transform) and an EMA of the weights

Eager mode, augmentation in the training thread (as SkinScan), `--threads` intra-op threads.

  /usr/bin/python3 bench/reference_train.py --arch resnet-s [--recipe shipped] [--threads 2]
      [--seconds 30] [--precision bf16] [--size 128x96]

--precision bf16 is PyTorch's own CPU autocast to bfloat16 with channels-last weights and
inputs (what `skinscan train --precision bf16` does), for the like-for-like comparison;
--channels-last lays out float32 weights and inputs channels-last too (`skinscan train
--channels-last`).

Prints JSON: arch, recipe, threads, ms per step (median), images per second.
Requires Debian's python3-torch, python3-torchvision, python3-pil; never on the product path.
"""
import argparse
import copy
import json
import math
import os
import random
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_predict import WIDTHS, ResNetS  # noqa: E402  the same network definition

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.environ.get("SKINSCAN_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data")),
                    "ham10000")
BATCH = 64
W, H = 96, 72


def real_images():
    """The 64 images train_bench uses (every 97th of the metadata order), model-sized."""
    import csv
    rows = list(csv.DictReader(open(os.path.join(DATA, "HAM10000_metadata.csv"))))
    imgs, masks = [], []
    for i in range(BATCH):
        iid = rows[i * 97]["image_id"]
        im = Image.open(os.path.join(DATA, "images", iid + ".jpg")).convert("RGB")
        imgs.append(TF.pil_to_tensor(im.resize((W, H), Image.BOX)))
        m = Image.open(os.path.join(DATA, "masks", iid + "_segmentation.png")).convert("L")
        masks.append(TF.pil_to_tensor(m.resize((W, H), Image.BOX)))
    return imgs, masks


def augment(img, mask, strong):
    scale = random.uniform(0.8, 1.3) if strong else random.uniform(0.9, 1.15)
    shift = 0.1 if strong else 0.08
    angle = random.uniform(-180, 180)
    tx, ty = random.uniform(-shift, shift) * W, random.uniform(-shift, shift) * H
    geo = dict(angle=angle, translate=[int(tx), int(ty)], scale=scale, shear=[0.0],
               interpolation=TF.InterpolationMode.BILINEAR)
    img = TF.affine(img, **geo)
    if mask is not None:
        mask = TF.affine(mask, **geo)
    if random.random() < 0.5:
        img = TF.hflip(img)
        mask = TF.hflip(mask) if mask is not None else None
    if random.random() < 0.5:
        img = TF.vflip(img)
        mask = TF.vflip(mask) if mask is not None else None
    b, c, s = (0.2, 0.2, 0.25) if strong else (0.15, 0.15, 0.15)
    img = TF.adjust_brightness(img, 1 + random.uniform(-b, b))
    img = TF.adjust_contrast(img, 1 + random.uniform(-c, c))
    img = TF.adjust_saturation(img, 1 + random.uniform(-s, s))
    if strong:
        cast = torch.tensor([1 + random.uniform(-0.12, 0.12) for _ in range(3)]).view(3, 1, 1)
        img = (img.float() * cast).clamp(0, 255).to(torch.uint8)
        img = TF.adjust_gamma(img, 1 + random.uniform(-0.25, 0.25))
        if random.random() < 0.2:
            img = TF.gaussian_blur(img, [5, 5], [random.uniform(0.3, 1.2)])
        if random.random() < 0.2:
            r, soft = random.uniform(0.5, 0.75), random.uniform(0.02, 0.15)
            yy, xx = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
            d = torch.sqrt((xx - W / 2) ** 2 + (yy - H / 2) ** 2) / math.hypot(W / 2, H / 2)
            img = (img.float() * (1 - ((d - r) / soft).clamp(0, 1))).to(torch.uint8)
    return img, mask


def shades_of_gray(x):
    """x: float [N,3,H,W] in 0..255."""
    e = (x / 255).pow(6).mean((2, 3)).pow(1 / 6)
    gains = (e.mean(1, keepdim=True) / e.clamp_min(1e-6)).clamp(0.25, 4.0)
    return (x * gains[:, :, None, None]).clamp(max=255)


def step_loss(net, head, x, y, mbatch, strong):
    if strong:
        s = F.relu(net.stem_bn(net.stem(x)))
        f1 = net.stages[1](net.stages[0](s))
        f = net.stages[3](net.stages[2](f1))
        logits = net.fc(net.drop(f.mean((2, 3)))).float()
        target = F.adaptive_avg_pool2d(torch.stack(mbatch).float() / 255, f1.shape[2:])
        return F.cross_entropy(logits, y, label_smoothing=0.1) + \
            0.5 * F.binary_cross_entropy_with_logits(head(f1).float(), target)
    return F.cross_entropy(net(x).float(), y, label_smoothing=0.1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="resnet-s", choices=sorted(WIDTHS))
    ap.add_argument("--recipe", default="base", choices=["base", "shipped"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--size", default="96x72", help="input WIDTHxHEIGHT")
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    global W, H
    W, H = (int(v) for v in a.size.split("x"))
    bf16 = a.precision == "bf16"
    channels_last = bf16 or a.channels_last
    torch.set_num_threads(a.threads)
    random.seed(1)
    torch.manual_seed(1)
    strong = a.recipe == "shipped"
    imgs, masks = real_images()
    net = ResNetS(WIDTHS[a.arch])
    head = nn.Conv2d(WIDTHS[a.arch][1], 1, 1) if strong else None
    params = list(net.parameters()) + (list(head.parameters()) if head is not None else [])
    opt = torch.optim.AdamW(params, lr=1e-3)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    ema = copy.deepcopy(net) if strong else None
    y = torch.randint(0, 7, (BATCH,))
    net.train()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < a.seconds or len(times) < 5:
        t0 = time.perf_counter()
        batch, mbatch = [], []
        for img, m in zip(imgs, masks):
            ai, am = augment(img, m if strong else None, strong)
            batch.append(ai)
            mbatch.append(am)
        x = torch.stack(batch).float()
        if strong:
            x = shades_of_gray(x)
        x = (x / 255 - 0.5) / 0.25
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = step_loss(net, head, x, y, mbatch, strong)
        loss.backward()
        opt.step()
        if ema is not None:
            with torch.no_grad():
                for pe, p in zip(ema.state_dict().values(), net.state_dict().values()):
                    if pe.dtype.is_floating_point:
                        pe.mul_(0.998).add_(p, alpha=0.002)
                    else:
                        pe.copy_(p)
        times.append(time.perf_counter() - t0)
    ms = statistics.median(times[2:]) * 1000  # first steps warm the allocator
    print(json.dumps({"arch": a.arch, "recipe": a.recipe, "precision": a.precision,
                      "channels_last": channels_last,
                      "size": a.size, "threads": a.threads, "steps": len(times),
                      "ms_per_step": round(ms, 1), "images_per_second": round(BATCH * 1000 / ms, 1)}))


if __name__ == "__main__":
    main()
