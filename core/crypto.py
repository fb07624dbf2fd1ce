"""Encryption at rest for the most sensitive data (national ID numbers, vetting documents).

Keys come from FIELD_ENCRYPTION_KEYS: a comma-separated list of Fernet keys. The first encrypts;
all of them decrypt, so a key is rotated by putting a new one first, re-encrypting
(`manage.py reencrypt_sensitive_data`), then dropping the old one. Values that must be looked up
(duplicate national IDs) are stored beside the ciphertext as a keyed hash, since ciphertext
cannot be filtered on; its key (FIELD_LOOKUP_KEY) is separate and is not rotated with them.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return fernet().decrypt(token)


def rotate_bytes(token: bytes) -> bytes:
    """Re-encrypt with the first (newest) key."""
    return fernet().rotate(token)


def keyed_hash(value: str) -> str:
    """A stable HMAC of a normalised value, for uniqueness checks on encrypted data."""
    key = settings.FIELD_LOOKUP_KEY.encode()
    normalised = "".join(value.split()).upper()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token. It cannot be filtered or ordered on."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_bytes(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return decrypt_bytes(value.encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                f"Cannot decrypt {self.model.__name__}.{self.name}: is FIELD_ENCRYPTION_KEYS "
                "missing the key it was written with?"
            ) from exc
