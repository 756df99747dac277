#!/usr/bin/env python3
"""DuckDB on the same exports kpi-close ingests, for BENCHMARKS.md's ingest comparison.

Three figures, each over the same export files, in this process (peak RSS from getrusage):
  plain      every CSV / JSON-lines export read and written to Parquet as it is (COPY … TO … parquet),
             a COPY per file;
  plain web  the web events — nearly all the bytes — in one COPY of every file (DuckDB's parallel
             multi-file CSV reader at its best);
  same-work  the web events — nearly all the bytes — as kpi-close ingests them: typed columns, the
             month of each event in the company timezone, the newest export's rows per event id
             (rank over the exports), written as one Parquet file per month.
Prints one line per figure: seconds, MB/s of exports, peak RSS.

  bench_ingest_duckdb.py --exports DIR --out DIR [--threads N] [--memory-limit 1GiB] [--timezone Asia/Shanghai]
"""
import argparse
import glob
import os
import resource
import shutil
import time

import duckdb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exports", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--memory-limit", default="1GiB")
    ap.add_argument("--timezone", default="Asia/Shanghai")
    args = ap.parse_args()
    texts = sorted(glob.glob(f"{args.exports}/**/*.csv", recursive=True) + glob.glob(f"{args.exports}/**/*.jsonl", recursive=True))
    web = sorted(glob.glob(f"{args.exports}/web/*.csv"))
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(f"{args.out}/plain")
    texts = [utf8(path, f"{args.out}/utf8") for path in texts]
    spill = f"{args.out}/spill"
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}; SET memory_limit = '{args.memory_limit}'; SET temp_directory = '{spill}'")
    con.execute(f"SET TimeZone = '{args.timezone}'")

    size = sum(os.path.getsize(f) for f in texts)  # of the transcoded copies: a few bytes more
    start = time.time()
    for i, path in enumerate(texts):
        reader = "read_json_auto" if path.endswith(".jsonl") else "read_csv_auto"
        con.execute(f"COPY (SELECT * FROM {reader}('{path}')) TO '{args.out}/plain/{i}.parquet' (FORMAT parquet)")
    seconds = time.time() - start
    print(f"duckdb plain      {seconds:8.1f} s  {size / 1e6 / seconds:7.1f} MB/s  {size / 1e6:8.1f} MB  "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MiB")

    size = sum(os.path.getsize(f) for f in web)
    files = ", ".join(f"'{f}'" for f in web)
    start = time.time()
    con.execute(f"COPY (SELECT * FROM read_csv([{files}])) TO '{args.out}/plain-web.parquet' (FORMAT parquet)")
    seconds = time.time() - start
    print(f"duckdb plain web  {seconds:8.1f} s  {size / 1e6 / seconds:7.1f} MB/s  {size / 1e6:8.1f} MB  "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MiB (web events, one COPY)")

    start = time.time()
    con.execute(f"""
        COPY (
            SELECT * EXCLUDE (newest)
            FROM (
                SELECT *, strftime(event_time, '%Y-%m') AS month,
                       rank() OVER (PARTITION BY event_id ORDER BY filename DESC) AS newest
                FROM read_csv([{files}], filename = true, header = true, columns = {{
                    'event_id': 'VARCHAR', 'event_time': 'TIMESTAMPTZ', 'event_type': 'VARCHAR',
                    'visitor_id': 'VARCHAR', 'session_id': 'VARCHAR', 'campaign_id': 'VARCHAR',
                    'channel': 'VARCHAR', 'page': 'VARCHAR', 'ip': 'VARCHAR', 'user_agent': 'VARCHAR',
                    'duration_ms': 'BIGINT', 'lead_id': 'VARCHAR'}})
            )
            WHERE newest = 1
        ) TO '{args.out}/same-work' (FORMAT parquet, PARTITION_BY (month))
    """)
    seconds = time.time() - start
    print(f"duckdb same-work  {seconds:8.1f} s  {size / 1e6 / seconds:7.1f} MB/s  {size / 1e6:8.1f} MB  "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MiB (web events)")


def utf8(path, scratch):
    """The path itself when it is UTF-8; otherwise a UTF-8 copy of the GB18030 text (DuckDB reads
    UTF-8 only; the org chart is exported in GBK). Made before the clock starts: these are the few
    small reference files, and kpi-close's time includes its own transcoding."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        raw.decode("utf-8")
        return path
    except UnicodeDecodeError:
        os.makedirs(scratch, exist_ok=True)
        copy = os.path.join(scratch, os.path.basename(path))
        with open(copy, "w", encoding="utf-8") as f:
            f.write(raw.decode("gb18030"))
        return copy


if __name__ == "__main__":
    main()
