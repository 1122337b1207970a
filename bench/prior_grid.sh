#!/usr/bin/env bash
# Validation scores of one trained model directory across prior adjustments (issue 13): how
# much of the training class prior a (softmax((logits + a * log_prior) / T)) is worth adding
# back, beside the a the run chose. The network, temperature and operating point are the
# model's own; only calibration.prior_adjustment changes, in a scratch copy (weights linked).
# Scores the split's VALIDATION part only, never its test part.
#   bench/prior_grid.sh MODEL_DIR SPLIT_JSON "A1 A2 ..."
#   e.g. bench/prior_grid.sh /work/cv/s96nat40-f1 /work/cv/fold1.json "-1 -0.75 -0.5 -0.25 0"
# Prints one row per a: accuracy, balanced accuracy, melanoma recall, macro AUC, ECE (at the
# model's temperature, not refitted for a).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$1 SPLIT=$2 GRID=$3
DATA=${SKINSCAN_SHARED_DATA:-../shared/data}/ham10000
BIN=${SKINSCAN_BIN:-build/skinscan}
read -ra grid <<<"$GRID"
[ -f "$MODEL/model.json" ] || { echo "prior_grid.sh: $MODEL holds no model.json" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for f in "$MODEL"/*; do ln -s "$(realpath "$f")" "$scratch/"; done
printf '| a | val accuracy | val balanced accuracy | val mel recall | val AUC macro | val ECE |\n'
printf '|---|---|---|---|---|---|\n'
for a in "${grid[@]}"; do
  rm "$scratch/model.json"
  /usr/bin/python3 - "$MODEL/model.json" "$scratch/model.json" "$a" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["calibration"]["prior_adjustment"] = float(sys.argv[3])
json.dump(m, open(sys.argv[2], "w"), indent=2)
PY
  "$BIN" evaluate --model "$scratch" --data "$DATA" --split "$SPLIT" --part val --bootstrap 1 \
    >"$scratch/eval.json" 2>"$scratch/eval.log" || { cat "$scratch/eval.log" >&2; exit 1; }
  /usr/bin/python3 - "$scratch/eval.json" "$a" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print(f"| {float(sys.argv[2]):+.2f} | {e['accuracy']:.3f} | {e['balanced_accuracy']:.3f} | "
      f"{e['per_class']['mel']['recall']:.3f} | {e['auc_ovr']['macro']:.3f} | {e['ece']:.3f} |")
PY
done
