"""What every app's REST API shares: a JSON view, one error shape and its documentation.

One error shape for the whole API: {"errors": {"<field>" or "non_field_errors": [messages]}};
a nested field is named by its path ("person_cared_for.age", "options.0"). DRF's own errors keep
their status codes (400, 401, 403, 404, 405, 415, 422, 429...); Django ValidationErrors raised
by services (domain refusals, translated in the request's language) become 400, a refusal by a
limit (core.throttle.Limited) 429 with Retry-After. A view may rename domain field names to its
own with `error_field_names`. A URL under /api/ that matches nothing is a 404 in the same shape
(`page_not_found`, config/urls.py's handler404), lists are paged by `Pagination`, and the schema
says which strings may not be blank (`AutoSchema`).
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.views import APIView, exception_handler

from .throttle import Limited

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def _flat_errors(value, path: str = "") -> dict[str, list[str]]:
    """DRF's errors, however nested, as {field: [messages]}: a nested field named by its path
    ("person_cared_for.age", "options.0"), a nested serializer's own errors under its name."""
    errors: dict[str, list[str]] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            own = key in (NON_FIELD, NON_FIELD_ERRORS) and path
            inner = path if own else f"{path}.{key}" if path else str(key)
            for field, messages in _flat_errors(item, inner).items():
                errors.setdefault(field, []).extend(messages)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            inner = f"{path}.{index}" if isinstance(item, dict | list | tuple) else path
            for field, messages in _flat_errors(item, inner).items():
                errors.setdefault(field, []).extend(messages)
    else:
        errors[path or NON_FIELD] = [str(value)]
    return errors


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
        data = {NON_FIELD: data["detail"]}
    response.data = {"errors": _flat_errors(data)}
    return response


def page_not_found(request, exception):
    """config/urls.py's handler404: a URL under /api/ that matches nothing (a misspelt path, an
    id that is not a number) answers in the one error shape; pages keep Django's own."""
    if request.path_info.startswith("/api/"):
        message = str(exceptions.NotFound.default_detail)
        return JsonResponse({"errors": {NON_FIELD: [message]}}, status=404)
    return defaults.page_not_found(request, exception)


class ErrorOut(serializers.Serializer):
    # Documents the answer's "errors" key; never validated, so shadowing Serializer.errors
    # is harmless here.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_(
            'Messages by field, a nested one by its path ("person_cared_for.age"); '
            '"non_field_errors" for the request as a whole.'
        ),
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


NOT_FOUND_PAGE = {404: OpenApiResponse(ErrorOut, description=_("No such page: past the last one."))}
MAX_PAGE_SIZE = 100


class PageQuery(serializers.Serializer):
    page = serializers.IntegerField(
        min_value=1, required=False, help_text=_("Page number, from 1.")
    )
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        required=False,
        help_text=_("How many per page; 20 unless given."),
    )


class Pagination(pagination.PageNumberPagination):
    """Pages of a list. `page` and `page_size` are checked like any input (`PageQuery`: a 400 in
    the one error shape for "-3", "null" or 500); a page past the last is a 404
    (`NOT_FOUND_PAGE`). A view documents them with parameters=[PageQuery]."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.query = validated(PageQuery, request.query_params)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        return self.query.get("page_size", self.page_size)

    def get_page_number(self, request, paginator):
        return self.query.get("page", 1)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, saying which request strings may not be blank: a CharField
    that refuses "" (and, trimming, "  ") has minLength 1 and must hold a non-space character.
    Every input and output is its own serializer here (…In, …Out), so saying it of requests
    only is exact."""

    # drf-spectacular's hook for a field's constraints (pinned in pyproject.toml);
    # tests/core/test_api_errors.py checks every request field against its serializer.
    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and not field.read_only
        ):
            meta.setdefault("minLength", 1)
            own_pattern = any(isinstance(v, RegexValidator) for v in field.validators)
            if field.trim_whitespace and not own_pattern:
                meta["pattern"] = r"\S"
        return meta


class LocalTimeScheme(OpenApiSerializerFieldExtension):
    """A TimeField is a local wall-clock time ("10:00", "10:00:00"), not OpenAPI's "time"
    format, which needs an offset."""

    target_class = serializers.TimeField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
            "example": "10:00",
        }
