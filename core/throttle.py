"""A small fixed-window rate limit on the cache (Redis in production, memory when embedded)."""

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address; behind a proxy set TRUSTED_PROXY_HEADER (e.g. HTTP_X_REAL_IP)."""
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    return (header and request.META.get(header)) or request.META.get("REMOTE_ADDR", "")


def _key(scope: str, key: str) -> str:
    return f"throttle:{scope}:{key}"


def attempts(*, scope: str, key: str) -> int:
    """How many attempts (scope, key) has made in the current window."""
    return cache.get(_key(scope, key), 0)


def count_attempt(*, scope: str, key: str, window_seconds: int) -> int:
    """Count one attempt for (scope, key) and return the window's total so far."""
    cache_key = _key(scope, key)
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        return 1


def allow(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once more than `limit` fall in the window."""
    return count_attempt(scope=scope, key=key, window_seconds=window_seconds) <= limit
