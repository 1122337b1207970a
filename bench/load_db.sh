#!/usr/bin/env bash
# Load benchmark of the storage backends (not a test; figures in docs/benchmarks.md): wrk
# POSTs screenings (a full-size sample JPEG, rate limiting off) for DURATION seconds against
#   1. one `skinscan serve` on SQLite,
#   2. one instance on PostgreSQL (scripts/cluster up 1, the instance's own port),
#   3. two instances on PostgreSQL behind nginx (scripts/cluster up 2, nginx's port),
# and reports screenings/s, p50/p99 latency, non-2xx/socket errors, and the database's size per
# 1,000 screenings (SQLite: the file with its WAL; PostgreSQL: pg_database_size).
#
# Usage: bench/load_db.sh [DURATION_S=15] [CONNECTIONS=4]
# Env: SKINSCAN_BIN (default build/skinscan), IMAGE (default a full-size sample).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
CONNECTIONS=${2:-4}
BIN=${SKINSCAN_BIN:-build/skinscan}
IMAGE=${IMAGE:-../shared/data/full-size-samples/ISIC_0024872.jpg}
command -v wrk >/dev/null || { echo "load_db.sh: wrk is not installed" >&2; exit 1; }
[ -x "$BIN" ] || { echo "load_db.sh: $BIN not built" >&2; exit 1; }

SCRATCH=$(mktemp -d)
SERVER_PID=""
export SKINSCAN_CLUSTER_DIR=$SCRATCH/cluster SKINSCAN_CLUSTER_PORT=0 SKINSCAN_RATE_LIMIT=0
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
  [ -f "$SKINSCAN_CLUSTER_DIR/pids" ] && scripts/cluster down >/dev/null
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# wrk's summary line for one run: "screenings/s p50 p99 errors".
run_wrk() {
  local out
  out=$(wrk -t"$(( CONNECTIONS < 2 ? CONNECTIONS : 2 ))" -c"$CONNECTIONS" -d"${DURATION}s" \
    --timeout 30s --latency -s bench/load_multipart.lua "$1/api/v1/screenings" -- "$IMAGE" screening)
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errs=$(sed -n 's/^errors: //p' <<<"$out")  # bench/load_multipart.lua's summary
  echo "$rps ${p50:-?} ${p99:-?} [${errs:-?}]"
}

printf '%-28s %s\n' "setup" "screenings/s p50 p99 errors | bytes per 1,000 screenings"

# 1. SQLite.
"$BIN" serve --port 0 --rate-limit 0 --db "$SCRATCH/bench.db" --data-dir "$SCRATCH/data" \
  >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" &
SERVER_PID=$!
URL=""
until [ -n "$URL" ]; do
  URL=$(sed -n 's/^SkinScan listening on //p' "$SCRATCH/stdout")
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SCRATCH/stderr" >&2; exit 1; }
  sleep 0.1
done
line=$(run_wrk "$URL")
n=$(sqlite3 "$SCRATCH/bench.db" "SELECT count(*) FROM screenings")
sqlite3 "$SCRATCH/bench.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
bytes=$(stat -c %s "$SCRATCH/bench.db")
printf '%-28s %s | %s (%s screenings)\n' "1 instance, SQLite" "$line" \
  "$(( n > 0 ? bytes * 1000 / n : 0 ))" "$n"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""

# 2 and 3. PostgreSQL, one instance direct, then two behind nginx.
pg_size() {
  local db
  db=$(cat "$SKINSCAN_CLUSTER_DIR/db")
  psql -qAt "$db" -c "SELECT count(*) FROM screenings" -c "SELECT pg_database_size(current_database())"
}
for n_inst in 1 2; do
  scripts/cluster up "$n_inst" >/dev/null
  if [ "$n_inst" = 1 ]; then
    target="http://127.0.0.1:$(awk '$1 == "node1" {print $3}' "$SKINSCAN_CLUSTER_DIR/pids")"
    label="1 instance, PostgreSQL"
  else
    target=$(cat "$SKINSCAN_CLUSTER_DIR/url")
    label="2 instances + nginx, PG"
  fi
  before=$(pg_size | tail -1)
  line=$(run_wrk "$target")
  read -r n after < <(pg_size | tr '\n' ' '; echo)
  printf '%-28s %s | %s (%s screenings, empty database %s)\n' "$label" "$line" \
    "$(( n > 0 ? (after - before) * 1000 / n : 0 ))" "$n" "$before"
  scripts/cluster down >/dev/null
done
