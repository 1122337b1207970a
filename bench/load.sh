#!/usr/bin/env bash
# Load benchmark of `skinscan serve` (not a test): wrk against POST /api/v1/classify and
# POST /api/v1/screenings with a full-size sample JPEG, ~15 s each. Reports requests/s,
# latency percentiles, errors and the server's peak RSS (VmHWM). Rate limiting is off and the
# database and images go to a scratch folder, removed afterwards.
#
# Usage: bench/load.sh [DURATION_S=15] [CONNECTIONS=4]
# Env: SKINSCAN_BIN (default build/skinscan), IMAGE (default a full-size sample), THREADS.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
CONNECTIONS=${2:-4}
BIN=${SKINSCAN_BIN:-build/skinscan}
IMAGE=${IMAGE:-../shared/data/full-size-samples/ISIC_0024872.jpg}
command -v wrk >/dev/null || { echo "load.sh: wrk is not installed" >&2; exit 1; }
[ -x "$BIN" ] || { echo "load.sh: $BIN not built" >&2; exit 1; }

SCRATCH=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

"$BIN" serve --port 0 --rate-limit 0 --db "$SCRATCH/bench.db" --data-dir "$SCRATCH/data" \
  ${THREADS:+--threads "$THREADS"} >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 600); do
  URL=$(sed -n 's/^SkinScan listening on //p' "$SCRATCH/stdout")
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SCRATCH/stderr" >&2; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "load.sh: server did not start" >&2; exit 1; }

echo "server: $URL (pid $SERVER_PID), $(nproc) cores, image $(basename "$IMAGE") $(stat -c %s "$IMAGE") bytes"
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)"
for mode in classify screening; do
  path=/api/v1/classify
  [ "$mode" = screening ] && path=/api/v1/screenings
  echo
  echo "== POST $path: ${DURATION}s, $CONNECTIONS connections"
  wrk -t"$(( CONNECTIONS < 2 ? CONNECTIONS : 2 ))" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 30s --latency \
    -s bench/load_multipart.lua "$URL$path" -- "$IMAGE" "$mode" |
    sed -n '/requests\/s:/,$p'
done
echo
echo "stored screenings: $(curl -s "$URL/api/v1/screenings" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')"
echo "peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' /proc/$SERVER_PID/status)"
