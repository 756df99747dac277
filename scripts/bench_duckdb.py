#!/usr/bin/env python3
"""Runs kpi-close's indicator SQL in DuckDB over the same lake, for BENCHMARKS.md.

The same files the close runs (sql/stg, sql/aud, sql/kpi), the same Parquet objects (data/ and the
exclusion ledger exclusions/month=*/), the same work: every indicator file for the period, the period before
and the period a year before over the audited (net) views, and for the period itself once more over
the unaudited (gross) views — what `kpi-close kpis --period P` runs before its mart and checks.
Parameters are the same values, written into the SQL as literals (DuckDB views take no parameters);
the one function of ours the SQL calls, local_date, is a DuckDB macro. What kpi-close computes once
per session is a table here: the files marked `-- materialize:`, and the web events' staging view
for the months a period reads.

    bench_duckdb.py --lake LAKE --period 2026-10 [--period 2026] [--timezone Asia/Shanghai]
                    [--company-id DEMO] [--currency CNY] [--threads 2] [--memory-limit 2GiB]

Prints one JSON object per period: seconds for the indicator queries, rows returned.
"""

import argparse
import datetime as dt
import json
import pathlib
import re
import shutil
import tempfile
import time
import zoneinfo

import duckdb

ROOT = pathlib.Path(__file__).resolve().parent.parent


def months_of(period):
    """The (year, month) pairs a period covers: 2026-10, 2026-Q4, 2026-H2 or 2026."""
    if re.fullmatch(r"\d{4}-\d{2}", period):
        year, month = map(int, period.split("-"))
        return [(year, month)]
    year = int(period[:4])
    if period[5:6] == "Q":
        first, n = (int(period[6]) - 1) * 3 + 1, 3
    elif period[5:6] == "H":
        first, n = (int(period[6]) - 1) * 6 + 1, 6
    else:
        first, n = 1, 12
    return [(year, first + i) for i in range(n)]


def shift(year, month, n):
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


def shifted(months, n):
    return [shift(y, m, n) for (y, m) in months]


def text(year, month):
    return f"{year:04d}-{month:02d}"


def params(months, tz, company_id, currency, margin_rate, lifetime):
    """The values engine::period_params and kpis::params give the SQL, as SQL literals."""
    zone = zoneinfo.ZoneInfo(tz)

    def start(year, month):
        local = dt.datetime(year, month, 1, tzinfo=zone)
        return local.astimezone(dt.timezone.utc)

    def instant(moment):
        return f"TIMESTAMPTZ '{moment.strftime('%Y-%m-%d %H:%M:%S')}+00'"

    def date(year, month):
        return f"DATE '{year:04d}-{month:02d}-01'"

    out = {
        "company_id": f"'{company_id}'",
        "currency": f"'{currency}'",
        "margin_rate": f"CAST({margin_rate} AS DECIMAL(38, 2))",
        "max_lifetime_years": f"CAST({lifetime} AS DOUBLE)",
    }
    length = len(months)
    for prefix, ms in [("", months), ("prev_", shifted(months, -length)), ("yoy_", shifted(months, -12))]:
        first, last = ms[0], ms[-1]
        after = shift(*last, 1)
        out[f"{prefix}start_at"] = instant(start(*first))
        out[f"{prefix}end_at"] = instant(start(*after))
        out[f"{prefix}start_date"] = date(*first)
        out[f"{prefix}end_date"] = date(*after)
        out[f"{prefix}month_from"] = f"'{text(*first)}'"
        out[f"{prefix}month_to"] = f"'{text(*after)}'"
    for prefix, back in [("ttm_", 11), ("prior_ttm_", 23)]:
        first = shift(*months[-1], -back)
        out[f"{prefix}start_at"] = instant(start(*first))
        out[f"{prefix}month_from"] = f"'{text(*first)}'"
    return out


def bind(sql, values):
    """The SQL with every $parameter replaced by its literal; comments dropped."""
    sql = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return re.sub(r"\$([a-z_]+)", lambda m: values[m.group(1)], sql)


def sql_files(layer):
    """The layer's files in the order src/sql/mod.rs lists them (staging views read earlier ones)."""
    listing = (ROOT / "src/sql/mod.rs").read_text()
    match = re.search(r'sql_files!\("%s":(.*?)\);' % layer, listing, re.S)
    names = [n.strip() for n in match.group(1).replace("\n", " ").split(",") if n.strip()]
    return [(n, (ROOT / "sql" / layer / f"{n}.sql").read_text()) for n in names]


def register_lake(con, lake):
    for folder in sorted((lake / "data").iterdir()):
        files = sorted(folder.glob("month=*/*.parquet"))
        if files:
            source = f"read_parquet('{folder}/month=*/*.parquet', hive_partitioning = true, hive_types = {{'month': VARCHAR}})"
        elif list(folder.glob("*.parquet")):
            source = f"read_parquet('{folder}/*.parquet')"
        else:
            continue
        con.execute(f'CREATE OR REPLACE VIEW "{folder.name}" AS SELECT * FROM {source}')
    # One object per month and rule (exclusions/month=M/RULE.parquet); its columns as kpi-close reads them.
    ledger = sorted((lake / "exclusions").glob("month=*/*.parquet"))
    files = ", ".join(f"'{p}'" for p in ledger)
    source = f"read_parquet([{files}], union_by_name = true, hive_partitioning = false)" if ledger else (
        "(SELECT NULL::VARCHAR AS dataset, NULL::VARCHAR AS record_key, NULL::VARCHAR AS period, "
        "NULL::VARCHAR AS rule_id, NULL::VARCHAR AS rule_version, NULL::VARCHAR AS detail WHERE false)"
    )
    con.execute(f"CREATE OR REPLACE VIEW exclusions_ledger AS SELECT * FROM {source}")


def compare(con, lake, period, results):
    """How many net values DuckDB computed differ from the indicators kpi-close stored for the period
    (relative difference above 1e-9); None when the lake has no indicators for it."""
    stored = lake / f"indicators/period={period}/part-0.parquet"
    if not stored.exists():
        return None
    table = {
        (kpi, grain, entity): value
        for kpi, grain, entity, value in con.execute(
            f"SELECT kpi, grain, entity_id, value FROM read_parquet('{stored}')"
        ).fetchall()
    }
    differ = 0
    for kpi, grain, entity, value in results:
        theirs = table.get((kpi, grain, entity))
        if value is None and theirs is None:
            continue
        if value is None or theirs is None or abs(float(value) - theirs) > 1e-9 * max(1.0, abs(theirs)):
            differ += 1
    return differ


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lake", required=True, type=pathlib.Path)
    ap.add_argument("--period", action="append", required=True)
    ap.add_argument("--timezone", default="Asia/Shanghai")
    ap.add_argument("--company-id", default="DEMO")
    ap.add_argument("--currency", default="CNY")
    ap.add_argument("--margin-rate", default="0.30")
    ap.add_argument("--max-lifetime-years", default="5")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GiB")
    args = ap.parse_args()

    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    # DuckDB spills to ./.tmp by default: into the repository when run from it. A folder of its own.
    spill = tempfile.mkdtemp(prefix="kpi-close-duckdb-")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute(f"SET TimeZone = 'UTC'")
    con.execute(f"CREATE MACRO local_date(ts) AS CAST(timezone('{args.timezone}', ts) AS DATE)")
    register_lake(con, args.lake.resolve())
    try:
        run(con, args)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def run(con, args):
    indicators = sql_files("kpi")
    for period in args.period:
        months = months_of(period)
        started = time.perf_counter()
        rows = 0
        queries = 0
        ours = []
        # As kpi-close does for a period: the web events' staging view computed once, for the months
        # the period, the one before and the one a year before read (net and gross alike).
        spans = [shifted(months, back) for back in [0, -len(months), -12]]
        web_months = " OR ".join(
            f"(month >= '{text(*ms[0])}' AND month < '{text(*shift(*ms[-1], 1))}')" for ms in spans
        )
        web_cached = False
        for scope in ["net", "gross"]:
            ledger = "SELECT * FROM exclusions_ledger" + (" WHERE false" if scope == "gross" else "")
            con.execute(f"CREATE OR REPLACE VIEW exclusions AS {ledger}")
            roles = [0, -len(months), -12] if scope == "net" else [0]
            for back in roles:
                values = params(
                    shifted(months, back),
                    args.timezone,
                    args.company_id,
                    args.currency,
                    args.margin_rate,
                    args.max_lifetime_years,
                )
                # Views are bound when queried: re-created per period, as the close re-plans them.
                # A file marked `-- materialize:` is a table here as it is in the close.
                for layer in ["stg", "aud"]:
                    for name, sql in sql_files(layer):
                        if name == "stg_web_events":
                            if not web_cached:
                                con.execute(
                                    f"CREATE OR REPLACE TABLE stg_web_events AS "
                                    f"SELECT * FROM ({bind(sql, values)}) AS s WHERE {web_months}"
                                )
                                web_cached = True
                            continue
                        kind = "TABLE" if re.search(r"^-- materialize:", sql, re.M) else "VIEW"
                        con.execute(f'CREATE OR REPLACE {kind} "{name}" AS {bind(sql, values)}')
                for name, sql in indicators:
                    result = con.execute(bind(sql, values)).fetchall()
                    rows += len(result)
                    queries += 1
                    if scope == "net" and back == 0:
                        ours.extend((name, r[0], r[1], r[4]) for r in result)
        seconds = time.perf_counter() - started
        differ = compare(con, args.lake.resolve(), period, ours)
        print(
            json.dumps(
                {
                    "engine": f"DuckDB {duckdb.__version__}",
                    "period": period,
                    "queries": queries,
                    "rows": rows,
                    "seconds": round(seconds, 3),
                    "net_values_compared": len(ours),
                    "differ_from_kpi_close": differ,
                }
            )
        )


if __name__ == "__main__":
    main()
