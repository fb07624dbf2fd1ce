"""Personal data at rest (R-SEC-1): what a copy of the database shows, and key rotation.

A `pg_dump` of a database holding the demo and a complete elderly-care job (the person cared
for, personal requests, contract, check-in differences, report, a series, a stored API answer,
messages) contains none of the encrypted values, while the catalogue it also holds is readable;
every encrypted column in it holds a token. Rotating the key re-encrypts every encrypted field of
every model, after which the old key can go. The list of fields and why is in
docs/architecture.md, "Personal data at rest".
"""

import os
import re
import shutil
import subprocess
from datetime import datetime
from io import StringIO

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection, models
from django.db.models.functions import Cast
from django.utils import timezone

from core import crypto
from core.models import MessageChannel, OutgoingMessage
from orders.api import idempotency
from orders.api.serializers import OrderDetailOut
from orders.management.commands.load_demo import APPLICANTS
from orders.models import Mobility, Order, OrderStatus, ServiceType
from orders.services import lifecycle
from orders.services.care import CareDetails, create_care_recipient
from providers.models import Provider
from tests.factories import (
    AreaFactory,
    CustomerFactory,
    OrderFactory,
    ProviderFactory,
    ServiceTypeFactory,
    local_datetime,
)
from tests.orders.care_factories import care_service
from tests.orders.contract_factories import sign_both
from tests.orders.execution_helpers import check_in, complete
from tests.orders.recurring_factories import repeatable_order, start_weekly

pytestmark = pytest.mark.requirement("R-SEC-1")

NOW = datetime(2026, 3, 10, 9, 0)  # local time (Asia/Tehran)

# Values found nowhere else, so that finding one in a dump can only mean it leaked.
CARE = CareDetails(
    full_name="Golnar Qx-Tahmasebi",
    age=117,
    mobility=Mobility.WHEELCHAIR,
    conditions=("stroke",),
    other_conditions="Aphasia-KP27 since the stroke",
    language="Talyshi-LG64",
    special_needs="Thickened-Tea-RR19 only",
)
NOTES = "Mother takes Warfarin-QX71 at nine"
SERIES_NOTES = "Key under the Pomegranate-ZK42 pot"
DIFFERENCES = "The Hoist-Bravo-93 is missing from the bedroom"
SUMMARY = "Bathed and fed her; Lisinopril-MV58 given at noon"
MESSAGE = "Your carer noted: Insulin-Pen-JW36 is empty"
NATIONAL_ID = "0083716452"
PROTECTED = [
    CARE.full_name,
    CARE.other_conditions,
    CARE.language,
    CARE.special_needs,
    "wheelchair",  # the mobility's code
    NOTES,
    SERIES_NOTES,
    DIFFERENCES,
    SUMMARY,
    MESSAGE,
    NATIONAL_ID,
    *(national_id for _phone, _name, national_id, _stage in APPLICANTS),  # the demo's
]


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(timezone.make_aware(NOW), tick=False)


def seed_personal_data(*, customer, provider, care, cleaning, area) -> Order:
    """An elderly-care job from booking to report, a cleaning repeated weekly, the stored answer
    of an API create and a message: every encrypted field gets a value."""
    Provider.objects.filter(pk=provider.pk).update(national_id=NATIONAL_ID)
    order = OrderFactory(
        customer=customer,
        provider=provider,
        service_type=care,
        area=area,
        status=OrderStatus.CONFIRMED,
        notes=NOTES,
        starts_at=local_datetime(1, 10),
        ends_at=local_datetime(1, 12),
    )
    create_care_recipient(order=order, details=CARE)
    sign_both(order)  # the contract's text repeats the personal requests
    check_in(order, differences=DIFFERENCES)
    order = Order.objects.select_related("provider").get(pk=order.pk)
    with time_machine.travel(order.starts_at, tick=False):
        lifecycle.start_job(order=order, provider=order.provider)
        complete(order, summary=SUMMARY)
    idempotency.run_once(
        user=customer,
        key="data-at-rest",
        request_fingerprint="0" * 64,
        create=lambda: (201, OrderDetailOut(order, context={"omit_care": True}).data),
    )
    weekly = repeatable_order(
        customer=customer,
        provider=provider,
        service=cleaning,
        area=area,
        starts_at=local_datetime(-6, 10),
        notes=SERIES_NOTES,
    )
    start_weekly(weekly)
    OutgoingMessage.objects.create(
        channel=MessageChannel.SMS, recipient=str(customer.phone), user=customer, body=MESSAGE
    )
    return order


# --- A copy of the database -------------------------------------------------------------------


def pg_dump() -> str:
    """The test database as `pg_dump` writes a backup (plain SQL)."""
    settings = connection.settings_dict
    command = [shutil.which("pg_dump") or "pg_dump", "--no-owner", "--dbname", settings["NAME"]]
    if settings["HOST"]:
        command += ["--host", settings["HOST"]]
    if settings["PORT"]:
        command += ["--port", str(settings["PORT"])]
    if settings["USER"]:
        command += ["--username", settings["USER"]]
    environment = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    return subprocess.run(
        command, env=environment, capture_output=True, text=True, check=True, timeout=300
    ).stdout


def copied_columns(dump: str, table: str) -> tuple[list[str], list[list[str]]]:
    """The columns and rows of `table` in the dump's COPY block (values as written)."""
    found = re.search(
        rf"^COPY public\.{re.escape(table)} \((?P<columns>[^)]*)\) FROM stdin;\n"
        r"(?P<rows>.*?)^\\\.$",
        dump,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert found, f"{table} is not in the dump"
    columns = [name.strip().strip('"') for name in found["columns"].split(",")]
    rows = [line.split("\t") for line in found["rows"].splitlines()]
    return columns, rows


@pytest.mark.django_db(transaction=True)  # committed, so that pg_dump sees it
def test_a_database_dump_shows_no_encrypted_value_but_the_catalogue():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    call_command("load_demo", stdout=StringIO())
    care = ServiceType.objects.get(code="elderly-care-day")
    order = seed_personal_data(
        customer=CustomerFactory(phone="+989129990001"),
        provider=ProviderFactory(user__phone="+989129990002"),
        care=care,
        cleaning=ServiceType.objects.get(code="standard-home-cleaning"),
        area=AreaFactory(),
    )
    # Read back through the models: the values are there, and the contract repeats the notes.
    assert order.care_recipient.age == 117 and order.care_recipient.language == CARE.language
    assert NOTES in order.contract.text

    dump = pg_dump()

    assert "A day of elderly care" in dump  # the dump is readable where nothing is encrypted
    leaked = [value for value in PROTECTED if value in dump]
    assert leaked == []
    # Column by column, short values too (the age, the mobility): every stored value of every
    # encrypted field is a token the configured keys open.
    for model, field in crypto.encrypted_fields():
        columns, rows = copied_columns(dump, model._meta.db_table)
        index = columns.index(field.column)
        stored = [row[index] for row in rows if row[index] not in ("", r"\N")]
        for value in stored:
            assert crypto.decrypt_bytes(value.encode()), (model, field.name)
    columns, (care_row,) = copied_columns(dump, "orders_carerecipient")
    assert crypto.decrypt_bytes(care_row[columns.index("age")].encode()) == b"117"


# --- Key rotation -----------------------------------------------------------------------------


def stored_tokens() -> dict[tuple[str, str, int], str]:
    """Every non-empty stored token of every encrypted field, by (model, field, pk)."""
    tokens = {}
    for model, field in crypto.encrypted_fields():
        rows = model._base_manager.annotate(token=Cast(field.name, models.TextField()))
        for pk, token in rows.values_list("pk", "token"):
            if token:
                tokens[(model._meta.label, field.name, pk)] = token
    return tokens


def decrypted_values() -> dict[tuple[str, str, int], object]:
    """Every encrypted field's value as the models read it (fails if a key is missing)."""
    values = {}
    for model, field in crypto.encrypted_fields():
        for pk, value in model._base_manager.values_list("pk", field.name):
            if value not in ("", None):
                values[(model._meta.label, field.name, pk)] = value
    return values


def use_keys(settings, *keys: str) -> None:
    settings.FIELD_ENCRYPTION_KEYS = list(keys)
    crypto._fernet.cache_clear()


@pytest.mark.django_db
def test_rotation_re_encrypts_every_encrypted_field_and_the_old_key_can_go(
    settings, django_capture_on_commit_callbacks
):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(settings, old)
    with django_capture_on_commit_callbacks(execute=True):
        seed_personal_data(
            customer=CustomerFactory(),
            provider=ProviderFactory(),
            care=care_service(),
            cleaning=ServiceTypeFactory(),
            area=AreaFactory(),
        )
    before = stored_tokens()
    values = decrypted_values()
    # Every encrypted field of every model has a value here: a new field fails this until the
    # seeding above gives it one.
    every_field = {(m._meta.label, f.name) for m, f in crypto.encrypted_fields()}
    assert {(label, name) for label, name, _pk in before} == every_field
    assert {
        ("orders.CareRecipient", "age"),
        ("orders.CareRecipient", "mobility"),
        ("orders.CareRecipient", "language"),
        ("orders.Order", "notes"),
        ("orders.RecurringSeries", "notes"),
        ("orders.CompletionReport", "summary"),
        ("orders.ArrivalCheckIn", "differences"),
        ("orders.Contract", "text"),
        ("orders.IdempotencyKey", "response_body"),
        ("core.OutgoingMessage", "body"),
        ("providers.Provider", "national_id"),
    } <= every_field

    use_keys(settings, new, old)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reencrypt_sensitive_data", "--batch-size", "2", stdout=out)
    assert out.getvalue().strip() == (
        f"Documents: 0 re-encrypted, 0 already current. "
        f"Fields: {len(before)} re-encrypted, 0 already current."
    )

    use_keys(settings, new)  # the old key is gone
    after = stored_tokens()
    assert after.keys() == before.keys()
    assert decrypted_values() == values  # every field still reads, with the new key alone
    for where, token in after.items():
        assert token != before[where], where
        Fernet(new.encode()).decrypt(token.encode())
    assert [value for (_m, name, _pk), value in values.items() if name == "age"] == [117]

    again = StringIO()
    call_command("reencrypt_sensitive_data", stdout=again)
    assert again.getvalue().strip() == (
        f"Documents: 0 re-encrypted, 0 already current. "
        f"Fields: 0 re-encrypted, {len(before)} already current."
    )
    crypto._fernet.cache_clear()
