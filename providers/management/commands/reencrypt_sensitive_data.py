"""Re-encrypt vetting document files and national ID numbers with the newest key.

Part of key rotation (docs/operations.md, "Encryption keys and rotation"). Safe to run again:
values already under the newest key are left alone.
"""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from core.crypto import decrypt_bytes, rotate_bytes
from providers.models import Provider, VettingDocument


def _under_newest_key(token: bytes) -> bool:
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token)
    except InvalidToken:
        return False
    return True


class Command(BaseCommand):
    help = (
        "Re-encrypt every vetting document file and national ID number with the first key of "
        "FIELD_ENCRYPTION_KEYS. Run after putting a new key first; then the old key can go."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args, batch_size, **options):
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
        # Cast to plain text reads the stored token, not the decrypted value.
        ids = _in_batches(
            Provider.objects.exclude(national_id="")
            .annotate(token=Cast("national_id", models.TextField()))
            .values_list("pk", "token"),
            batch_size,
            _rotate_national_id,
            failures,
            "national ID of provider {}",
        )
        self.stdout.write(
            f"Documents: {files['rotated']} re-encrypted, {files['current']} already current. "
            f"National IDs: {ids['rotated']} re-encrypted, {ids['current']} already current."
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


def _rotate_national_id(row: tuple[int, str]) -> tuple[int, str]:
    pk, token = row
    if not token:
        return pk, "empty"
    if _under_newest_key(token.encode()):
        return pk, "current"
    try:
        plain = decrypt_bytes(token.encode()).decode()
    except InvalidToken:
        return pk, "failed"
    # The field encrypts with the newest key when saved.
    Provider.objects.filter(pk=pk).update(national_id=plain)
    return pk, "rotated"
