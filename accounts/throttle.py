"""A small fixed-window rate limit on the cache (Redis in production, memory when embedded)."""

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address; behind a proxy set TRUSTED_PROXY_HEADER (e.g. HTTP_X_REAL_IP)."""
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    return (header and request.META.get(header)) or request.META.get("REMOTE_ADDR", "")


def allow(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt for (scope, key); False once more than `limit` fall in the window."""
    cache_key = f"throttle:{scope}:{key}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
