"""Encryption at rest for personal data (R-SEC-1; the list of fields and why is in
docs/architecture.md, "Personal data at rest").

Keys come from FIELD_ENCRYPTION_KEYS: a comma-separated list of Fernet keys. The first encrypts;
all of them decrypt, so a key is rotated by putting a new one first, re-encrypting
(`manage.py reencrypt_sensitive_data`, which walks every field of `encrypted_fields()`), then
dropping the old one. Values that must be looked up (duplicate national IDs) are stored beside
the ciphertext as a keyed hash, since ciphertext cannot be filtered on; its key
(FIELD_LOOKUP_KEY) is separate and is not rotated with them.

The fields store a token in a text column whatever the Python type (`EncryptedTextField`,
`EncryptedIntegerField`, `EncryptedJSONField`): the database can neither filter, order nor
check them, so range and choice rules are validators and services, not constraints.
"""

import hashlib
import hmac
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

# Set (for one transaction) while stored tokens are re-encrypted: a database guard that refuses
# any change of an encrypted column (the contract text's trigger) lets this one through.
REENCRYPTING_SETTING = "core.reencrypting"


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


class EncryptedIntegerField(EncryptedTextField):
    """A whole number stored as a token in a text column; Python sees an `int`. Ranges are
    validators (e.g. `MinValueValidator`), checked by forms and `full_clean`."""

    # What django-stubs' mypy plugin reads as the Python type.
    _pyi_private_set_type: int | models.expressions.Combinable  # type: ignore[assignment]
    _pyi_private_get_type: int  # type: ignore[assignment]

    empty_strings_allowed = False
    default_error_messages = {"invalid": _("Enter a whole number.")}

    def to_python(self, value):
        if value is None or isinstance(value, int):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def get_prep_value(self, value):
        value = self.to_python(value)
        if value is None:
            return None
        return encrypt_bytes(str(value).encode()).decode()

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return None if text in (None, "") else int(text)

    def formfield(self, form_class=None, choices_form_class=None, **kwargs):
        # Not TextField's textarea: a number field.
        return models.Field.formfield(
            self, form_class or forms.IntegerField, choices_form_class, **kwargs
        )


class EncryptedJSONField(EncryptedTextField):
    """A JSON value stored as a token of its text (keys stay in the order written)."""

    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    empty_strings_allowed = False

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_bytes(json.dumps(value, cls=DjangoJSONEncoder).encode()).decode()

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return None if text in (None, "") else json.loads(text)

    def value_to_string(self, obj):
        return self.value_from_object(obj)

    def formfield(self, form_class=None, choices_form_class=None, **kwargs):
        kwargs.setdefault("encoder", DjangoJSONEncoder)
        return models.Field.formfield(
            self, form_class or forms.JSONField, choices_form_class, **kwargs
        )


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted column of every installed model: what key rotation re-encrypts."""
    return [
        (model, field)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def allow_reencryption(connection) -> None:
    """Say, for the current transaction, that it only re-encrypts stored tokens (see
    REENCRYPTING_SETTING). Outside PostgreSQL there are no such guards."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [REENCRYPTING_SETTING])
