"""The one way to open a vetting document (R-VET-4, R-SEC-1): permission-checked and logged."""

from csp.decorators import csp_exempt
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.http import require_GET

from core.throttle import client_ip

from ..models import VettingDocument
from ..services import documents


# Not the site's Content-Security-Policy: a PDF gets `sandbox` below, and an image is shown by
# the browser's own viewer, which styles it inline (an image runs no script).
@csp_exempt()
@login_required
@require_GET
def document_file(request, pk: int):
    # Refuse before looking the document up, so outsiders cannot probe which ids exist.
    if not documents.can_read_documents(request.user):
        raise PermissionDenied
    document = get_object_or_404(VettingDocument, pk=pk)
    try:
        data = documents.read_document(
            document=document, user=request.user, ip_address=client_ip(request) or None
        )
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = documents.EXTENSIONS.get(document.content_type, "bin")
    response = HttpResponse(data, content_type=document.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="{document.kind}-{document.pk}.{extension}"'
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    if document.content_type == documents.PDF:
        response["Content-Security-Policy"] = "sandbox"
    return response


urlpatterns = [
    path("documents/<int:pk>/", document_file, name="document_file"),
]
