"""The app's URLs plus /bench/bare, a JSON view doing no work: the baseline of the benchmark."""

from django.http import JsonResponse
from django.urls import path

import config.urls


def bare_view(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare", bare_view), *config.urls.urlpatterns]
