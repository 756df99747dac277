#!/usr/bin/env bash
# The ingest benchmark of BENCHMARKS.md, in one run on the same exports (the benchmark company's
# year at --scale S, plain CSV and JSON lines):
#   1. kpi-close ingest from an empty lake, timed with its peak resident memory (/usr/bin/time -v);
#   2. kpi-close ingest again with nothing changed (it reads no export: size, time and inode match);
#   3. DuckDB converting every export to Parquet as it is ("plain"), and doing kpi-close's work on the
#      web events ("same-work": typed, local month, newest export per key, a file per month)
#      (scripts/bench_ingest_duckdb.py);
# then MB/s of exports for each and the ratios.
#
#   scripts/bench-ingest.sh [SCALE] [MEMORY_LIMIT]      defaults: 0.02, 1GiB
#
# Needs a release build (`cargo build --release`), Python 3 with venv, /usr/bin/time. Data goes to
# ${BENCH_DIR:-/tmp/kpi-close-bench}, never the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${1:-0.02}
memory=${2:-1GiB}
dir=${BENCH_DIR:-/tmp/kpi-close-bench}/year-$scale
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/kpi-close
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
venv=${BENCH_VENV:-$target/bench-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q duckdb
fi
mkdir -p "$dir"
if [ ! -f "$dir/exports/.complete" ]; then
    "$bin" bench-data --out "$dir" --scale "$scale" > "$dir/bench-data.out"
    touch "$dir/exports/.complete"
fi
sed -e "s#\"fixtures/#\"$dir/#" -e "s#url = \"out/lake\"#url = \"$dir/lake\"#" \
    -e "s#memory_limit = \"2GiB\"#memory_limit = \"$memory\"#" kpi-close.toml > "$dir/kpi-close.toml"
bytes=$(find "$dir/exports" -type f \( -name '*.csv' -o -name '*.jsonl' -o -name '*.parquet' \) -printf '%s\n' | awk '{ s += $1 } END { print s }')

measure() { # name, then the command: prints seconds, MB/s of all exports, peak RSS
    local name=$1
    shift
    /usr/bin/time -v "$@" > "$dir/$name.out" 2> "$dir/$name.err" || { tail -20 "$dir/$name.err" >&2; exit 1; }
    awk -F': ' -v name="$name" -v bytes="$bytes" '
        /Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
        /Maximum resident set size/ { rss = $2 / 1024 }
        END { printf "%-17s %8.1f s  %7.1f MB/s  %8.1f MB  %6.0f MiB\n", name, s, bytes / 1e6 / s, bytes / 1e6, rss }' "$dir/$name.err"
}

echo "kpi-close $("$bin" --version | awk '{print $2}'), year scale $scale, engine.memory_limit $memory, $(nproc) cores"
rm -rf "$dir/lake"
sync
measure "kpi-close ingest" "$bin" ingest --config "$dir/kpi-close.toml" | tee "$dir/ours.txt"
measure "kpi-close again" "$bin" ingest --config "$dir/kpi-close.toml"
"$venv/bin/python" scripts/bench_ingest_duckdb.py --exports "$dir/exports" --out "$dir/duckdb" \
    --threads "$(nproc)" --memory-limit "$memory" | tee "$dir/duckdb.txt"
awk 'FNR == 1 && FILENAME ~ /ours/ { ours = $5 } /duckdb plain/ { plain = $5 } /duckdb same-work/ { same = $5 }
     END { printf "ratio: kpi-close / DuckDB plain %.2f×, kpi-close / DuckDB same-work (web events) %.2f×\n", ours / plain, ours / same }' \
    "$dir/ours.txt" "$dir/duckdb.txt"
