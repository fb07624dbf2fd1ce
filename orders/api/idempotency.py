"""Idempotency-Key on the create endpoint: a retried request replays the first answer.

The key row is written in the same transaction as the order, before it: a repeat of a committed
key fails at once on the unique (user, key) index, and a concurrent repeat blocks on it until the
first commits, then fails; either re-reads the stored answer and replays it byte for byte, so
two orders are never made and nothing is checked twice. Only a successful create is stored: a
refused request (400) can be corrected and sent again with the same key.
"""

import hashlib
import json
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from ..models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length
KEEP_FOR = timedelta(hours=24)


class KeyReusedError(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used with a different request. "
        "Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"

    def __init__(self):
        super().__init__(detail={"idempotency_key": [self.default_detail]})


def key_from(request) -> str | None:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {
                "idempotency_key": [
                    _("An Idempotency-Key has at most %(max)s characters.")
                    % {"max": MAX_KEY_LENGTH}
                ]
            }
        )
    return key


def fingerprint(data) -> str:
    """SHA-256 of the body as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyKey, request_fingerprint: str) -> Response:
    if record.request_fingerprint != request_fingerprint:
        raise KeyReusedError()
    return Response(
        record.response_body,
        status=record.response_status,
        headers={REPLAYED_HEADER: "true"},
    )


def run_once(*, user, key: str, request_fingerprint: str, create) -> Response:
    """Run `create()` (returns (status, JSON-able body)) once per (user, key)."""
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                user=user,
                key=key,
                request_fingerprint=request_fingerprint,
                response_status=status.HTTP_201_CREATED,
                response_body={},
            )
            response_status, body = create()
            record.response_status = response_status
            record.response_body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
            record.save(update_fields=["response_status", "response_body"])
            # Answer with the body as stored (and encrypted: it holds the personal requests)
            # so a replay is byte for byte the first answer.
            record.refresh_from_db(fields=["response_body"])
    except IntegrityError:
        # This key was used before, or a concurrent request with it committed first: answer
        # as that one did.
        record = IdempotencyKey.objects.filter(user=user, key=key).first()
        if record is None:
            raise
        return _replay(record, request_fingerprint)
    return Response(record.response_body, status=record.response_status)


def purge_expired_keys(*, now=None) -> int:
    """Delete keys older than a day; clients retry within minutes, not days."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _details = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
