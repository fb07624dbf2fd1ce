"""Booking benchmark (issue 4): wrk against gunicorn on PostgreSQL. Not a test.

Run from the project root:  .venv/bin/python bench/booking.py

It measures, in one run and on one server: (a) a bare Django JSON view, (b) slot search + quote
(alternating GET /api/v1/slots and POST /api/v1/quote), (c) creating an order (POST
/api/v1/orders). It prints requests per second (2xx only), p50/p99 for each, and as its last line
`quote_vs_bare=0.NN book_vs_bare=0.NN`. See bench/README.md.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/hs_bench; the database is
dropped and recreated, so its name must contain "bench"), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/13, flushed before and after), BENCH_DURATION (seconds, default 10),
BENCH_THREADS (2), BENCH_CONNECTIONS (16), BENCH_PROVIDERS (extra providers, default 200),
BENCH_WORKERS (gunicorn workers, default 3 as deployed).
"""

import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ alone is on the path
from bench.datagen import THROWAWAY_SETTINGS  # noqa: E402

PYTHON = sys.executable
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hs_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
EXTRA_PROVIDERS = int(os.environ.get("BENCH_PROVIDERS", "200"))
# As deployed (Dockerfile, docker-compose.yml: gunicorn --workers 3).
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
DAYS = 50
SQM = 60
SERVICE_SKILL = "home-cleaning"  # every provider has it


def child_env() -> dict:
    env = dict(os.environ)
    env.update(
        THROWAWAY_SETTINGS,
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE="bench.settings",
        CELERY_TASK_ALWAYS_EAGER="false",
        PYTHONPATH=str(ROOT),
    )
    return env


def say(message: str) -> None:
    print(message, flush=True)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    say("wrk is not installed; installing Debian's package: apt-get install -y -qq wrk")
    apt_get = shutil.which("apt-get")
    command = [apt_get or "apt-get", "install", "-y", "-qq", "wrk"]
    result = subprocess.run(command, capture_output=True) if apt_get else None  # noqa: S603
    path = shutil.which("wrk")
    if result is None or result.returncode != 0 or not path:
        sys.exit(
            "Could not install wrk (apt-get install -y -qq wrk failed; run it as root, or "
            "after apt-get update). The benchmark needs wrk."
        )
    return path


def recreate_database() -> None:
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop database {name!r}: its name must contain 'bench'.")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def manage(*args: str) -> None:
    subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=child_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def seed_in_child() -> None:
    """Runs in a child process with the bench environment: extra providers, a customer, a token.

    Prints one JSON line: token, service code, area codes, days.
    """
    import django

    django.setup()
    from datetime import time as clock

    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from accounts.services import issue_api_token
    from orders.models import ServiceType
    from providers.models import ServiceArea, Skill
    from providers.services.lifecycle import import_vetted_provider

    areas = list(ServiceArea.objects.filter(is_active=True).order_by("code"))
    skills = list(Skill.objects.all())
    hours = [(day, clock(7, 0), clock(22, 0)) for day in range(7)]
    with transaction.atomic():
        for number in range(EXTRA_PROVIDERS):
            # No password: create_user sets an unusable one, skipping the slow hasher.
            user = User.objects.create_user(
                f"+98913{number:07d}",
                None,
                full_name=f"Bench Provider {number}",
                role=Role.PROVIDER,
            )
            import_vetted_provider(
                user=user,
                skills=skills,
                areas=[areas[number % len(areas)]],
                weekly_hours=hours,
                experience_years=3,
                reason="Benchmark data",
            )
        customer = User.objects.create_user(
            "+989139999999", None, full_name="Bench Customer", role=Role.CUSTOMER
        )
        token = issue_api_token(user=customer, device="bench").key
    service = ServiceType.objects.filter(required_skills__code=SERVICE_SKILL).order_by("id").first()
    today = timezone.localdate()
    days = [(today + dt.timedelta(days=offset)).isoformat() for offset in range(1, DAYS + 1)]
    print(
        json.dumps(
            {
                "token": token,
                "service": service.code,
                "areas": [area.code for area in areas],
                "days": days,
            }
        )
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/bench/bare", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in 30 s:\n{log.read_text()[-3000:]}")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> dict:
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    total, amount, unit = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output).groups()
    elapsed = _ms(amount + unit) / 1000
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    total = int(total)
    bad = int(non2xx[1]) if non2xx else 0
    return {
        "requests": total,
        "non2xx": bad,
        "rps_all": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "rps": (total - bad) / elapsed,
        "p50": _ms(percentiles["50"]),
        "p99": _ms(percentiles["99"]),
        "socket_errors": errors[1] if errors else "",
    }


def run_wrk(wrk: str, base: str, script: str, *args: str) -> dict:
    command = [
        wrk,
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{DURATION}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk" / script),
        base,
        "--",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    if os.environ.get("BENCH_VERBOSE"):
        say(result.stdout + result.stderr)
    try:
        return parse_wrk(result.stdout)
    except (AttributeError, KeyError) as exc:
        raise RuntimeError(f"Could not read wrk's output:\n{result.stdout}{result.stderr}") from exc


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C and kill both end in the `finally` below that stops gunicorn.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    wrk = ensure_wrk()
    say(f"Database {DATABASE_URL} (recreated), Redis {REDIS_URL} (flushed)")
    recreate_database()
    flush_redis()
    say("Migrating and loading demo data ...")
    manage("migrate", "--no-input")
    manage("load_demo")
    say(f"Adding {EXTRA_PROVIDERS} providers and a customer with an API token ...")
    seeded = subprocess.run(  # noqa: S603
        [PYTHON, __file__, "--seed"],
        cwd=ROOT,
        env=child_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(seeded.stdout.strip().splitlines()[-1])
    days = ",".join(data["days"])
    area = data["areas"][0]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    gunicorn = None
    try:
        with log.open("w") as log_file:
            gunicorn = subprocess.Popen(  # noqa: S603
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--workers",
                    str(WORKERS),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=child_env(),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_up(base, gunicorn, log)
        say(
            f"gunicorn ({WORKERS} workers) at {base}; wrk -t{THREADS} -c{CONNECTIONS} "
            f"-d{DURATION}s for each scenario"
        )
        results = {}
        results["bare"] = run_wrk(wrk, base, "bare.lua")
        results["quote"] = run_wrk(
            wrk, base, "quote.lua", data["token"], data["service"], area, str(SQM), days
        )
        results["book"] = run_wrk(
            wrk,
            base,
            "book.lua",
            data["token"],
            data["service"],
            ",".join(data["areas"]),
            str(SQM),
            days,
            uuid.uuid4().hex[:8],
        )
        for key, target in (
            ("floor_drf", "/bench/floor/drf"),
            ("floor_auth", "/bench/floor/auth"),
            ("floor_write", "/bench/floor/write"),
        ):
            results[key] = run_wrk(wrk, base, "floor.lua", data["token"], target)
    finally:
        stop(gunicorn)
        try:
            flush_redis()  # the matching tasks the bookings enqueued; no worker runs them
        except Exception as exc:
            say(f"(could not flush {REDIS_URL}: {exc})")
        log.unlink(missing_ok=True)

    labels = {
        "bare": "(a) bare JSON view  GET /bench/bare",
        "quote": "(b) slots + quote   GET slots / POST quote, alternating",
        "book": "(c) create order    POST /api/v1/orders",
        "floor_drf": "(d) reference: DRF view, no authentication, no work",
        "floor_auth": "(e) reference: token-authenticated API view, no work",
        "floor_write": "(f) reference: (e) + one row written in a transaction",
    }
    say("")
    say(
        f"{'scenario':56} {'req/s 2xx':>10} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} "
        f"{'non-2xx':>8}"
    )
    for key, label in labels.items():
        r = results[key]
        share = 100 * r["non2xx"] / r["requests"] if r["requests"] else 0.0
        say(
            f"{label:56} {r['rps']:10.1f} {r['p50']:8.2f} {r['p99']:8.2f} {r['requests']:9d} "
            f"{r['non2xx']:5d} ({share:.1f}%)"
            + (f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else "")
        )
    bare = results["bare"]["rps"]
    say(
        "reference ratios to the bare view: "
        f"DRF no-op {results['floor_drf']['rps'] / bare:.2f}, "
        f"authenticated no-op {results['floor_auth']['rps'] / bare:.2f}, "
        f"authenticated one-row write {results['floor_write']['rps'] / bare:.2f}"
    )
    quote_ratio = results["quote"]["rps"] / bare
    book_ratio = results["book"]["rps"] / bare
    say(
        f"targets: quote >= 0.5 ({'met' if quote_ratio >= 0.5 else 'MISSED'}), "
        f"booking >= 0.3 ({'met' if book_ratio >= 0.3 else 'MISSED'})"
    )
    say(f"quote_vs_bare={quote_ratio:.2f} book_vs_bare={book_ratio:.2f}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed"]:
        seed_in_child()
    else:
        main()
