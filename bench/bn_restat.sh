#!/usr/bin/env bash
# Post-hoc BatchNorm re-estimate (bench/bn_restat.cc) of finished cross-validation runs:
# for each NAME and fold K, OUT/<NAME>-f<K> (bench/cv_ablation.sh) -> OUT/<NAME>-restat-f<K>,
# its statistics recomputed over one oversampled epoch with the default augmentation and its
# validation-only choices re-made. Score them beside the originals with
#   bench/shift_ablation.sh OUT "FOLDS" NAME NAME-restat ...
#   bench/bn_restat.sh OUT "FOLDS" NAME [NAME ...]
#   e.g. bench/bn_restat.sh /work/full "1 2" s96f32last colour
# Validation rows of each fold only; the reference split's test rows are never loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1 FOLDS=$2
shift 2
read -ra folds <<<"$FOLDS"
DATA=${SKINSCAN_SHARED_DATA:-../shared/data}/ham10000
BIN=${SKINSCAN_BN_RESTAT_BIN:-build/bn_restat}
for name in "$@"; do
  for k in "${folds[@]}"; do
    out="$OUT/$name-restat-f$k"
    [ -f "$out/model.json" ] && continue
    rm -rf "$out.tmp"
    "$BIN" "$OUT/$name-f$k" "$DATA" "$OUT/fold$k.json" "$out.tmp" >"$out.log"
    mv "$out.tmp" "$out"
  done
done
