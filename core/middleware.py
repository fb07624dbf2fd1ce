"""Request middleware of the platform."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .api import NON_FIELD


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body is larger than MAX_REQUEST_BODY_BYTES with 413,
    before anything reads the body: a 300 MB POST to the login page is answered at once instead
    of being read whole. The limit sits above the largest upload (UPLOAD_MAX_BYTES), so a file
    a little too large still gets the form's own message. A body without Content-Length
    (chunked) is not read by Django at all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads a malformed length as no body
        limit = settings.MAX_REQUEST_BODY_BYTES
        if declared > limit:
            message = _("The request is too large: at most %(limit)s can be sent.") % {
                "limit": filesizeformat(limit)
            }
            if request.path_info.startswith("/api/"):  # the API's one error shape
                return JsonResponse({"errors": {NON_FIELD: [message]}}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
