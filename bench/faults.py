"""Workers killed mid-task (issue 12, item 10): nothing lost, sent twice or left stuck. Not a test.

Run from the project root:  .venv/bin/python bench/faults.py

A real Celery worker (`celery -A config worker --concurrency 2`, a subprocess in its own process
group) runs matching, offers and messages on PostgreSQL and Redis while this process books
orders through `orders.services.booking` as customers do, answers each offer as its provider
would once the offer's SMS has reached them (`matching.services.offers.accept_offer`, some
declined with `decline_offer`, so matching runs again), and sends beat's tasks itself on
shortened periods (`Beat`): the relay (`core.outbox.relay_outbox_task`) every RELAY_SECONDS, the
matching sweep and the offers' expiry every SWEEP_SECONDS; a kill may lose those messages too,
as it would beat's. Meanwhile it kills the whole worker (its process group, SIGKILL: no warm
shutdown, nothing acknowledged) FAULTS_KILLS times, each a random 0.2-3 s after the new worker
said it was ready, and starts a new one each time. Then it stops killing and waits (deadline
FAULTS_SETTLE_SECONDS) until every order has its answer, every outbox row is done and every
message sent.

SMS go to `FileSmsBackend` below (SMS_BACKEND=bench.faults.FileSmsBackend): one JSON line per
call appended to a file shared by every worker process, so a message sent twice shows twice.

Counted at the end:
  lost        orders left `requested` with no offer ever made; expected messages (order
              received, each offer, confirmed, each contract to both parties, no provider)
              never sent, or marked sent but absent from the SMS file
  duplicated  two offers of one order to one provider, an order accepted or confirmed twice,
              more `offered` events than offers, two messages for one step or one message
              handed to the SMS backend twice (each extra copy)
  stuck       outbox rows not done, orders still `requested` (after an offer) or `offered`

The last line is `kills=N lost=N duplicated=N stuck=N`. See bench/README.md.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/hs_faults; dropped and
recreated, so its name must contain "faults"), REDIS_URL (default redis://127.0.0.1:6379/11,
flushed before and after), FAULTS_KILLS (100), FAULTS_ORDERS (200), FAULTS_PROVIDERS (40, in
four areas), FAULTS_SEED (random seed, 12), FAULTS_SETTLE_SECONDS (900), FAULTS_REDELIVER (the
outbox's OUTBOX_REDELIVER_SECONDS, 300) and FAULTS_VISIBILITY (Redis's visibility timeout,
BROKER_VISIBILITY_TIMEOUT_SECONDS, 120), shortened from 900 and 600 so that the re-drive
happens within the run.
"""

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ alone is on the path
from bench.datagen import THROWAWAY_SETTINGS  # noqa: E402

PYTHON = sys.executable
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hs_faults")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
KILLS = int(os.environ.get("FAULTS_KILLS", "100"))
ORDERS = int(os.environ.get("FAULTS_ORDERS", "200"))
PROVIDERS = int(os.environ.get("FAULTS_PROVIDERS", "40"))
SEED = int(os.environ.get("FAULTS_SEED", "12"))
SETTLE_SECONDS = int(os.environ.get("FAULTS_SETTLE_SECONDS", "900"))
REDELIVER_SECONDS = int(os.environ.get("FAULTS_REDELIVER", "300"))
VISIBILITY_SECONDS = int(os.environ.get("FAULTS_VISIBILITY", "120"))
AREAS = 4
CUSTOMERS = 40
SLOTS_PER_DAY = 20  # 07:00, 07:30 ... 16:30: every order starts at its own time
# Beat's entries on shorter periods: the relay every 30 s (beat: every minute), the sweep and
# the expiry every 120 s (beat: 5 minutes and 1 minute), MATCHING_SWEEP_AFTER_MINUTES=2 (5).
# Much shorter, they re-queue work faster than the crash-looping worker drains the queue
# (bench/README.md).
RELAY_SECONDS = 30
SWEEP_SECONDS = 120
ANSWER_SECONDS = 1.0
DECLINE_SHARE = 0.15  # of offers, at most twice per order: matching runs again
KILL_AFTER = (0.2, 3.0)  # seconds after the worker is ready
READY_DEADLINE = 180  # a worker that is not ready by then is broken: the run stops
# The settling ends early when nothing moved for this long: longer than a row waits for the
# relay's next hand-over.
NO_PROGRESS_SECONDS = REDELIVER_SECONDS + VISIBILITY_SECONDS + 120
SMS_LOG_VARIABLE = "FAULTS_SMS_LOG"


class FileSmsBackend:
    """Appends each SMS as one JSON line to the file named by FAULTS_SMS_LOG (one write with
    O_APPEND: lines of concurrent worker processes never mix), with the message's key. The bench
    reads the file as a gateway that keeps client references would deliver it: a second line of
    one key is a resend the gateway drops (counted apart, in the details)."""

    def send(self, *, to: str, text: str, key: str | None = None) -> None:
        line = json.dumps(
            {"to": to, "text": text, "key": key, "pid": os.getpid(), "at": time.time()}
        )
        fd = os.open(os.environ[SMS_LOG_VARIABLE], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


def bench_env(sms_log: Path) -> dict:
    env = dict(os.environ)
    env.update(
        THROWAWAY_SETTINGS,
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE="config.settings",
        CELERY_TASK_ALWAYS_EAGER="false",
        # The best candidate gets the offer at once (no customer choosing among three).
        MATCHING_MODE="auto",
        MATCHING_SWEEP_AFTER_MINUTES=str(SWEEP_SECONDS // 60),
        OUTBOX_REDELIVER_SECONDS=str(REDELIVER_SECONDS),
        BROKER_VISIBILITY_TIMEOUT_SECONDS=str(VISIBILITY_SECONDS),
        SMS_BACKEND="bench.faults.FileSmsBackend",
        SMS_PER_NUMBER_PER_HOUR="10000",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        PYTHONPATH=str(ROOT),
        **{SMS_LOG_VARIABLE: str(sms_log)},
    )
    return env


def say(message: str) -> None:
    print(message, flush=True)


def recreate_database() -> None:
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if "faults" not in name:
        sys.exit(f"Refusing to drop database {name!r}: its name must contain 'faults'.")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL)


class Worker:
    """One `celery worker` incarnation after another, each in its own process group."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.offset = 0
        self.started = 0
        self.ready_at: float | None = None
        self.started_at = 0.0
        self.startup_seconds: list[float] = []
        self.kill_times: list[float] = []  # wall clock, to compare with the SMS file

    def start(self) -> None:
        self.offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.ready_at = None
        self.started += 1
        self.started_at = time.monotonic()
        with self.log_path.open("a") as log:
            log.write(f"\n===== bench: worker incarnation {self.started} =====\n")
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    "faults@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_ready(self) -> bool:
        if self.ready_at is not None:
            return True
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited by itself:\n{self.log_tail()}")
        with self.log_path.open("rb") as log:
            log.seek(self.offset)
            if b" ready." in log.read():
                self.ready_at = time.monotonic()
                self.startup_seconds.append(self.ready_at - self.started_at)
                return True
        if time.monotonic() - self.started_at > READY_DEADLINE:
            raise RuntimeError(
                f"the worker was not ready in {READY_DEADLINE} s:\n{self.log_tail()}"
            )
        return False

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes: no warm shutdown, nothing acknowledged
        or handed back."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.kill_times.append(time.time())
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


class SmsLog:
    """What the SMS backend wrote, read as it grows."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.lines: list[tuple[str, str]] = []
        self.times: defaultdict = defaultdict(list)  # (to, text) -> when each copy was sent
        self.keys: set[str] = set()
        self.dropped_by_the_gateway = 0  # resends of a key already delivered

    def read(self) -> list[tuple[str, str]]:
        if self.path.exists():
            with self.path.open("rb") as file:
                file.seek(self.offset)
                data = file.read()
            complete = data[: data.rfind(b"\n") + 1]
            self.offset += len(complete)
            for line in complete.decode().splitlines():
                record = json.loads(line)
                if record.get("key") in self.keys:
                    self.dropped_by_the_gateway += 1
                    continue
                if record.get("key"):
                    self.keys.add(record["key"])
                self.lines.append((record["to"], record["text"]))
                self.times[(record["to"], record["text"])].append(record["at"])
        return self.lines


def when(order) -> str:
    from django.utils import timezone

    return timezone.localtime(order.starts_at).strftime("%Y-%m-%d %H:%M")


def seed() -> dict:
    """Four areas, one service, FAULTS_PROVIDERS providers (working 07:00-22:00 every day, spread
    over the areas) and CUSTOMERS customers, with the tests' factories."""
    from datetime import time as clock

    from django.db import transaction

    from tests.factories import AreaFactory, CustomerFactory, ProviderFactory, ServiceTypeFactory

    with transaction.atomic():
        service = ServiceTypeFactory()
        areas = [AreaFactory(code=f"area-{n}", name=f"Area {n}") for n in range(AREAS)]
        hours = [(day, clock(7), clock(22)) for day in range(7)]
        # No passwords: an unusable one skips the slow hasher.
        providers = [
            ProviderFactory(areas=[areas[n % AREAS]], hours=hours, user__password=None)
            for n in range(PROVIDERS)
        ]
        customers = [CustomerFactory(password=None) for _ in range(CUSTOMERS)]
    return {"service": service, "areas": areas, "providers": providers, "customers": customers}


def book(stats: dict, data: dict) -> None:
    """The next order as its customer books it: checked, then saved (matching starts on
    commit). Every order starts at its own time: order n on day 1 + n // 20, at 07:00 + 30 min
    steps, in area n % 4, for customer n % 40."""
    from datetime import time as clock
    from datetime import timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from orders.services.booking import BookingRequest, book_order, check_booking

    number = stats["booked"]
    stats["booked"] += 1
    day = timezone.localdate() + timedelta(days=1 + number // SLOTS_PER_DAY)
    minutes = 7 * 60 + 30 * (number % SLOTS_PER_DAY)
    request = BookingRequest(
        service_type=data["service"],
        area=data["areas"][number % AREAS],
        address=f"{number} Valiasr Street",
        day=day,
        start=clock(minutes // 60, minutes % 60),
        home_area_sqm=80,
    )
    customer = data["customers"][number % CUSTOMERS]
    try:
        book_order(customer=customer, booking=check_booking(request))
    except ValidationError as exc:
        stats["refused"] += 1
        say(f"  (booking {number} refused: {exc})")


class Providers:
    """The providers' side: an offer is answered once its SMS has reached the provider; most
    are accepted, some declined (at most twice per order), a clash is declined."""

    def __init__(self, rng: random.Random, sms: SmsLog):
        self.rng = rng
        self.sms = sms
        self.answered: set[int] = set()
        self.declines: Counter = Counter()
        self.accepted = 0
        self.declined = 0

    def answer(self) -> None:
        from django.core.exceptions import ValidationError

        from matching.models import Offer, OfferStatus
        from matching.services.offers import OfferError, accept_offer, decline_offer

        told = defaultdict(list)
        for to, text in self.sms.read():
            told[to].append(text)
        pending = (
            Offer.objects.filter(status=OfferStatus.PENDING)
            .exclude(pk__in=self.answered)
            .select_related("order", "provider__user")
        )
        for offer in pending:
            phone = str(offer.provider.user.phone)
            if not any(f" on {when(offer.order)}." in text for text in told[phone]):
                continue  # not told yet
            self.answered.add(offer.pk)
            try:
                if self.declines[offer.order_id] < 2 and self.rng.random() < DECLINE_SHARE:
                    self.declines[offer.order_id] += 1
                    decline_offer(offer=offer, provider=offer.provider, reason="Bench: no")
                    self.declined += 1
                else:
                    try:
                        accept_offer(offer=offer, provider=offer.provider)
                        self.accepted += 1
                    except OfferError:
                        raise  # closed meanwhile: below (an OfferError is a ValidationError)
                    except ValidationError:  # busy or over the hours then: says no
                        decline_offer(offer=offer, provider=offer.provider, reason="Bench: busy")
                        self.declined += 1
            except OfferError:
                pass  # closed meanwhile (withdrawn): nothing to answer


class Beat:
    """What beat sends (config/celery.py), on shortened periods: the relay every RELAY_SECONDS,
    the matching sweep and the offers' expiry every SWEEP_SECONDS."""

    def __init__(self):
        from core.outbox import relay_outbox_task
        from matching.tasks import expire_stale_offers_task, sweep_unmatched_orders_task

        now = time.monotonic()
        self.entries = [
            [relay_outbox_task, RELAY_SECONDS, now],
            [sweep_unmatched_orders_task, SWEEP_SECONDS, now],
            [expire_stale_offers_task, SWEEP_SECONDS, now],
        ]

    def tick(self) -> None:
        now = time.monotonic()
        for entry in self.entries:
            task, period, due = entry
            if now < due:
                continue
            entry[2] = now + period
            try:
                task.delay()
            except Exception as exc:  # beat would log it and send again next time
                say(f"  (beat: could not send {task.name}: {exc})")


def progress_figures() -> tuple:
    from core.models import MessageStatus, OutboxTask, OutgoingMessage
    from orders.models import Order, OrderStatus

    return (
        Order.objects.filter(status__in=[OrderStatus.REQUESTED, OrderStatus.OFFERED]).count(),
        OutboxTask.objects.filter(done_at__isnull=True).count(),
        OutgoingMessage.objects.filter(status=MessageStatus.PENDING).count(),
        OutgoingMessage.objects.filter(status=MessageStatus.SENT).count(),
    )


def unacked_tags(client) -> set:
    return set(client.hkeys("unacked"))


def run_kills(
    worker: Worker, providers: Providers, beat: Beat, data: dict, rng: random.Random
) -> dict:
    """The killing phase: bookings paced to spread over it, offers answered, beat's sends."""
    client = redis_client()
    stranded_seen: set = set()
    stats = {"kills": 0, "kills_holding_tasks": 0, "tasks_in_hand": 0, "booked": 0, "refused": 0}
    kill_at = None
    next_answer = time.monotonic()
    started = time.monotonic()
    worker.start()
    while stats["kills"] < KILLS:
        now = time.monotonic()
        if kill_at is None and worker.is_ready():
            kill_at = now + rng.uniform(*KILL_AFTER)
        if kill_at is not None and now >= kill_at:
            worker.kill()
            stats["kills"] += 1
            stranded = unacked_tags(client) - stranded_seen
            stranded_seen |= stranded
            stats["tasks_in_hand"] += len(stranded)
            stats["kills_holding_tasks"] += bool(stranded)
            worker.start()
            kill_at = None
            if stats["kills"] % 10 == 0:
                figures = progress_figures()
                say(
                    f"  {stats['kills']:3d} kills, {time.monotonic() - started:5.0f} s: "
                    f"{stats['booked']} booked, {figures[0]} orders waiting, "
                    f"{figures[1]} outbox rows not done, {figures[3]} messages sent; "
                    f"{stats['kills_holding_tasks']} kills held tasks"
                )
            continue
        # Two orders per kill, so bookings go on until the last kill.
        target = min(ORDERS, -(-(stats["kills"] + 1) * ORDERS // KILLS))
        if stats["booked"] < target:
            book(stats, data)
            continue
        if now >= next_answer:
            providers.answer()
            next_answer = now + ANSWER_SECONDS
        beat.tick()
        time.sleep(0.05)
    while stats["booked"] < ORDERS:
        book(stats, data)
    stats["kill_seconds"] = time.monotonic() - started
    return stats


def settle(worker: Worker, providers: Providers, beat: Beat) -> dict:
    """No more kills: the last worker, the relay and the sweep re-drive what the kills left."""
    started = time.monotonic()
    last_change, last_figures = started, None
    while True:
        now = time.monotonic()
        if worker.process.poll() is not None:
            raise RuntimeError(f"the last worker exited by itself:\n{worker.log_tail()}")
        providers.answer()
        beat.tick()
        figures = progress_figures()
        sent_lines = len(providers.sms.read())
        if figures != last_figures:
            last_figures, last_change = figures, now
        if figures[0] == figures[1] == figures[2] == 0 and sent_lines >= figures[3]:
            outcome = "settled"
            break
        if now - started > SETTLE_SECONDS:
            outcome = f"deadline of {SETTLE_SECONDS} s reached"
            break
        if now - last_change > NO_PROGRESS_SECONDS:
            outcome = f"nothing moved for {NO_PROGRESS_SECONDS} s"
            break
        time.sleep(ANSWER_SECONDS)
    return {"settle_seconds": time.monotonic() - started, "outcome": outcome}


def expected_steps() -> dict:
    """Every message the run should have sent once: {step: (recipient, template, markers)},
    the markers being texts that tell the step's SMS apart from every other."""
    from matching.models import Offer
    from orders.models import Contract, Order, OrderStatus

    received = "orders/notifications/order_received"
    contract_ready = "orders/notifications/contract_ready"
    steps = {}
    for order in Order.objects.select_related("customer"):
        phone = str(order.customer.phone)
        steps[("received", order.pk)] = (phone, received, (f"Order #{order.pk} received",))
        if order.status == OrderStatus.CONFIRMED:
            steps[("confirmed", order.pk)] = (
                phone,
                "matching/notifications/confirmed",
                (f"Order #{order.pk} is confirmed",),
            )
        if order.status == OrderStatus.NO_PROVIDER:
            steps[("no_provider", order.pk)] = (
                phone,
                "matching/notifications/no_provider",
                (f"no provider is free for order #{order.pk} on",),
            )
    for contract in Contract.objects.select_related("order__customer", "provider__user"):
        number = contract.order_id
        steps[("contract", contract.pk, "customer")] = (
            str(contract.order.customer.phone),
            contract_ready,
            (f"contract for order #{number} is ready",),
        )
        steps[("contract", contract.pk, "provider")] = (
            str(contract.provider.user.phone),
            contract_ready,
            (f"contract for job #{number} is ready",),
        )
    for offer in Offer.objects.select_related("order", "provider__user"):
        steps[("offer", offer.pk)] = (
            str(offer.provider.user.phone),
            "matching/notifications/new_offer",
            ("New job offer", f" on {when(offer.order)}."),
        )
    return steps


def check(sms: SmsLog, kill_times: list[float]) -> dict:
    from django.db.models import Count

    from core.models import MessageStatus, OutboxTask, OutgoingMessage
    from matching.models import Offer, OfferStatus
    from orders.models import Order, OrderEvent, OrderStatus

    result: dict = {"lost": Counter(), "duplicated": Counter(), "stuck": Counter(), "info": {}}
    lost, duplicated, stuck = result["lost"], result["duplicated"], result["stuck"]

    # Orders.
    statuses = Counter(Order.objects.values_list("status", flat=True))
    result["info"]["orders"] = dict(statuses)
    offered_orders = set(Offer.objects.values_list("order_id", flat=True))
    for order in Order.objects.filter(status__in=[OrderStatus.REQUESTED, OrderStatus.OFFERED]):
        if order.status == OrderStatus.REQUESTED and order.pk not in offered_orders:
            lost["orders never matched"] += 1
        else:
            stuck[f"orders left {order.status}"] += 1
    for row in Offer.objects.values("order", "provider").annotate(n=Count("pk")).filter(n__gt=1):
        duplicated["offers of one order to one provider"] += row["n"] - 1
    for row in (
        Offer.objects.filter(status=OfferStatus.ACCEPTED)
        .values("order")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    ):
        duplicated["orders accepted twice"] += row["n"] - 1
    offers_per_order = Counter(Offer.objects.values_list("order_id", flat=True))
    events = OrderEvent.objects.values_list("order_id", flat=True)
    offered_events = Counter(events.filter(to_status=OrderStatus.OFFERED))
    for order_id, count in offered_events.items():
        duplicated["offered events without an offer"] += max(0, count - offers_per_order[order_id])
    confirmed_events = Counter(events.filter(to_status=OrderStatus.CONFIRMED))
    duplicated["orders confirmed twice"] += sum(n - 1 for n in confirmed_events.values() if n > 1)

    # Messages: each expected step once in the table, sent, and once in the SMS file.
    messages = defaultdict(list)
    for message in OutgoingMessage.objects.all():
        messages[(message.recipient, message.template)].append(message)
    lines = defaultdict(list)
    for to, text in sms.read():
        lines[to].append(text)
    matched: set[int] = set()
    for phone, template, markers in expected_steps().values():
        kind = template.rsplit("/", 1)[-1]
        rows = [m for m in messages[(phone, template)] if all(x in m.body for x in markers)]
        matched.update(m.pk for m in rows)
        copies = sum(all(x in text for x in markers) for text in lines[phone])
        if not any(m.status == MessageStatus.SENT for m in rows):
            lost[f"messages never sent ({kind})"] += 1
        elif copies == 0:
            lost[f"messages marked sent but not in the SMS file ({kind})"] += 1
        if max(len(rows), copies) > 1:
            duplicated[f"extra copies of one message ({kind})"] += max(len(rows), copies) - 1
    unexpected = OutgoingMessage.objects.exclude(pk__in=matched).count()
    result["info"]["messages matching no expected step"] = unexpected
    result["info"]["messages"] = dict(
        Counter(OutgoingMessage.objects.values_list("status", flat=True))
    )
    sent_lines = Counter((to, text) for to, texts in lines.items() for text in texts)
    result["info"]["SMS lines"] = sum(sent_lines.values())
    result["info"]["resends of one key, dropped by the gateway"] = sms.dropped_by_the_gateway
    result["info"]["SMS lines repeating another (to, text)"] = sum(
        n - 1 for n in sent_lines.values() if n > 1
    )
    # A copy sent twice: how long after its first copy was the worker that sent it killed?
    gaps = []
    for copies in sms.times.values():
        if len(copies) > 1:
            later = [kill for kill in kill_times if kill >= copies[0]]
            gaps.append(round((later[0] - copies[0]) * 1000) if later else None)
    if gaps:
        result["info"]["SMS sent twice: ms from the first copy to the next kill"] = gaps

    # The outbox.
    waiting = OutboxTask.objects.filter(done_at__isnull=True)
    for function in waiting.values_list("function", flat=True):
        stuck[f"outbox rows not done ({function.rsplit('.', 1)[-1]})"] += 1
    rows = OutboxTask.objects.exclude(function="matching.tasks.match_order_task")
    repeated = Counter((row.function, json.dumps(row.args)) for row in rows)
    result["info"]["outbox rows"] = OutboxTask.objects.count()
    result["info"]["outbox rows written twice for one step"] = sum(
        n - 1 for n in repeated.values() if n > 1
    )
    result["info"]["outbox rows dropped as too late"] = OutboxTask.objects.filter(
        dropped=True
    ).count()
    attempts = Counter(OutboxTask.objects.values_list("attempts", flat=True))
    result["info"]["outbox hand-overs per row"] = dict(sorted(attempts.items()))
    return result


def worker_errors(log_path: Path) -> Counter:
    errors: Counter = Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        if "ERROR" in line or "CRITICAL" in line or "Traceback" in line:
            errors[line.split("]", 1)[-1].strip()[:120]] += 1
    return errors


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    rng = random.Random(SEED)  # noqa: S311 - timing and choices, not secrets
    scratch = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    sms_log, worker_log = scratch / "sms.jsonl", scratch / "worker.log"
    env = bench_env(sms_log)
    os.environ.update(env)
    say(f"Database {DATABASE_URL} (recreated), Redis {REDIS_URL} (flushed); files in {scratch}")
    recreate_database()
    redis_client().flushdb()
    say("Migrating ...")
    subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ is first on the path
    import django

    django.setup()
    data = seed()
    say(
        f"{PROVIDERS} providers in {AREAS} areas, {CUSTOMERS} customers; {ORDERS} orders to book "
        f"while the worker is killed {KILLS} times (outbox redelivery {REDELIVER_SECONDS} s, "
        f"visibility timeout {VISIBILITY_SECONDS} s; relay every {RELAY_SECONDS} s, sweep and "
        f"expiry every {SWEEP_SECONDS} s)"
    )
    sms = SmsLog(sms_log)
    providers = Providers(rng, sms)
    worker = Worker(env, worker_log)
    try:
        beat = Beat()
        stats = run_kills(worker, providers, beat, data, rng)
        say(
            f"Killing done: {stats['kills']} kills in {stats['kill_seconds']:.0f} s, "
            f"{stats['kills_holding_tasks']} of them while the worker held tasks "
            f"({stats['tasks_in_hand']} unacknowledged messages left behind); waiting for the "
            f"relay and the sweep ..."
        )
        settled = settle(worker, providers, beat)
        say(f"Settling: {settled['outcome']} after {settled['settle_seconds']:.0f} s")
        result = check(sms, worker.kill_times)
        client = redis_client()
        queue_left, unacked_left = client.llen("celery"), client.hlen("unacked")
    finally:
        worker.stop()
        try:
            redis_client().flushdb()
        except Exception as exc:
            say(f"(could not flush {REDIS_URL}: {exc})")

    startup = sorted(worker.startup_seconds)
    say(
        f"worker incarnations: {worker.started}; start to ready: median "
        f"{startup[len(startup) // 2]:.1f} s, max {startup[-1]:.1f} s"
    )
    say(
        f"bookings: {stats['booked'] - stats['refused']} booked, {stats['refused']} refused; "
        f"offers answered: {providers.accepted} accepted, {providers.declined} declined"
    )
    for key, value in result["info"].items():
        say(f"{key}: {value}")
    say(f"left in Redis after settling: {queue_left} queued, {unacked_left} unacknowledged")
    errors = worker_errors(worker_log)
    say(f"worker log: {sum(errors.values())} error lines" + (":" if errors else ""))
    for line, count in errors.most_common(10):
        say(f"  {count} x {line}")
    for name in ("lost", "duplicated", "stuck"):
        for reason, count in sorted(result[name].items()):
            if count:
                say(f"{name}: {count} {reason}")
    totals = {name: sum(result[name].values()) for name in ("lost", "duplicated", "stuck")}
    say(
        f"kills={stats['kills']} lost={totals['lost']} duplicated={totals['duplicated']} "
        f"stuck={totals['stuck']}"
    )


if __name__ == "__main__":
    main()
