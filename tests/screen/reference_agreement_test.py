#!/usr/bin/python3
"""SkinScan's C++ predict path agrees with the PyTorch-eager reference (bench/
reference_predict.py) on the nine full-size samples: every calibrated probability within
1e-3. Usage: reference_agreement_test.py SKINSCAN_BINARY SHARED_DATA_DIR MODEL_DIR"""
import json
import os
import subprocess
import sys

binary, shared, model = sys.argv[1:4]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
images = os.path.join(shared, "full-size-samples")
paths = sorted(os.path.join(images, f) for f in os.listdir(images))
assert len(paths) == 9, paths
ref = json.loads(subprocess.run(
    ["/usr/bin/python3", os.path.join(root, "bench", "reference_predict.py"), "--images", images,
     "--model", model, "--probs", "--repeat", "1"], check=True, capture_output=True, text=True).stdout)
ours = subprocess.run([binary, "predict", "--model", model] + paths, check=True,
                      capture_output=True, text=True).stdout.splitlines()
assert len(ours) == 9, ours
worst = 0.0
for line in ours:
    r = json.loads(line)
    expected = ref["probabilities"][os.path.basename(r["image"])]
    for code, p in r["probabilities"].items():
        worst = max(worst, abs(p - expected[code]))
print(f"largest probability difference over 9 images x 7 classes: {worst:.2e}")
if worst > 1e-3:
    sys.exit("C++ and PyTorch reference disagree by more than 1e-3")
