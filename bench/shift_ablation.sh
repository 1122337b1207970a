#!/usr/bin/env bash
# Scores the runs of a cross-validated ablation (bench/cv_ablation.sh) under the fixed
# acquisition-shift suite (src/train/acquisition_shift.h) and prints one row per recipe.
#   bench/shift_ablation.sh OUT "FOLDS" NAME [NAME ...]
#   e.g. bench/shift_ablation.sh /tmp/cv "1 2" base sog
# For each OUT/<name>-f<K> (a finished run) it runs, once, `skinscan evaluate --model RUN
# --split OUT/fold<K>.json --part val --shift all --bootstrap 0` into OUT/<name>-f<K>-shift.json
# (the Markdown table of every shift beside it, .txt). Validation rows of the fold only; the
# reference split's test rows are never loaded. Row per recipe: two-fold (or n-fold) means of
# the clean images' accuracy, balanced accuracy and melanoma recall, and the same three as the
# mean over the shifts that lie outside --strong-augment ("shifted"), then the per-fold
# balanced accuracies (clean / shifted).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1 FOLDS=$2
shift 2
read -ra folds <<<"$FOLDS"
DATA=${SKINSCAN_SHARED_DATA:-../shared/data}/ham10000
BIN=${SKINSCAN_BIN:-build/skinscan}
for name in "$@"; do
  for k in "${folds[@]}"; do
    run="$OUT/$name-f$k"
    [ -f "$run/model.json" ] || { echo "shift_ablation: $run has no model.json" >&2; exit 2; }
    [ -s "$run-shift.json" ] && continue
    "$BIN" evaluate --model "$run" --data "$DATA" --split "$OUT/fold$k.json" --part val \
      --shift all --bootstrap 0 >"$run-shift.json.tmp" 2>"$run-shift.txt"
    mv "$run-shift.json.tmp" "$run-shift.json"
  done
done
printf '| recipe | clean accuracy | clean balanced | clean mel recall | shifted accuracy | shifted balanced | shifted mel recall | balanced per fold (clean / shifted) |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for name in "$@"; do
  /usr/bin/python3 - "$OUT" "$name" "${folds[@]}" <<'PY'
import json, sys
out, name, folds = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for k in folds:
    j = json.load(open(f"{out}/{name}-f{k}-shift.json"))
    clean = next(s for s in j["shifts"] if s["shift"] == "clean")
    m = j["mean_outside_strong_augment"]
    rows.append((clean["accuracy"], clean["balanced_accuracy"],
                 clean["per_class"]["mel"]["recall"], m["accuracy"], m["balanced_accuracy"],
                 m["mel_recall"]))
mean = [sum(r[i] for r in rows) / len(rows) for i in range(6)]
print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in mean) + " | " +
      ", ".join(f"{r[1]:.3f} / {r[4]:.3f}" for r in rows) + " |")
PY
done
