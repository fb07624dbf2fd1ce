"""The app's URLs plus the benchmark's reference views (bench only; the app never imports it).

- /bench/bare: a JSON view doing no work, the baseline the issue's ratios divide by.
- /bench/floor/drf: Django REST framework alone (JSON parsing and rendering, no authentication)
  answering a constant: what the framework the issue asks for costs by itself.
- /bench/floor/auth: the API's own stack (DRF, token authentication, the customer permission,
  JSON parsing and rendering) answering a constant: what any API request costs before its work.
- /bench/floor/write: the same plus one row written in a transaction (an idempotency key, the
  smallest write a booking makes): what any API request that saves something costs.

They show how far below the bare view the API's requests start, whatever they do.
"""

import uuid

from django.db import transaction
from django.http import JsonResponse
from django.urls import path
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import config.urls
from orders.api.views import CustomerAPIView
from orders.models import IdempotencyKey


def bare_view(request):
    return JsonResponse({"ok": True})


class FloorDrfView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def post(self, request):
        return Response({"ok": True, "received": len(request.data)})


class FloorAuthView(CustomerAPIView):
    def post(self, request):
        return Response({"ok": True, "received": len(request.data)})


class FloorWriteView(CustomerAPIView):
    def post(self, request):
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                user=request.user,
                key=f"floor-{uuid.uuid4().hex}",
                request_fingerprint="-",
                response_status=201,
                response_body={},
            )
        return Response({"ok": True, "id": record.pk}, status=201)


urlpatterns = [
    path("bench/bare", bare_view),
    path("bench/floor/drf", FloorDrfView.as_view()),
    path("bench/floor/auth", FloorAuthView.as_view()),
    path("bench/floor/write", FloorWriteView.as_view()),
    *config.urls.urlpatterns,
]
