#!/usr/bin/python3
"""How much JPEG DCT-scaled decoding moves a model's probabilities (benchmark use only).

For every JPEG in --images, decodes it in full, at 1/2 and at 1/4 DCT scale (PIL draft, as
SkinScan's decode_rgb does), area-resizes each to the model input exactly like
bench/reference_predict.py, and prints the largest calibrated-probability difference of the
scaled decodes against the full one, and the top class of each.

  /usr/bin/python3 bench/decode_scale.py --images ../shared/data/full-size-samples [--model DIR]
Requires Debian's python3-torch, python3-pil and python3-numpy; never on the product path.
"""
import argparse
import os

import numpy as np
import torch
from PIL import Image

import reference_predict as ref


def model_input(path, info, k):
    p = info["preprocessing"]
    w, h = p["width"], p["height"]
    img = Image.open(path)
    if k > 1:
        img.draft("RGB", (img.size[0] // k, img.size[1] // k))
    a = np.asarray(img.convert("RGB"), dtype=np.float64)
    a = np.tensordot(ref.area_matrix(a.shape[0], h), a, axes=(1, 0))
    a = np.tensordot(ref.area_matrix(a.shape[1], w), a, axes=(1, 1)).transpose(1, 0, 2)
    a = np.clip(np.rint(a), 0, 255)
    x = (a / 255.0 - np.array(p["mean"])) / np.array(p["std"])
    return torch.from_numpy(x.transpose(2, 0, 1)[None].astype(np.float32))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--model", default=os.path.join(ref.ROOT, "models", "default"))
    args = ap.parse_args()
    net, info = ref.load_model(args.model)
    codes = [c["code"] for c in info["classes"]]
    worst = {2: 0.0, 4: 0.0}
    with torch.no_grad():
        for f in sorted(os.listdir(args.images)):
            path = os.path.join(args.images, f)
            probs = {k: ref.calibrate(net(model_input(path, info, k)), info)[0] for k in (1, 2, 4)}
            diff = {k: (probs[k] - probs[1]).abs().max().item() for k in (2, 4)}
            for k in diff:
                worst[k] = max(worst[k], diff[k])
            tops = "/".join(codes[probs[k].argmax().item()] for k in (1, 2, 4))
            print(f"{f}: 1/2 vs full {diff[2]:.3f}, 1/4 vs full {diff[4]:.3f}, top full/half/quarter {tops}")
    print(f"largest difference: 1/2 scale {worst[2]:.3f}, 1/4 scale {worst[4]:.3f}")


if __name__ == "__main__":
    main()
