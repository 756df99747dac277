#!/usr/bin/env bash
# The year benchmark of BENCHMARKS.md: the benchmark company's 2025 (scale 1: 50 million
# web events, about a million leads, 200 thousand orders, 50 campaigns, 20 accounts, 500 people),
# closed in one run with the memory limit below the data's size:
#   1. `kpi-close bench-data --scale S` streams the exports to disk (plain CSV, JSON lines, Parquet);
#   2. `close --month 2025-12` — ingest, audit, the indicators, scorecards and flags of 2025-12,
#      2025-Q4, 2025-H2 and 2025, the reports (with the 13 trend months) and the mail to the outbox —
#      timed with its peak resident memory; the close's own record gives each stage's time;
#   3. the same indicator SQL in DuckDB on the same lake for 2025-12 and 2025 (scripts/bench_duckdb.py).
#
#   scripts/bench-year.sh [SCALE] [MEMORY_LIMIT]      defaults: 1, 1GiB
#
# Needs a release build (`cargo build --release`), Python 3 with venv, and /usr/bin/time
# (Debian: apt-get install time). Data goes to ${BENCH_DIR:-/tmp/kpi-close-bench}, never the repo;
# at scale 1 that is about 12 GB of exports and 3 GB of lake.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${1:-1}
memory=${2:-1GiB}
dir=${BENCH_DIR:-/tmp/kpi-close-bench}/year-$scale
. scripts/bench-env.sh

mkdir -p "$dir"
if [ ! -f "$dir/exports/.complete" ]; then
    start=$(date +%s)
    "$bin" bench-data --out "$dir" --scale "$scale" > "$dir/bench-data.out"
    echo "bench-data: $(( $(date +%s) - start )) s; $(tail -1 "$dir/bench-data.out")"
    touch "$dir/exports/.complete"
fi
rm -rf "$dir/lake" "$dir/out"
sed -e "s#\"fixtures/#\"$dir/#" -e "s#url = \"out/lake\"#url = \"$dir/lake\"#" \
    -e "s#memory_limit = \"2GiB\"#memory_limit = \"$memory\"#" kpi-close.toml > "$dir/kpi-close.toml"

echo "kpi-close $("$bin" --version | awk '{print $2}'), year scale $scale, engine.memory_limit $memory, $(nproc) cores"
du -sh --exclude=lake --exclude=out "$dir/exports" | awk '{print "exports: " $1}'
/usr/bin/time -v "$bin" close --month 2025-12 --config "$dir/kpi-close.toml" > "$dir/close.out" 2> "$dir/close.err" \
    || { tail -30 "$dir/close.err" >&2; exit 1; }
tail -1 "$dir/close.out"
awk -F': ' '/Elapsed \(wall clock\)/ { print "close wall clock: " $2 } /Maximum resident set size/ { printf "close peak RSS: %.0f MiB\n", $2 / 1024 }' "$dir/close.err"
du -sh "$dir/lake/data" | awk '{print "lake data: " $1}'
grep -E "^Parsed" "$dir/close.out" || true
"$bin" runs --format json --config "$dir/kpi-close.toml" | "$venv/bin/python" -c '
import json, sys
run = json.load(sys.stdin)[-1]
for s in run["stages"]:
    print("  %-24s %8.1f s" % (s["name"], s["seconds"]))'
echo "indicator SQL alone (from the close's log):"
grep -h "Indicators computed" "$dir/close.err" | sed -e 's/.*kpis{period=\([^}]*\)}.*elapsed_ms=\([0-9]*\).*/  kpi-close \1: \2 ms/'
echo "DuckDB on the same files:"
"$venv/bin/python" scripts/bench_duckdb.py --lake "$dir/lake" --period 2025-12 --period 2025 --threads "$(nproc)" --memory-limit "$memory"
