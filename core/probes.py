"""The operators' doors, answered before the rest of the middleware: /healthz, /readyz, /metrics.

`OperationsMiddleware` comes right after django-prometheus's first middleware. For every request
it sets the request id the logs carry (core.logs; taken from a well-formed `X-Request-ID`
header, as a proxy may send, else new) and returns it in `X-Request-ID`. A GET or HEAD of one of
the three paths is answered at once, so probes need no login, no session, no language
redirect, no CSRF token and no allowed host name (load balancers probe by address), are never
rate limited, and cost no more than their checks:

- `/healthz`: the process answers; touches nothing. 200 "ok".
- `/readyz`: core.health's checks as JSON; 200 when none failed, else 503.
- `/metrics`: Prometheus' text format (core.metrics), for the addresses in
  METRICS_ALLOWED_ADDRESSES or a request with `Authorization: Bearer <METRICS_TOKEN>`; 403 for
  others; 404 when neither is configured (the default in production).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from prometheus_client import CONTENT_TYPE_LATEST

from . import health, metrics
from .logs import request_id
from .throttle import client_ip

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def readyz(request: HttpRequest) -> HttpResponse:
    outcome = health.readiness()
    ready = health.is_ready(outcome)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {name: check.as_json() for name, check in outcome.items()},
    }
    response = JsonResponse(body, status=200 if ready else 503, json_dumps_params={"indent": 1})
    # core.health logged each failure once; Django would log every 503 probe again, at ERROR
    # (an error report each, with Sentry on).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _allowed_address(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.METRICS_ALLOWED_ADDRESSES
    )


def _bearer_token_matches(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics_page(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_ADDRESSES:
        return HttpResponse(_("Not found"), status=404, content_type="text/plain")
    if not (_allowed_address(request) or _bearer_token_matches(request)):
        return HttpResponse(_("Forbidden"), status=403, content_type="text/plain")
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


PROBES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_page}


class OperationsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        current = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(current)
        try:
            probe = PROBES.get(request.path_info.rstrip("/") or "/")
            if probe is not None and request.method in ("GET", "HEAD"):
                # Before the locale middleware: answered in the default language.
                with translation.override(settings.LANGUAGE_CODE):
                    response = probe(request)
                response["Cache-Control"] = "no-store"
                response["X-Content-Type-Options"] = "nosniff"
            else:
                response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = current
        return response
