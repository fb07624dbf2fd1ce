"""The mobile API's tokens (R-SEC-3): issued at each login, checked on each request, revoked.

A key is 32 random bytes (`secrets.token_urlsafe`), shown once, at login; the database keeps
only its SHA-256 (`ApiToken.key_hash`, unique). A key that random needs no salt or slow hash:
nobody can guess one from its digest, and checking a key costs one hash and one indexed query
whatever the key, so the answer's timing says nothing about stored keys.

Each login gets a new token (a user may hold several, one per device: a new login naming the
same device replaces that device's token, and past MAX_LIVE_TOKENS the oldest is signed out).
A token works until API_TOKEN_TTL_DAYS after the login, unless revoked first: by logging out
(that token only), or all of a user's at once when their password changes, their account is
deactivated, they are suspended or removed as a provider, or an operator signs them out
everywhere. A revoked token keeps who revoked it, when and why.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import ApiToken, TokenRevocation, User

# Live tokens one user may hold (phones, tablets); a login past it signs out the oldest.
MAX_LIVE_TOKENS = 10
# `last_used_at` is written at most this often per token, not on every request.
LAST_USED_EVERY = timedelta(minutes=5)
# Revoked and expired tokens are kept this long after they expire (who revoked them and why).
KEEP_AFTER_EXPIRY = timedelta(days=30)

EXPIRED = _("Your sign-in has expired. Log in again.")
REVOKED = _("You were signed out. Log in again.")
UNKNOWN = _("This token is not valid. Log in again.")


class TokenRefused(ValidationError):
    """The key does not authenticate anyone; `expired` says whether it only ran out of time."""

    def __init__(self, message, *, expired: bool = False):
        super().__init__(message, code="token_expired" if expired else "token_invalid")
        self.expired = expired


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the raw key: returned to the app once, never stored


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _live(user: User):
    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


@transaction.atomic
def issue_api_token(*, user: User, device: str = "") -> IssuedToken:
    """A new token for `user`, who has just logged in. The same device's earlier token and any
    beyond the MAX_LIVE_TOKENS newest are revoked."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))  # one at a time
    device = device.strip()
    if device:
        _revoke(_live(user).filter(device=device), why=TokenRevocation.REPLACED)
    surplus = list(_live(user).values_list("pk", flat=True)[MAX_LIVE_TOKENS - 1 :])
    if surplus:
        _revoke(ApiToken.objects.filter(pk__in=surplus), why=TokenRevocation.REPLACED)
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        key_hash=key_hash(key),
        user=user,
        device=device,
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS),
    )
    return IssuedToken(token=token, key=key)


def authenticate_api_token(*, key: str) -> ApiToken:
    """The live token for `key`, with its user; TokenRefused if unknown, revoked (or its user
    deactivated) or expired. Notes when it was used, at most every LAST_USED_EVERY."""
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash(key)).first()
    if token is None:
        raise TokenRefused(UNKNOWN)
    if token.revoked_at is not None or not token.user.is_active:
        raise TokenRefused(REVOKED)
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenRefused(EXPIRED, expired=True)
    stale = now - LAST_USED_EVERY
    if token.last_used_at is None or token.last_used_at <= stale:
        # Conditional: of concurrent requests at most one writes.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def _revoke(tokens, *, why: str, actor: User | None = None, note: str = "") -> int:
    return tokens.filter(revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_why=why, revoked_by=actor, revoked_note=note
    )


@transaction.atomic
def revoke_api_token(*, token: ApiToken) -> bool:
    """Log out: this token stops working, the user's others go on."""
    return _revoke(ApiToken.objects.filter(pk=token.pk), why=TokenRevocation.LOGOUT) == 1


@transaction.atomic
def revoke_api_tokens(*, user: User, why: str, actor: User | None = None, note: str = "") -> int:
    """Every token of `user` stops working (password changed, account deactivated, provider
    suspended or removed...); returns how many were still unrevoked."""
    return _revoke(ApiToken.objects.filter(user=user), why=why, actor=actor, note=note)


@transaction.atomic
def sign_out_everywhere(*, user: User, actor: User, reason: str) -> bool:
    """An operator signs `user` out of the app on every device, saying why; False when the
    user had no live token (nothing changed)."""
    revoked = _revoke(_live(user), why=TokenRevocation.OPERATOR, actor=actor, note=reason.strip())
    return revoked > 0


@transaction.atomic
def set_user_password(*, user: User, password: str | None, actor: User | None = None) -> User:
    """A new password for `user` (None: password login disabled), checked against the
    validators; every API token they hold stops working."""
    if password is None:
        user.set_unusable_password()
    else:
        password_validation.validate_password(password, user)
        user.set_password(password)
    user.save(update_fields=["password"])
    revoke_api_tokens(user=user, why=TokenRevocation.PASSWORD, actor=actor)
    return user


def purge_old_tokens() -> int:
    """Delete tokens expired more than KEEP_AFTER_EXPIRY ago (revoked or not)."""
    deleted, _by_model = ApiToken.objects.filter(
        expires_at__lt=timezone.now() - KEEP_AFTER_EXPIRY
    ).delete()
    return deleted
