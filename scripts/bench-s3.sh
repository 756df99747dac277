#!/usr/bin/env bash
# The whole close of the demo company (or a larger one) on a lake on an S3-compatible server on
# loopback (moto), beside the same close on a local lake: wall time, peak memory, objects written.
#
#   scripts/bench-s3.sh [SCALE]        default 1 (the committed fixtures)
#
# Needs a release build (`cargo build --release`), Python 3 with venv, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${1:-1}
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/kpi-close
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
venv=${BENCH_VENV:-$target/bench-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
[ -x "$venv/bin/moto_server" ] || "$venv/bin/pip" install -q "moto[server]>=5,<6"

dir=${BENCH_DIR:-/tmp/kpi-close-bench}/s3-scale-$scale
mkdir -p "$dir"
exports=$PWD/fixtures
if [ "$scale" != 1 ]; then
    exports=${BENCH_DIR:-/tmp/kpi-close-bench}/scale-$scale/exports
    if [ ! -f "$exports/.complete" ]; then
        rm -rf "$exports"
        "$bin" demo-data --out "$exports" --scale "$scale" --uncompressed
        touch "$exports/.complete"
    fi
fi

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "$dir/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null' EXIT
"$venv/bin/python" - "$port" <<'EOF'
import sys, time, urllib.request
port = sys.argv[1]
for _ in range(100):
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/kpi-lake", method="PUT"))
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("moto did not start")
EOF
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1

config() {  # name, lake url, extra lake keys
    rm -rf "$dir/$1"
    mkdir -p "$dir/$1"
    sed -e "s#\"fixtures/#\"$exports/#" -e "s#url = \"out/lake\"#url = \"$2\"\\n$3#" \
        -e "s#\"out/outbox\"#\"$dir/$1/outbox\"#" kpi-close.toml > "$dir/$1/kpi-close.toml"
}
config local "$dir/local/lake" ""
config s3 "s3://kpi-lake/bench" "endpoint = \"http://127.0.0.1:$port\"\nallow_http = true"

echo "kpi-close $("$bin" --version | awk '{print $2}'), scale $scale, $(nproc) cores; S3: moto on 127.0.0.1:$port"
for lake in local s3; do
    /usr/bin/time -v "$bin" close --month 2026-10 --config "$dir/$lake/kpi-close.toml" \
        > "$dir/$lake/close.out" 2> "$dir/$lake/close.err" || { tail -20 "$dir/$lake/close.err" >&2; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$dir/$lake/close.err")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$dir/$lake/close.err")
    printf '%-6s close --month 2026-10: %6.1f s, peak RSS %s MiB\n' "$lake" "$wall" "$rss"
    tail -1 "$dir/$lake/close.out"
done
