"""Matching benchmark (issue 5): rank candidates for 1,000 orders among 100,000 providers.
Not a test.

Run from the project root:  .venv/bin/python bench/matching.py [--syncdb] [--explain]

Builds (or reuses, while its size marker matches) a PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/hs_bench_matching; refused without "bench" in its name) with
100,000 providers over 50 areas (bench/datagen.py), then ranks the candidates of 1,000 requested
orders, one after another, with matching's real selector `selectors.ranked_candidates(order,
limit=3)` (the rosters, the queries, the features and the scores: what the recommendation task
does), after 20 warm-up calls. A process keeps each area's roster (matching/roster.py) once
loaded: the calls that loaded one are counted and timed apart as well as in the totals. Prints
p50, p95 and the mean in ms, and as the last line `match_p95_ms=NN` (target: under 50).

--syncdb creates the tables from the current models instead of `manage.py migrate` (for
development while the models are ahead of the migrations). --explain prints EXPLAIN ANALYZE of
the slowest order's candidate query. BENCH_PROVIDERS, BENCH_AREAS and BENCH_ORDERS change the
size (a different size rebuilds the database).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import datagen

DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hs_bench_matching"
)
PROVIDERS = int(os.environ.get("BENCH_PROVIDERS", "100000"))
AREAS = int(os.environ.get("BENCH_AREAS", "50"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "1000"))
WARM_UP = 20


def say(message: str) -> None:
    print(message, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    syncdb = "--syncdb" in sys.argv
    datagen.prepare(
        DATABASE_URL,
        providers=PROVIDERS,
        areas=AREAS,
        query_orders=ORDERS,
        query_days=6,
        syncdb=syncdb,
        say=say,
    )
    from django.db import connection, reset_queries

    from matching import roster
    from matching.selectors import candidates_for, ranked_candidates
    from orders.models import Order

    orders = list(
        Order.objects.filter(address=datagen.QUERY_ADDRESS)
        .select_related("service_type", "area", "customer")
        .order_by("pk")[:ORDERS]
    )
    say(f"Ranking candidates for {len(orders)} orders among {PROVIDERS} providers ...")
    for order in orders[:WARM_UP]:
        ranked_candidates(order, limit=3)
    timings, found, cold = [], [], []
    for order in orders:
        kept = {key: id(value) for key, value in roster.rosters.held().items()}
        started = time.perf_counter()
        top = ranked_candidates(order, limit=3)
        timings.append((time.perf_counter() - started) * 1000)
        found.append(len(top))
        # A call that loaded a roster (the first of its area in this process).
        cold.append({key: id(value) for key, value in roster.rosters.held().items()} != kept)
        reset_queries()
    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
    say(
        f"orders={len(orders)} with_3_candidates={sum(1 for n in found if n == 3)} "
        f"none={sum(1 for n in found if n == 0)}"
    )
    say(
        f"p50={p50:.1f} ms  p95={p95:.1f} ms  mean={statistics.fmean(timings):.1f} ms  "
        f"max={max(timings):.1f} ms"
    )
    warm = [t for t, loaded in zip(timings, cold, strict=True) if not loaded]
    loads = [t for t, loaded in zip(timings, cold, strict=True) if loaded]
    if warm:
        say(
            f"rosters kept: {len(warm)} calls, p50={percentile(warm, 0.5):.1f} ms "
            f"p95={percentile(warm, 0.95):.1f} ms"
        )
    if loads:
        say(
            f"roster loaded (first order of an area): {len(loads)} calls, "
            f"p50={percentile(loads, 0.5):.1f} ms max={max(loads):.1f} ms"
        )
    if "--explain" in sys.argv:
        slowest = orders[max(range(len(orders)), key=timings.__getitem__)]
        sql, params = candidates_for(slowest).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            say("\n".join(row[0] for row in cursor.fetchall()))
    say(f"match_p95_ms={round(p95)}")


if __name__ == "__main__":
    main()
