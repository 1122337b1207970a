#!/usr/bin/env bash
# Long local fuzzing (docs/security.md): each harness for SECONDS (default 600) from its seed
# corpus, in a scratch corpus under build-fuzz/long/. Prints each harness's final stats and
# exits non-zero if any harness found a crash (its reproducer is left in build-fuzz/long/).
# Usage: tests/fuzz/run-long.sh [SECONDS] [HARNESS...]   (after cmake --build --preset fuzz)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-600}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(upload http csv twilio fields)
status=0
for h in "${harnesses[@]}"; do
  work="build-fuzz/long/$h"
  mkdir -p "$work/corpus"
  dict=()
  [ -f "tests/fuzz/$h.dict" ] && dict=(-dict="tests/fuzz/$h.dict")
  echo "== fuzz_$h for ${secs}s ($(date -u +%FT%TZ))"
  if ! "build-fuzz/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "${dict[@]}" -artifact_prefix="$work/crash-" \
      "$work/corpus" "tests/fuzz/corpus/$h" > "$work/log.txt" 2>&1; then
    echo "fuzz_$h: FOUND A CRASH (see $work/log.txt)"
    status=1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb|new_units_added)|Done [0-9]+ runs" "$work/log.txt" || true
  grep -E "cov: [0-9]+" "$work/log.txt" | tail -1 || true
done
exit $status
