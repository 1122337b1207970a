#!/usr/bin/env bash
# Trains one model per (architecture, imbalance method) on the reference split and prints a
# Markdown table of their honest test figures (from each model.json). Benchmark, not a test.
#   bench/compare_training.sh OUT_DIR "seed-cnn:30 resnet-s:20" "none oversample weighted logit-adjust"
# Oversampling grows an epoch to 7x the majority class, so its epoch count is divided by
# OVERSAMPLE_DIVISOR (default 4) to keep the number of optimisation steps comparable.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1
ARCHS=${2:-"seed-cnn:30 resnet-s:20"}
METHODS=${3:-"none oversample weighted logit-adjust"}
DATA=${SKINSCAN_SHARED_DATA:-../shared/data}/ham10000
mkdir -p "$OUT"
[ -f "$OUT/split.json" ] || build/skinscan split --data "$DATA" --from "$DATA/reference_split.csv" --out "$OUT/split.json"
for spec in $ARCHS; do
  arch=${spec%%:*}; epochs=${spec##*:}
  for m in $METHODS; do
    e=$epochs
    [ "$m" = oversample ] && e=$(( (epochs + ${OVERSAMPLE_DIVISOR:-4} - 1) / ${OVERSAMPLE_DIVISOR:-4} ))
    dir="$OUT/$arch-$m"
    [ -f "$dir/model.json" ] || build/skinscan train --data "$DATA" --split "$OUT/split.json" \
        --out "$dir" --arch "$arch" --epochs "$e" --balance "$m" --threads 2 --seed 1 >"$dir.log" 2>&1
  done
done
echo "| arch | balance | epochs | test accuracy [95% CI] | balanced accuracy [95% CI] | mel recall | macro F1 | AUC macro | ECE before/after | train img/s | wall min |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for dir in "$OUT"/*/; do
  [ -f "$dir/model.json" ] || continue
  /usr/bin/python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
j = json.load(open(d + "/model.json")); h = json.load(open(d + "/history.json"))
t = j["metrics"]["test"]; tr = j["training"]
ips = sum(e["images_per_second"] for e in h) / len(h)
print(f"| {j['arch']} | {tr['balance']} | {tr['epochs']} | {t['accuracy']:.3f} [{t['accuracy_ci95'][0]:.3f}, {t['accuracy_ci95'][1]:.3f}] "
      f"| {t['balanced_accuracy']:.3f} [{t['balanced_accuracy_ci95'][0]:.3f}, {t['balanced_accuracy_ci95'][1]:.3f}] "
      f"| {t['per_class']['mel']['recall']:.3f} | {t['macro_f1']:.3f} | {t['auc_ovr']['macro']:.3f} "
      f"| {t['ece_before_calibration']:.3f}/{t['ece_after_calibration']:.3f} | {ips:.0f} | {tr['wall_seconds']/60:.1f} |")
PY
done
