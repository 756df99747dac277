#!/usr/bin/env bash
# The scale benchmark of BENCHMARKS.md, on one machine, in one run:
#   1. the demo company at --scale N (analytics as plain CSV / JSON lines), written by demo-data;
#   2. ingest (exports -> lake), the audit, and the indicator stage for one month and for the year,
#      each timed with its peak resident memory (/usr/bin/time -v);
#   3. the same indicator SQL in DuckDB on the same Parquet files (scripts/bench_duckdb.py), with how
#      many of its net values differ from ours.
#
#   scripts/bench.sh [SCALE] [MEMORY_LIMIT]      defaults: 20, 2GiB
#
# Needs a release build (`cargo build --release`), Python 3 with venv, and /usr/bin/time
# (Debian: apt-get install time). Data goes to ${BENCH_DIR:-/tmp/kpi-close-bench}, never the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${1:-20}
memory=${2:-2GiB}
dir=${BENCH_DIR:-/tmp/kpi-close-bench}/scale-$scale
. scripts/bench-env.sh

if [ ! -f "$dir/exports/.complete" ]; then
    rm -rf "$dir/exports"
    "$bin" demo-data --out "$dir/exports" --scale "$scale" --uncompressed
    touch "$dir/exports/.complete"
fi
rm -rf "$dir/lake"
sed -e "s#\"fixtures/#\"$dir/exports/#" -e "s#url = \"out/lake\"#url = \"$dir/lake\"#" \
    -e "s#memory_limit = \"2GiB\"#memory_limit = \"$memory\"#" kpi-close.toml > "$dir/kpi-close.toml"

# One line per step: seconds, peak RSS in MiB.
measure() {
    local name=$1
    shift
    /usr/bin/time -v "$@" > "$dir/$name.out" 2> "$dir/$name.err" || { tail -20 "$dir/$name.err" >&2; exit 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$dir/$name.err")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$dir/$name.err")
    printf '%-22s %8.1f s %8s MiB\n' "$name" "$wall" "$rss"
}

echo "kpi-close $("$bin" --version | awk '{print $2}'), scale $scale, engine.memory_limit $memory, $(nproc) cores"
du -sh "$dir/exports" | awk '{print "exports: " $1}'
measure ingest "$bin" ingest --config "$dir/kpi-close.toml"
grep -E "^Parsed" "$dir/ingest.out" || true
du -sh "$dir/lake/data" | awk '{print "lake data: " $1}'
measure audit "$bin" audit --period 2026-10 --config "$dir/kpi-close.toml"
measure "kpis 2026-10" "$bin" kpis --period 2026-10 --format csv --config "$dir/kpi-close.toml"
measure "kpis 2025 (year)" "$bin" kpis --period 2025 --format csv --config "$dir/kpi-close.toml"
echo "indicator SQL alone (from the logs):"
grep -h "Indicators computed" "$dir/kpis 2026-10.err" "$dir/kpis 2025 (year).err" | sed -e 's/.*kpis{period=\([^}]*\)}.*elapsed_ms=\([0-9]*\).*/  kpi-close \1: \2 ms/'
echo "DuckDB on the same files:"
"$venv/bin/python" scripts/bench_duckdb.py --lake "$dir/lake" --period 2026-10 --period 2025 --threads "$(nproc)" --memory-limit "$memory"
