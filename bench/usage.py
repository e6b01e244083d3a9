"""`usage` on a big table: time with sampling, and how close sampled key shares are to exact ones.

    python bench/usage.py [--rows 1000000]

Fills `leads.custom_fields` with N rows whose keys occur with known shares
(referral_source ~80%, preferred_language ~40%, budget ~25%, legacy_id ~2%, a
nested household object ~30%), then runs collect_usage twice: with the
automatic sample (about 100,000 rows) and reading every row (--sample 100). It
prints both times and, per top-level key, the sampled share, the exact share
and the difference in percentage points.
"""

from __future__ import annotations

import argparse
import time

import psycopg

from pgevolve.jsonb.usage import collect_usage
from pgevolve.server import embedded
from pgevolve.server.connect import with_dbname

FILL = """
INSERT INTO leads (custom_fields)
SELECT jsonb_strip_nulls(jsonb_build_object(
    'referral_source', CASE WHEN r1 < 0.8 THEN (ARRAY['web', 'radio', 'friend', 'agent'])[1 + (g %% 4)] END,
    'preferred_language', CASE WHEN r2 < 0.4 THEN 'es' END,
    'budget', CASE WHEN r3 < 0.25 THEN (g %% 5000)::numeric END,
    'legacy_id', CASE WHEN r4 < 0.02 THEN g::text END,
    'household', CASE WHEN r5 < 0.3 THEN jsonb_build_object('size', 1 + g %% 6) END))
FROM (SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5
      FROM generate_series(1, %(rows)s) g) s
"""


def shares(dsn: str, sample: float | None) -> tuple[float, dict[str, float]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.perf_counter()
        report = collect_usage(conn, "public", "leads", "custom_fields", sample_percent=sample)
        seconds = time.perf_counter() - started
    column = report.column("leads", "custom_fields")
    assert column is not None
    found = {k.path: k.rows / k.sampled_rows for k in column.stats.keys if k.path and "." not in k.path}
    return seconds, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    server = embedded.start_throwaway()
    try:
        admin = server.dsn("postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_usage")
        dsn = with_dbname(admin, "bench_usage")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT setseed(0.42)")
            conn.execute("CREATE TABLE leads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                         " custom_fields jsonb NOT NULL DEFAULT '{}')")
            conn.execute(FILL, {"rows": args.rows})
            conn.execute("VACUUM ANALYZE leads")
        sampled_seconds, sampled = shares(dsn, None)
        exact_seconds, exact = shares(dsn, 100.0)
        print(f"rows: {args.rows:,}; usage with the automatic sample {sampled_seconds:.2f} s; "
              f"reading every row {exact_seconds:.2f} s")
        print(f"{'key':<20} {'sampled':>8} {'exact':>8} {'diff (points)':>14}")
        for key in sorted(exact):
            diff = (sampled.get(key, 0.0) - exact[key]) * 100
            print(f"{key:<20} {sampled.get(key, 0.0):>8.1%} {exact[key]:>8.1%} {diff:>+14.2f}")
    finally:
        server.stop(remove=True)


if __name__ == "__main__":
    main()
