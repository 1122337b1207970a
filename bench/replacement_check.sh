#!/usr/bin/env bash
# Does a retrained model directory replace models/default? The rule of docs/benchmarks.md
# ("Recipe ablation" -> "Session 8", "Next candidate"), checked from the two model.json files
# and one latency run; prints one line per criterion and exits 0 only if all hold.
#   bench/replacement_check.sh CANDIDATE_DIR [SHIPPED_DIR=models/default]
# (i)   validation (the reference split's slice): accuracy + balanced accuracy above the
#       shipped model's, and each no more than 0.02 below it;
# (ii)  `skinscan bench predict` median under 10 ms (1 thread, the nine full-size samples);
# (iii) not-a-lesion false rejections of the test rows (both checks) under 2%;
# (iv)  release gate on the test rows: every target the shipped model meets stays met
#       (accuracy >= 0.72, balanced accuracy >= 0.65, melanoma recall >= 0.75, ECE <= 0.05).
# The test rows only gate the release: a failing candidate is not swapped for another one
# picked by its test figures.
set -euo pipefail
cd "$(dirname "$0")/.."
CAND=$1 SHIPPED=${2:-models/default}
BIN=${SKINSCAN_BIN:-build/skinscan}
SAMPLES=${SKINSCAN_SHARED_DATA:-../shared/data}/full-size-samples
MS=$("$BIN" bench predict --images "$SAMPLES" --model "$CAND" --repeat 10 2>/dev/null |
  /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["median_ms"])')
/usr/bin/python3 - "$CAND" "$SHIPPED" "$MS" <<'PY'
import json, sys
cand, shipped, ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
c, s = (json.load(open(f"{d}/model.json")) for d in (cand, shipped))
cv, sv = c["metrics"]["validation"], s["metrics"]["validation"]
ct = c["metrics"]["test"]
rows = [
    ("(i) val accuracy + balanced above shipped",
     f'{cv["accuracy"] + cv["balanced_accuracy"]:.4f} vs {sv["accuracy"] + sv["balanced_accuracy"]:.4f}',
     cv["accuracy"] + cv["balanced_accuracy"] > sv["accuracy"] + sv["balanced_accuracy"]),
    ("(i) val accuracy >= shipped - 0.02", f'{cv["accuracy"]:.4f} vs {sv["accuracy"] - 0.02:.4f}',
     cv["accuracy"] >= sv["accuracy"] - 0.02),
    ("(i) val balanced >= shipped - 0.02",
     f'{cv["balanced_accuracy"]:.4f} vs {sv["balanced_accuracy"] - 0.02:.4f}',
     cv["balanced_accuracy"] >= sv["balanced_accuracy"] - 0.02),
    ("(ii) median ms < 10", f"{ms:.2f}", ms < 10),
    ("(iii) test false rejections < 2%",
     f'{c["lesion_detector"]["test_false_rejection_with_photo_check"]:.4f}',
     c["lesion_detector"]["test_false_rejection_with_photo_check"] < 0.02),
    ("(iv) test accuracy >= 0.72", f'{ct["accuracy"]:.4f}', ct["accuracy"] >= 0.72),
    ("(iv) test balanced >= 0.65", f'{ct["balanced_accuracy"]:.4f}', ct["balanced_accuracy"] >= 0.65),
    ("(iv) test melanoma recall >= 0.75", f'{ct["per_class"]["mel"]["recall"]:.4f}',
     ct["per_class"]["mel"]["recall"] >= 0.75),
    ("(iv) test ECE <= 0.05", f'{ct["ece"]:.4f}', ct["ece"] <= 0.05),
]
for name, value, ok in rows:
    print(f'{"pass" if ok else "FAIL"}  {name}: {value}')
ok = all(r[2] for r in rows)
print("replace" if ok else "keep the shipped model")
sys.exit(0 if ok else 1)
PY
