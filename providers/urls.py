"""Provider-facing and vetting-staff pages. Each views module owns its URL patterns."""

from django.urls import path  # noqa: F401

from .views import appeals, application, commitment, documents, staff

app_name = "providers"

urlpatterns = [
    *application.urlpatterns,
    *commitment.urlpatterns,
    *appeals.urlpatterns,
    *documents.urlpatterns,
    *staff.urlpatterns,
]
