#!/usr/bin/env bash
# Cross-validated recipe ablation (issue 13). Selection never looks at the test rows: each
# fold's split (`skinscan split --cv-fold K/N`) makes one lesion-grouped, class-stratified
# fifth of the reference split's TRAIN rows the validation part and EXCLUDES the test rows
# (never loaded, never scored). Every recipe is trained on the same folds with the same
# seed and short budget; two runs at a time, one thread each (2-core machine).
#   bench/cv_ablation.sh OUT EPOCHS "FOLDS" NAME="FLAGS" [NAME="FLAGS" ...]
#   e.g. bench/cv_ablation.sh /tmp/cv 3 "1 2" base="" sog="--colour-constancy shades-of-gray"
# Every run uses --balance oversample --weight-decay 0.05 --seed 1 on resnet-s; FLAGS may
# name another --arch or --balance (the others may not be given twice). An interrupted run
# resumes. Prints one row per recipe: validation accuracy, balanced accuracy, melanoma
# recall, macro AUC and ECE (after temperature), mean over folds, and the folds' individual
# balanced accuracies; an average-last recipe gets a second row, its runs' last-epoch
# networks after their own choices (what `last` ships from the same trajectory). Results
# stay in OUT/<name>-f<K>/model.json.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1 EPOCHS=$2 FOLDS=$3
shift 3
read -ra folds <<<"$FOLDS"
DATA=${SKINSCAN_SHARED_DATA:-../shared/data}/ham10000
BIN=${SKINSCAN_BIN:-build/skinscan}
JOBS=${SKINSCAN_JOBS:-2}
mkdir -p "$OUT"
for k in "${folds[@]}"; do
  [ -f "$OUT/fold$k.json" ] || "$BIN" split --data "$DATA" --from "$DATA/reference_split.csv" \
    --cv-fold "$k/5" --seed 13 --out "$OUT/fold$k.json" >/dev/null
done
names=()
run() {  # name fold flags...
  local name=$1 k=$2
  shift 2
  local dir="$OUT/$name-f$k"
  [ -f "$dir/model.json" ] && return 0
  local arch=(--arch resnet-s) balance=(--balance oversample)
  [[ " $* " == *" --arch "* ]] && arch=()
  [[ " $* " == *" --balance "* ]] && balance=()
  # A run interrupted by a stop continues from its last finished epoch.
  local resume=()
  [ -f "$dir/checkpoint/state.json" ] && resume=(--resume)
  "$BIN" train --data "$DATA" --split "$OUT/fold$k.json" --out "$dir" "${arch[@]}" "${balance[@]}" \
    "${resume[@]}" --weight-decay 0.05 --seed 1 --threads 1 --epochs "$EPOCHS" \
    --version "cv-$name-f$k" "$@" >"$OUT/$name-f$k.log" 2>&1
}
for spec in "$@"; do
  name=${spec%%=*}
  flags=${spec#*=}
  names+=("$name")
  read -ra flag_words <<<"$flags"
  for k in "${folds[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    run "$name" "$k" "${flag_words[@]}" &
  done
done
wait
printf '| recipe | val accuracy | val balanced accuracy | val mel recall | val AUC macro | val ECE | balanced per fold |\n'
printf '|---|---|---|---|---|---|---|\n'
for name in "${names[@]}"; do
  /usr/bin/python3 - "$OUT" "$name" "${folds[@]}" <<'PY'
import json, sys
out, name, folds = sys.argv[1], sys.argv[2], sys.argv[3:]
def scores(v):
    return (v["accuracy"], v["balanced_accuracy"], v["per_class"]["mel"]["recall"],
            v["auc_ovr"]["macro"], v["ece"])
def row(label, rows):
    mean = [sum(r[i] for r in rows) / len(rows) for i in range(5)]
    print(f"| {label} | " + " | ".join(f"{m:.3f}" for m in mean) + " | " +
          ", ".join(f"{r[1]:.3f}" for r in rows) + " |")
models = [json.load(open(f"{out}/{name}-f{k}/model.json")) for k in folds]
row(name, [scores(m["metrics"]["validation"]) for m in models])
# An average-last run also records what `last` ships from the same trajectory.
last = [m["training"].get("averaged_weights", {}).get("last_epoch_choices") for m in models]
if all(last):
    row(f"{name}, its last epoch", [scores(c["validation"]) for c in last])
PY
done
