#!/usr/bin/env bash
# The figures of docs/seed-migration.md: imports the seed app's Keras model under both
# preprocessing recipes, scores it on the reference split's test rows before and after
# `skinscan calibrate`, next to the shipped model. Benchmark, not a test.
#   bench/seed_migration.sh OUT_DIR [MODEL.h5]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1
H5=${2:-../shared/seed-app/best_model.h5}
DATA=${SKINSCAN_SHARED_DATA:-../shared/data}/ham10000
mkdir -p "$OUT"
[ -f "$OUT/split.json" ] || build/skinscan split --data "$DATA" --from "$DATA/reference_split.csv" --out "$OUT/split.json"
score() {  # model dir, row name
  build/skinscan evaluate --model "$1" --data "$DATA" --split "$OUT/split.json" 2>/dev/null |
    /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
a, b = j["accuracy_ci95"], j["balanced_accuracy_ci95"]
nv = sum(row[j["class_order"].index("nv")] for row in j["confusion_matrix"])
print("| %s | %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] | %.3f | %.3f | %d/%d |" % (
    sys.argv[1], j["accuracy"], a[0], a[1], j["balanced_accuracy"], b[0], b[1],
    j["per_class"]["mel"]["recall"], j["ece"], nv, j["n"]))' "$2"
}
echo "| model | accuracy [95% CI] | balanced accuracy [95% CI] | melanoma recall | ECE | predicted nv |"
echo "|---|---|---|---|---|---|"
for recipe in seed-trained seed-served; do
  rm -rf "$OUT/$recipe"
  build/skinscan import keras "$H5" --out "$OUT/$recipe" --preprocess "$recipe" >/dev/null 2>&1
  score "$OUT/$recipe" "seed model, $recipe, uncalibrated"
  build/skinscan calibrate --model "$OUT/$recipe" --data "$DATA" --split "$OUT/split.json" \
    >"$OUT/$recipe-calibrate.txt" 2>/dev/null
  score "$OUT/$recipe" "seed model, $recipe, calibrated"
done
score models/default "SkinScan shipped model"
for recipe in seed-trained seed-served; do echo "$recipe: $(head -1 "$OUT/$recipe-calibrate.txt")"; done
