"""What every app's REST API shares: a JSON view, one error shape and its documentation.

One error shape for the whole API: {"errors": {"<field>" or "non_field_errors": [messages]}}.
DRF's own errors keep their status codes (400, 401, 403, 404, 405, 415, 422, 429...); Django
ValidationErrors raised by services (domain refusals, translated in the request's language)
become 400, a refusal by a limit (core.throttle.Limited) 429 with Retry-After. A view may
rename domain field names to its own with `error_field_names`.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.views import APIView, exception_handler

from .throttle import Limited

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def _messages(value):
    if isinstance(value, dict):
        return {key: _messages(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_messages(item) if isinstance(item, dict | list) else str(item) for item in value]
    return [str(value)]


def _from_django(exc: DjangoValidationError, renames: dict) -> dict:
    if hasattr(exc, "error_dict"):
        errors: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            key = NON_FIELD if field == NON_FIELD_ERRORS else renames.get(field, field)
            errors.setdefault(key, []).extend(messages)
        return errors
    return {NON_FIELD: list(exc.messages)}


class LimitedOut(exceptions.Throttled):
    """A limit refused the request (core.throttle.Limited): 429 with Retry-After."""

    def __init__(self, refusal: Limited):
        super().__init__(wait=refusal.retry_after, detail=refusal.messages[0])


def api_exception_handler(exc, context):
    if isinstance(exc, Limited):
        exc = LimitedOut(exc)
    elif isinstance(exc, DjangoValidationError):
        renames = getattr(context.get("view"), "error_field_names", {})
        exc = exceptions.ValidationError(detail=_from_django(exc, renames))
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        errors = {NON_FIELD: _messages(data["detail"])}
    elif isinstance(data, dict):
        errors = {key: _messages(value) for key, value in data.items()}
    else:
        errors = {NON_FIELD: _messages(data)}
    response.data = {"errors": errors}
    return response


class ErrorOut(serializers.Serializer):
    # Documents the answer's "errors" key; never validated, so shadowing Serializer.errors
    # is harmless here.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_('Messages by field; "non_field_errors" for the request as a whole.'),
    )


def validated(serializer_class, data) -> dict:
    """The request's input checked by `serializer_class`; a 400 in the one error shape if not."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class JSONAPIView(APIView):
    """A view of the API: JSON in, JSON out, errors in the one shape."""

    parser_classes = [JSONParser]
    # Domain field names the view calls otherwise (e.g. {"service_type": "service"}).
    error_field_names: dict[str, str] = {}


def auth_errors(forbidden: str) -> dict:
    """The documented answers for anonymous (401) and not allowed (403) callers."""
    return {
        401: OpenApiResponse(ErrorOut, description=_("Not signed in.")),
        403: OpenApiResponse(ErrorOut, description=forbidden),
    }


REFUSED = {
    400: OpenApiResponse(ErrorOut, description=_("The request was refused; see the messages."))
}
