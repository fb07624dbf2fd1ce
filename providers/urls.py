"""Provider-facing and vetting-staff pages. Each views module owns its URL patterns."""

from django.urls import path  # noqa: F401

app_name = "providers"

urlpatterns = []
