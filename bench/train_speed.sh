#!/usr/bin/env bash
# SkinScan's training step against eager PyTorch's, measured in interleaved rounds so that
# drift of a shared VM (seen at +-20% between minutes) falls on both sides alike.
# Benchmark, not a test; run it on an otherwise idle machine.
#   bench/train_speed.sh [ROUNDS=3] [ARCHS="resnet-s resnet-m"] [LAYOUTS="standard cl"]
# Each round runs, per architecture and layout, `build/train_bench` on that row (2 threads,
# wall-clock images/s) and then `bench/reference_train.py` with the same net, images and
# layout (2 threads, eager). Prints one Markdown row per (architecture, layout) with the
# median images/s of each side over the rounds, the per-round ratios and the median ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
ARCHS=${2:-"resnet-s resnet-m"}
LAYOUTS=${3:-"standard cl"}
SECONDS_PER_RUN=${SKINSCAN_SPEED_SECONDS:-20}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for round in $(seq "$ROUNDS"); do
  for arch in $ARCHS; do
    for layout in $LAYOUTS; do
      row=${arch//-/_}
      flag=""
      if [ "$layout" = cl ]; then row="${row}_cl"; flag="--channels-last"; fi
      ours=$(build/train_bench --benchmark_filter="^BM_TrainStep/$row/2/" --benchmark_format=json \
               2>/dev/null | /usr/bin/python3 -c \
               'import json,sys; print(json.load(sys.stdin)["benchmarks"][0]["items_per_second"])')
      theirs=$(/usr/bin/python3 bench/reference_train.py --arch "$arch" --threads 2 \
                 --seconds "$SECONDS_PER_RUN" $flag 2>/dev/null | tail -1 | /usr/bin/python3 -c \
                 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')
      echo "$arch $layout $round $ours $theirs" | tee -a "$LOG" >&2
    done
  done
done
/usr/bin/python3 - "$LOG" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    arch, layout, _, ours, theirs = line.split()
    rows.setdefault((arch, layout), []).append((float(ours), float(theirs)))
print("| architecture | layout | SkinScan img/s (median) | PyTorch eager img/s (median) | ratio per round | median ratio |")
print("|---|---|---|---|---|---|")
for (arch, layout), v in rows.items():
    ratios = [o / t for o, t in v]
    print(f"| {arch} | {layout} | {statistics.median(o for o, _ in v):.0f} | "
          f"{statistics.median(t for _, t in v):.0f} | {', '.join(f'{r:.2f}' for r in ratios)} | "
          f"**{statistics.median(ratios):.2f}x** |")
PY
