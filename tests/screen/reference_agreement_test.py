#!/usr/bin/python3
"""SkinScan's C++ predict path agrees with the PyTorch-eager reference (bench/
reference_predict.py) on the nine full-size samples and on the same nine with a dermoscope's
black field of view drawn on them (so a model whose preprocessing fills that border is
checked where the fill acts): every calibrated probability within 1e-3.
Usage: reference_agreement_test.py SKINSCAN_BINARY SHARED_DATA_DIR MODEL_DIR"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

binary, shared, model = sys.argv[1:4]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
samples = os.path.abspath(os.path.join(shared, "full-size-samples"))
names = sorted(os.listdir(samples))
assert len(names) == 9, names
with tempfile.TemporaryDirectory() as images:
    for name in names:
        a = np.asarray(Image.open(os.path.join(samples, name)).convert("RGB"), dtype=np.float64)
        h, w, _ = a.shape
        y, x = np.mgrid[0:h, 0:w]
        r = np.hypot((y - h / 2) / (h / 2), (x - w / 2) / (w / 2)) / np.sqrt(2)
        lit = np.clip((0.7 - r) / 0.08, 0, 1)[..., None]  # soft-edged circle, dark grey outside
        Image.fromarray(np.asarray(a * lit + 12 * (1 - lit), dtype=np.uint8)).save(
            os.path.join(images, "fov_" + name), quality=95)
        os.symlink(os.path.join(samples, name), os.path.join(images, name))
    paths = sorted(os.path.join(images, f) for f in os.listdir(images))
    ref = json.loads(subprocess.run(
        ["/usr/bin/python3", os.path.join(root, "bench", "reference_predict.py"), "--images",
         images, "--model", model, "--probs", "--repeat", "1"],
        check=True, stdout=subprocess.PIPE, text=True).stdout)
    ours = subprocess.run([binary, "predict", "--model", model] + paths, check=True,
                          capture_output=True, text=True).stdout.splitlines()
assert len(ours) == 18, ours
worst, compared = 0.0, 0
for line in ours:
    r = json.loads(line)
    if "probabilities" not in r:  # refused as not a lesion: nothing to compare
        continue
    compared += 1
    expected = ref["probabilities"][os.path.basename(r["image"])]
    for code, p in r["probabilities"].items():
        worst = max(worst, abs(p - expected[code]))
print(f"largest probability difference over {compared} images x 7 classes: {worst:.2e}")
if compared < 9:
    sys.exit(f"only {compared} of 18 images were screened")
if worst > 1e-3:
    sys.exit("C++ and PyTorch reference disagree by more than 1e-3")
