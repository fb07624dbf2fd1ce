"""Ledger benchmark (issue 13, R-PAY-1). Not a test.

Run from the project root:  .venv/bin/python bench/ledger.py

Posts BENCH_ENTRIES (100,000) journal entries through ledger.services.posting (post_entries,
in batches of BENCH_BATCH, the path a payout run or an import takes) over BENCH_ACCOUNTS
(10,000) accounts: every entry credits one customer's wallet from the platform's compensation
account, every tenth also moves a fee to revenue (three or four lines each), with the
database's triggers on (balanced per entry at commit, never changed). Then computes every
account's balance with ledger.selectors.balances() (one grouped query), and checks the books
sum to zero. The last line: `ledger_entries_per_s=N balance_all_ms=N`.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/hs_bench_ledger; dropped
and recreated, so its name must contain "bench").
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hs_bench_ledger")
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "100000"))
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "10000"))
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))


def fresh_database() -> None:
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: the benchmark's database name must contain 'bench'")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    fresh_database()
    from bench.datagen import THROWAWAY_SETTINGS

    os.environ.update(
        THROWAWAY_SETTINGS,
        DATABASE_URL=DATABASE_URL,
        DJANGO_SETTINGS_MODULE="config.settings",
        CELERY_TASK_ALWAYS_EAGER="true",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from ledger.models import AccountKind, JournalEntry, LedgerAccount
    from ledger.selectors import balances
    from ledger.services.posting import EntrySpec, Leg, platform, post_entries

    call_command("migrate", verbosity=0, interactive=False)
    users = get_user_model().objects.bulk_create(
        get_user_model()(phone=f"+98912{n:07d}", full_name=f"Bench {n}", role="customer")
        for n in range(ACCOUNTS - 2)
    )
    wallets = LedgerAccount.objects.bulk_create(
        LedgerAccount(kind=AccountKind.CUSTOMER_WALLET, holder=user, currency="IRR")
        for user in users
    )
    compensation = platform(AccountKind.COMPENSATION, "IRR")
    revenue = platform(AccountKind.REVENUE, "IRR")
    rng = random.Random(13)  # noqa: S311 - test data, not secrets
    batch_seconds = []
    started = time.perf_counter()
    for first in range(0, ENTRIES, BATCH):
        specs = []
        for n in range(first, min(first + BATCH, ENTRIES)):
            # Every wallet gets lines: round-robin, with random amounts.
            wallet, amount = wallets[n % len(wallets)], rng.randrange(1, 5_000_000) * 100
            legs = [Leg(wallet, amount), Leg(compensation, -amount)]
            if n % 10 == 0:
                legs += [Leg(wallet, -100), Leg(revenue, 100)]
            specs.append(EntrySpec(legs, "Bench credit", "adjustment", cause_id=n))
        batch_started = time.perf_counter()
        post_entries(specs)
        batch_seconds.append(time.perf_counter() - batch_started)
    posting = time.perf_counter() - started
    assert JournalEntry.objects.count() == ENTRIES

    timings = []
    for _ in range(5):
        started = time.perf_counter()
        every = balances()
        timings.append((time.perf_counter() - started) * 1000)
    assert len(every) == ACCOUNTS and sum(every.values()) == 0, "the books do not balance"
    print(f"entries={ENTRIES} accounts={len(every)} batch={BATCH}")
    print(
        f"posting: {posting:.1f} s, batch p50 {statistics.median(batch_seconds) * 1000:.0f} ms,"
        f" max {max(batch_seconds) * 1000:.0f} ms"
    )
    print("balances of every account (ms, 5 runs): " + " ".join(f"{t:.0f}" for t in timings))
    print(
        f"ledger_entries_per_s={ENTRIES / posting:.0f} "
        f"balance_all_ms={statistics.median(timings):.0f}"
    )


if __name__ == "__main__":
    main()
