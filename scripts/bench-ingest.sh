#!/usr/bin/env bash
# The ingest benchmark of BENCHMARKS.md, in one run on the same exports (the benchmark company's
# year at --scale S, plain CSV and JSON lines):
#   1. kpi-close ingest from an empty lake, timed with its peak resident memory (/usr/bin/time -v);
#   2. kpi-close ingest again with nothing changed (it reads no export: size, time and inode match),
#      and a new month arriving: a lake of the year without December, then December's exports added;
#   3. DuckDB converting every export to Parquet as it is ("plain": a COPY per file; "plain web": the
#      web events in one COPY), and doing kpi-close's work on the
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
. scripts/bench-env.sh
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
        END { rate = s < 0.1 ? "—" : sprintf("%.1f", bytes / 1e6 / s)  # nothing read: no rate
              printf "%-17s %8.2f s  %7s MB/s  %8.1f MB  %6.0f MiB\n", name, s, rate, bytes / 1e6, rss }' "$dir/$name.err"
}

echo "kpi-close $("$bin" --version | awk '{print $2}'), year scale $scale, engine.memory_limit $memory, $(nproc) cores"
rm -rf "$dir/lake"
sync
measure "kpi-close ingest" "$bin" ingest --config "$dir/kpi-close.toml" | tee "$dir/ours.txt"
measure "kpi-close again" "$bin" ingest --config "$dir/kpi-close.toml"
# A new month arriving: the same exports without the year's last month (links, not copies) ingested
# into a lake of their own, then December's exports added and ingested again; the lake objects that
# second ingest wrote are counted.
rm -rf "$dir/inc" "$dir/lake-inc"
cp -al "$dir/exports" "$dir/inc"
mkdir -p "$dir/december"
find "$dir/inc" -name '*2025-12.*' -exec mv {} "$dir/december/" \;
sed -e "s#$dir/exports/#$dir/inc/#g" -e "s#url = \"$dir/lake\"#url = \"$dir/lake-inc\"#" "$dir/kpi-close.toml" > "$dir/kpi-inc.toml"
"$bin" ingest --config "$dir/kpi-inc.toml" > "$dir/inc.out" 2>&1
all_bytes=$bytes
bytes=$(find "$dir/december" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')  # its MB/s: of December's
for f in "$dir"/december/*; do
    case $f in */web_*) to=web ;; */leads_*) to=crm ;; */orders_*) to=shop ;; *) to=app ;; esac
    mv "$f" "$dir/inc/$to/"
done
touch "$dir/inc.mark"
sleep 1
measure "kpi-close +1 month" "$bin" ingest --config "$dir/kpi-inc.toml" | tee "$dir/inc.txt"
bytes=$all_bytes
awk 'FILENAME ~ /ours/ { full = $3 } FILENAME ~ /inc/ { inc = $4 }
     END { printf "  the +1 month ingest took %.2f of the full ingest'"'"'s time\n", inc / full }' "$dir/ours.txt" "$dir/inc.txt"
echo "  the +1 month ingest wrote $(find "$dir/lake-inc" -type f -newer "$dir/inc.mark" | grep -c '\.parquet$') of" \
     "$(find "$dir/lake-inc" -type f -name '*.parquet' | wc -l) Parquet objects in the lake:" \
     "$(find "$dir/lake-inc" -type f -newer "$dir/inc.mark" -name '*.parquet' | sed -e "s#$dir/lake-inc/##" -e 's#/part-[0-9]*.parquet##' | sort | uniq -c | awk '{ printf "%s%s", sep, $2; sep = ", " }')"
"$venv/bin/python" scripts/bench_ingest_duckdb.py --exports "$dir/exports" --out "$dir/duckdb" \
    --threads "$(nproc)" --memory-limit "$memory" | tee "$dir/duckdb.txt"
awk 'FNR == 1 && FILENAME ~ /ours/ { ours = $5 } /duckdb plain  / { plain = $5 } /duckdb plain web/ { web = $6 }
     /duckdb same-work/ { same = $5 }
     END { printf "ratio: kpi-close / DuckDB plain %.2f×, / DuckDB plain web (one COPY) %.2f×, / DuckDB same-work (web events) %.2f×\n",
                  ours / plain, ours / web, ours / same }' \
    "$dir/ours.txt" "$dir/duckdb.txt"
