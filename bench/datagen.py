"""Bench data for bench/matching.py and bench/batch.py: a PostgreSQL database with many
providers, generated in SQL (INSERT ... SELECT over generate_series), reused while its size
marker matches. Not a test.

Call `prepare(url, providers=..., areas=..., query_orders=..., syncdb=...)` BEFORE
`django.setup()`-dependent imports in the caller: it sets the environment (DATABASE_URL and
throwaway production-like settings with DEBUG off), creates or reuses the database, and returns
once the data is there.

What is generated (deterministic: `setseed`):
- `areas` service areas with centres on a grid; 6 skills; 4 services (two cleaning services,
  elderly care needing two skills, cooking); 20,000 customers;
- `providers` providers: 94 % active, 3 % probation, 3 % suspended; each serves one area
  (a fifth a second one), lives near its centre, 10 % travel 5-10 km beyond it; tiers 70/20/10 %;
  skills: 70 % cleaning (half also deep cleaning), 30 % care (nursing for two thirds), 20 %
  cooking; ratings 3.0-5.0 over 0-80 ratings (10 % unrated);
- working hours six days a week (08-18 or 10-20, the day off varies), time off for 3 %;
- per provider two confirmed jobs in the coming week (never overlapping) and three completed
  jobs in the past weeks (with the customer's rating): the workload and experience parts;
- `query_orders` requested orders ("bench-query" address) spread over areas, services, the
  coming `query_days` days and 08:00-16:00 starts: the orders the benchmarks rank or assign.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_VERSION = "3"  # bump when the generator changes
QUERY_ADDRESS = "bench-query"
CUSTOMERS = 20_000
# Production-like settings every benchmark runs with: DEBUG off, throwaway secrets (a Fernet key
# of 32 zero bytes and an HMAC key), bench data only.
THROWAWAY_SETTINGS = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-throwaway-secret-key-" + "x" * 40,
    "FIELD_ENCRYPTION_KEYS": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "FIELD_LOOKUP_KEY": "bench-throwaway-lookup-key",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
}


def bench_env(url: str) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.update(
        THROWAWAY_SETTINGS,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        CELERY_TASK_ALWAYS_EAGER="true",
    )


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
    return urlunsplit(parts._replace(path="/postgres")), name


def _marker(url: str) -> str | None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not exists:
        return None
    with psycopg.connect(url, autocommit=True) as conn:
        table = conn.execute("SELECT to_regclass('bench_marker')").fetchone()[0]
        if table is None:
            return None
        row = conn.execute("SELECT size FROM bench_marker").fetchone()
        return row[0] if row else None


def _recreate(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(
    url: str,
    *,
    providers: int,
    areas: int,
    query_orders: int,
    query_days: int,
    syncdb: bool,
    say=print,
) -> None:
    """Create (or reuse) the database with this much data. Sets up Django."""
    bench_env(url)
    size = (
        f"v{SCHEMA_VERSION} providers={providers} areas={areas} orders={query_orders} "
        f"days={query_days} "
        f"schema={'syncdb' if syncdb else 'migrate'}"
    )
    if _marker(url) == size:
        say(f"Reusing {urlsplit(url).path.lstrip('/')} ({size})")
        import django

        django.setup()
        return
    say(f"Building {urlsplit(url).path.lstrip('/')} ({size}) ...")
    _recreate(url)
    import time

    import django

    django.setup()
    started = time.monotonic()
    if syncdb:
        _syncdb()
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    say(f"  schema in {time.monotonic() - started:.1f} s")
    _generate(
        providers=providers,
        areas=areas,
        query_orders=query_orders,
        query_days=query_days,
        say=say,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_marker (size text)")
        cursor.execute("INSERT INTO bench_marker VALUES (%s)", [size])
    say(f"  built in {time.monotonic() - started:.1f} s")


def _syncdb() -> None:
    """Tables straight from the current models (no migrations): for development, while the
    models are ahead of the migrations. Without the migrations' triggers and exclusion
    constraint (they only refuse bad writes, which the benchmarks do not make)."""
    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    with connection.schema_editor() as editor:
        for model in apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                editor.create_model(model)


def _insert(model, source: str, exprs: dict[str, str]) -> int:
    """INSERT INTO model's table SELECT ... FROM source. Columns not in `exprs` get the
    field's default (NULL when nullable without one; now() for auto_now fields)."""
    from django.db import connection
    from django.db.models import AutoField, BigAutoField

    columns, selects, params = [], [], []
    for f in model._meta.concrete_fields:
        if isinstance(f, AutoField | BigAutoField):
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in exprs:
            selects.append(exprs[f.column])
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            selects.append("now()")
        elif f.null and not f.has_default():
            selects.append("NULL")
        else:
            selects.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
    unknown = set(exprs) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise RuntimeError(f"{model.__name__} has no column {sorted(unknown)}")
    sql = (
        # Bench-built SQL from the models and constants, no outside input.
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selects)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _generate(*, providers: int, areas: int, query_orders: int, query_days: int, say) -> None:
    import time

    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from orders.models import Order, ServiceType
    from providers.models import Provider, ServiceArea, Skill, TimeOff, WorkingHours
    from providers.models.core import ProviderSkill

    tz = timezone.get_current_timezone_name()
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.42)")
        area_rows = ServiceArea.objects.bulk_create(
            ServiceArea(
                code=f"area-{i:02d}",
                name=f"Area {i:02d}",
                latitude=35.60 + (i // 10) * 0.06,
                longitude=51.20 + (i % 10) * 0.06,
            )
            for i in range(areas)
        )
        skills = {
            code: Skill.objects.create(code=code, name=code.replace("-", " ").capitalize())
            for code in (
                "home-cleaning",
                "deep-cleaning",
                "elderly-care",
                "nursing",
                "cooking",
                "childcare",
            )
        }
        services = []
        for code, needs in (
            ("standard-home-cleaning", ["home-cleaning"]),
            ("deep-cleaning", ["home-cleaning", "deep-cleaning"]),
            ("elderly-care", ["elderly-care", "nursing"]),
            ("home-cooking", ["cooking"]),
        ):
            service = ServiceType.objects.create(
                code=code, name=code.replace("-", " ").capitalize(), minimum_minutes=120
            )
            service.required_skills.set([skills[c] for c in needs])
            services.append(service)
        area_ids = [a.pk for a in area_rows]
        first_area = min(area_ids)
        say(f"  catalogue in {time.monotonic() - started:.1f} s")

        _insert(
            User,
            f"generate_series(1, {providers}) AS g",
            {
                "password": "'!'",
                "phone": "'+98910' || lpad(g::text, 7, '0')",
                "full_name": "'Bench Provider ' || g",
                "role": "'provider'",
            },
        )
        _insert(
            User,
            f"generate_series(1, {CUSTOMERS}) AS g",
            {
                "password": "'!'",
                "phone": "'+98911' || lpad(g::text, 7, '0')",
                "full_name": "'Bench Customer ' || g",
                "role": "'customer'",
            },
        )
        say(f"  users in {time.monotonic() - started:.1f} s")
        # Provider number n (1..providers) is user id order; area = n mod areas.
        source = (
            "(SELECT u.id AS user_id, row_number() OVER (ORDER BY u.id) AS n, random() AS r, "
            "random() AS r2, random() AS r3 FROM accounts_user u WHERE u.role = 'provider') AS s"
        )
        _insert(
            Provider,
            source,
            {
                "user_id": "s.user_id",
                "status": "CASE WHEN r < 0.94 THEN 'active' WHEN r < 0.97 THEN 'probation' "
                "ELSE 'suspended' END",
                "vetting_completed_at": "now() - interval '90 days'",
                "status_changed_at": "now() - interval '90 days'",
                "experience_years": "(r2 * 15)::int",
                "tier": "CASE WHEN r3 < 0.7 THEN 'standard' WHEN r3 < 0.9 THEN 'experienced' "
                "ELSE 'expert' END",
                "latitude": f"35.60 + (mod(n, {areas}) / 10) * 0.06 + (random() - 0.5) * 0.05",
                "longitude": f"51.20 + mod(mod(n, {areas}), 10) * 0.06 + (random() - 0.5) * 0.05",
                "travel_radius_km": "CASE WHEN r2 < 0.1 THEN 5 + (r3 * 5)::int ELSE 0 END",
                "rating_average": "CASE WHEN r3 < 0.1 THEN NULL "
                "ELSE round((3 + random() * 2)::numeric, 2)::float END",
                "rating_count": "CASE WHEN r3 < 0.1 THEN 0 ELSE 1 + (random() * 80)::int END",
            },
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_p AS SELECT id, row_number() OVER (ORDER BY id) AS n "
                "FROM providers_provider"
            )
            cursor.execute("CREATE INDEX ON bench_p (n)")
            areas_table = Provider.areas.through._meta.db_table
            cursor.execute(
                f"INSERT INTO {areas_table} (provider_id, servicearea_id) "  # noqa: S608
                f"SELECT id, {first_area} + mod(n, {areas}) FROM bench_p "
                f"UNION SELECT id, {first_area} + mod(n + 7, {areas}) FROM bench_p "
                "WHERE mod(n, 5) = 0"
            )
        say(f"  providers in {time.monotonic() - started:.1f} s")
        skill_rules = [
            (skills["home-cleaning"], "mod(n * 7919, 100) < 70"),
            (skills["deep-cleaning"], "mod(n * 7919, 100) < 35"),
            (skills["elderly-care"], "mod(n * 7919, 100) >= 70"),
            (skills["nursing"], "mod(n * 7919, 100) >= 80"),
            (skills["cooking"], "mod(n * 104729, 100) < 20"),
            (skills["childcare"], "mod(n * 104729, 100) >= 90"),
        ]
        for skill, condition in skill_rules:
            _insert(
                ProviderSkill,
                f"bench_p WHERE {condition}",
                {
                    "provider_id": "bench_p.id",
                    "skill_id": str(skill.pk),
                    "years_of_experience": "mod(n, 10)",
                },
            )
        _insert(
            WorkingHours,
            "bench_p CROSS JOIN generate_series(0, 6) AS d WHERE d <> mod(n, 7)",
            {
                "provider_id": "bench_p.id",
                "weekday": "d",
                "starts": "CASE WHEN mod(n, 2) = 0 THEN time '08:00' ELSE time '10:00' END",
                "ends": "CASE WHEN mod(n, 2) = 0 THEN time '18:00' ELSE time '20:00' END",
            },
        )
        _insert(
            TimeOff,
            "bench_p WHERE mod(n * 31, 100) < 3",
            {
                "provider_id": "bench_p.id",
                "starts_on": "current_date + mod(n, 10)::int",
                "ends_on": "current_date + mod(n, 10)::int + 2",
                "reason": "'Bench leave'",
            },
        )
        say(f"  skills, hours, time off in {time.monotonic() - started:.1f} s")
        service_ids = [s.pk for s in services]
        first_customer = User.objects.filter(role="customer").order_by("pk").first().pk
        local_day = f"(date_trunc('day', now() AT TIME ZONE '{tz}'))"

        def at(day_sql: str, hour_sql: str) -> str:
            return (
                f"(({local_day} + ({day_sql}) * interval '1 day' + ({hour_sql}) * interval "
                f"'1 hour') AT TIME ZONE '{tz}')"
            )

        common = {
            "address": "'Bench street'",
            "home_area_sqm": "80",
            "notes": "''",
            "price": "3700000",
            "currency": "'IRR'",
        }
        # Two confirmed jobs in the coming week (days 1+k*3+n mod 3: never the same day), only
        # for active providers, at their working hours.
        _insert(
            Order,
            "bench_p JOIN providers_provider p ON p.id = bench_p.id "
            "CROSS JOIN generate_series(0, 1) AS k WHERE p.status = 'active'",
            {
                **common,
                "customer_id": f"{first_customer} + mod(n * 13 + k, {CUSTOMERS})",
                "service_type_id": f"{service_ids[0]}",
                "area_id": f"{first_area} + mod(n, {areas})",
                "starts_at": at("1 + k * 3 + mod(n, 3)", "10 + mod(n + k, 5)"),
                "ends_at": at("1 + k * 3 + mod(n, 3)", "12 + mod(n + k, 5)"),
                "status": "'confirmed'",
                "provider_id": "bench_p.id",
                "blocked_until": at("1 + k * 3 + mod(n, 3)", "12.5 + mod(n + k, 5)"),
            },
        )
        # Three completed jobs in the past weeks, rated by their customers.
        _insert(
            Order,
            "bench_p CROSS JOIN generate_series(1, 3) AS k",
            {
                **common,
                "customer_id": f"{first_customer} + mod(n * 17 + k, {CUSTOMERS})",
                "service_type_id": f"{service_ids[0]} + mod(n + k, {len(service_ids)})",
                "area_id": f"{first_area} + mod(n, {areas})",
                "starts_at": at("-7 * k - mod(n, 5)", "9"),
                "ends_at": at("-7 * k - mod(n, 5)", "11"),
                "status": "'completed'",
                "provider_id": "bench_p.id",
                "completed_at": at("-7 * k - mod(n, 5)", "11"),
                "customer_rating": "1 + mod(n + k, 5)",
            },
        )
        say(f"  booked and past jobs in {time.monotonic() - started:.1f} s")
        _insert(
            Order,
            f"generate_series(1, {query_orders}) AS g",
            {
                **common,
                "address": f"'{QUERY_ADDRESS}'",
                "customer_id": f"{first_customer} + mod(g * 7, {CUSTOMERS})",
                "service_type_id": f"{service_ids[0]} + (random() * {len(service_ids) - 1})::int",
                "area_id": f"{first_area} + (random() * {areas - 1})::int",
                "starts_at": at(f"1 + mod(g, {query_days})", "8 + mod(g * 7, 17) / 2.0"),
                "ends_at": at(f"1 + mod(g, {query_days})", "10 + mod(g * 7, 17) / 2.0"),
                "status": "'requested'",
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_p")
    say(f"  data in {time.monotonic() - started:.1f} s; analysing ...")
    previous = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.set_autocommit(previous)
