# Sourced by the benchmark scripts (bench.sh, bench-year.sh, bench-ingest.sh): sets $bin, the release
# build of kpi-close, and $venv, a Python virtual environment with DuckDB (made when missing), or
# stops with what to do first.
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/kpi-close
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
venv=${BENCH_VENV:-$target/bench-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q duckdb
fi
