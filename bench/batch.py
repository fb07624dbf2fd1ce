"""Batch assignment benchmark (issue 5): 1,000 orders among 5,000 providers. Not a test.

Run from the project root:  .venv/bin/python bench/batch.py [--syncdb]

Builds (or reuses, while its size marker matches) a PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/hs_bench_batch; refused without "bench" in its name) with
5,000 providers over 50 areas and 1,000 requested orders, all tomorrow (bench/datagen.py, the
generator of bench/matching.py), then plans the batch for all 1,000 orders at once with
`matching.batch.plan.plan_batch` and prints:

- the time to build the problem from the database (the providers' pool, eligibility of every
  pair, features and scores: `build_problem`) and the time to solve it (`assign_optimal`: the
  matching rounds, local moves, the exact search where it fits, and greedy for the guard), and
  the total, which is what the target is about;
- orders placed and the total score of the optimal assignment and of greedy (best pair first);
- as the last line `batch_s=N.N optimal_vs_greedy=1.0NN` (total time; optimal's total score
  divided by greedy's). Target: under 2 s.

Nothing is written (the plan is not applied); applying it is one offer per order in one
transaction, like any offer.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import datagen

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hs_bench_batch")
PROVIDERS = int(os.environ.get("BENCH_PROVIDERS", "5000"))
AREAS = int(os.environ.get("BENCH_AREAS", "50"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "1000"))


def say(message: str) -> None:
    print(message, flush=True)


def main() -> None:
    syncdb = "--syncdb" in sys.argv
    datagen.prepare(
        DATABASE_URL,
        providers=PROVIDERS,
        areas=AREAS,
        query_orders=ORDERS,
        query_days=1,
        syncdb=syncdb,
        say=say,
    )
    from matching.batch.problem import build_problem
    from matching.batch.solver import assign_optimal
    from orders.models import Order

    def load():
        return list(
            Order.objects.filter(address=datagen.QUERY_ADDRESS)
            .select_related("service_type", "area")
            .order_by("pk")[:ORDERS]
        )

    build_problem(load()[:20])  # warm up: connection, imports
    started = time.perf_counter()
    orders = load()
    built = build_problem(orders)
    building = time.perf_counter() - started
    result = assign_optimal(built.problem)
    total = time.perf_counter() - started
    pairs = sum(len(candidates) for candidates in built.problem.scores.values())
    say(
        f"{len(orders)} orders, {PROVIDERS} providers, {pairs} eligible pairs "
        f"({pairs / max(len(orders), 1):.0f} per order)"
    )
    say(
        f"build problem {building:.2f} s + solve {total - building:.2f} s = {total:.2f} s "
        f"(method {result.method}, proven optimal: {result.proven_optimal})"
    )
    say(
        f"optimal: {result.placed} placed, total score {result.total_score:.1f}; "
        f"greedy: {result.greedy_placed} placed, total score {result.greedy_score:.1f}"
    )
    ratio = result.total_score / result.greedy_score if result.greedy_score else 1.0
    say(f"batch_s={total:.1f} optimal_vs_greedy={ratio:.3f}")


if __name__ == "__main__":
    main()
