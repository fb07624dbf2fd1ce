"""Re-encrypt vetting document files and every encrypted field with the newest key.

Part of key rotation (docs/operations.md, "Encryption keys and rotation"). Safe to run again:
values already under the newest key are left alone. The fields are found, not listed: every
column of `core.crypto.encrypted_fields()` in every app (national IDs, the person cared for,
personal requests, reports, contracts, messages, ...), each token rewritten as it is stored.
"""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import Value
from django.db.models.functions import Cast

from core.crypto import allow_reencryption, encrypted_fields, rotate_bytes
from providers.models import VettingDocument


def _under_newest_key(token: bytes) -> bool:
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token)
    except InvalidToken:
        return False
    return True


class Command(BaseCommand):
    help = (
        "Re-encrypt every vetting document file and every encrypted field with the first key of "
        "FIELD_ENCRYPTION_KEYS. Run after putting a new key first; then the old key can go."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args, batch_size, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        failures: list[str] = []
        files = _in_batches(
            VettingDocument.objects.all(),
            batch_size,
            lambda document: (document.pk, _rotate_document(document)),
            failures,
            "vetting document {}",
        )
        fields = {"rotated": 0, "current": 0}
        for model, field in encrypted_fields():
            counts = _in_batches(
                # Cast to plain text reads the stored token, not the decrypted value.
                model._base_manager.annotate(
                    token=Cast(field.name, models.TextField())
                ).values_list("pk", "token"),
                batch_size,
                lambda row, model=model, field=field: _rotate_token(model, field, row),
                failures,
                f"{model._meta.label}.{field.name} of {{}}",
            )
            if verbosity > 1:
                self.stdout.write(
                    f"{model._meta.label}.{field.name}: {counts['rotated']} re-encrypted, "
                    f"{counts['current']} already current."
                )
            for outcome, count in counts.items():
                fields[outcome] += count
        self.stdout.write(
            f"Documents: {files['rotated']} re-encrypted, {files['current']} already current. "
            f"Fields: {fields['rotated']} re-encrypted, {fields['current']} already current."
        )
        if failures:
            raise CommandError(
                "Could not re-encrypt (no configured key opens them):\n" + "\n".join(failures)
            )


def _in_batches(queryset, batch_size: int, rotate, failures: list[str], label: str):
    """Walk `queryset` by primary key, `batch_size` rows locked per transaction; `rotate(row)`
    answers (pk, "rotated" | "current" | "failed" | "empty"). Returns the counts; each failure
    is named by `label`."""
    counts = {"rotated": 0, "current": 0}
    last_pk = 0
    while True:
        with transaction.atomic():
            allow_reencryption(connection)  # the contract text's guard lets a new token in
            batch = list(
                queryset.select_for_update().filter(pk__gt=last_pk).order_by("pk")[:batch_size]
            )
            for row in batch:
                last_pk, outcome = rotate(row)
                if outcome == "failed":
                    failures.append(label.format(last_pk))
                elif outcome in counts:
                    counts[outcome] += 1
        if len(batch) < batch_size:
            return counts


def _rotate_document(document: VettingDocument) -> str:
    storage = document.file.storage
    old_name = document.file.name
    with storage.open(old_name, "rb") as stored:
        token = stored.read()
    if _under_newest_key(token):
        return "current"
    try:
        rotated = rotate_bytes(token)
    except InvalidToken:
        return "failed"
    # A new file under a new random name; the old one goes only once the row points away
    # from it, so a crash at any point leaves a readable document.
    document.file.save("upload.bin", ContentFile(rotated), save=False)
    document.save(update_fields=["file"])
    transaction.on_commit(lambda: storage.delete(old_name))
    return "rotated"


def _rotate_token(model, field, row: tuple[int, str | None]) -> tuple[int, str]:
    pk, token = row
    if not token:
        return pk, "empty"
    if _under_newest_key(token.encode()):
        return pk, "current"
    try:
        rotated = rotate_bytes(token.encode()).decode()
    except InvalidToken:
        return pk, "failed"
    # Written as it is: a plain-text value, so the field does not encrypt it again.
    model._base_manager.filter(pk=pk).update(
        **{field.name: Value(rotated, output_field=models.TextField())}
    )
    return pk, "rotated"
