"""The mobile API for choosing a provider (R-MAT-2): the shown recommendations, pick one, or ask
for others. Same authentication, permissions and error shape as orders/api; the views only
parse, call matching's services (matching/requests.py) and serialize."""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api import AUTH_ERRORS, ERRORS, CustomerAPIView
from core.api import validated
from orders.api.views import NOT_FOUND
from orders.models import OrderStatus

from . import requests, selectors

TAGS = ["matching"]


class ReviewOut(serializers.Serializer):
    text = serializers.CharField()
    score = serializers.FloatField()
    at = serializers.CharField()


class RecommendationOut(serializers.Serializer):
    provider_id = serializers.IntegerField()
    first_name = serializers.CharField()
    photo_url = serializers.CharField(allow_null=True)
    rating = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()
    reviews = ReviewOut(many=True)
    experience_years = serializers.IntegerField()
    service_jobs = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()


class RecommendationsOut(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["preparing", "ready", "chosen", "closed"],
        help_text=_(
            "preparing: ask again in a few seconds; ready: pick one; chosen: the offer to the "
            "chosen provider is on its way; closed: the order is no longer waiting for a "
            "choice (see order_status)."
        ),
    )
    order_status = serializers.CharField()
    recommendations = RecommendationOut(many=True)


class ChooseIn(serializers.Serializer):
    provider_id = serializers.IntegerField(min_value=1)


def _card_data(card, order, request) -> dict:
    provider = card.provider
    return {
        "provider_id": provider.pk,
        "first_name": provider.first_name,
        "photo_url": request.build_absolute_uri(provider.photo.url) if provider.photo else None,
        "rating": provider.rating_average,
        "rating_count": provider.rating_count,
        "reviews": card.reviews,
        "experience_years": provider.experience_years,
        "service_jobs": card.score.features.service_jobs,
        "reasons": [reason.text for reason in card.reasons],
        "price": card.price,
        "currency": order.currency,
    }


def _recommendations_response(request, pk, code=status.HTTP_200_OK):
    order = get_object_or_404(selectors.orders_for_choosing(customer=request.user), pk=pk)
    waiting = order.status == OrderStatus.REQUESTED
    cards = selectors.recommendation_cards(order) if waiting else []
    if not waiting:
        state = "closed"
    elif cards:
        state = "ready"
    else:
        state = "chosen" if selectors.choice_awaiting_offer(order) else "preparing"
    data = {
        "state": state,
        "order_status": order.status,
        "recommendations": [_card_data(card, order, request) for card in cards],
    }
    return Response(RecommendationsOut(data).data, status=code)


class RecommendationsView(CustomerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_recommendations",
        summary="The providers recommended for one of your orders",
        responses={200: RecommendationsOut, **AUTH_ERRORS, **NOT_FOUND},
    )
    def get(self, request, pk):
        return _recommendations_response(request, pk)


class ChooseView(CustomerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_recommendations_choose",
        summary="Pick one of the recommended providers; they get the offer",
        request=ChooseIn,
        responses={202: RecommendationsOut, **ERRORS, **NOT_FOUND},
    )
    def post(self, request, pk):
        order = get_object_or_404(selectors.orders_for_choosing(customer=request.user), pk=pk)
        data = validated(ChooseIn, request.data)
        requests.choose_provider(
            order=order, provider_id=data["provider_id"], customer=request.user
        )
        return _recommendations_response(request, pk, status.HTTP_202_ACCEPTED)


class OthersView(CustomerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_recommendations_others",
        summary="Pass over the shown providers and get others",
        request=None,
        responses={202: RecommendationsOut, **ERRORS, **NOT_FOUND},
    )
    def post(self, request, pk):
        order = get_object_or_404(selectors.orders_for_choosing(customer=request.user), pk=pk)
        requests.ask_for_other_providers(order=order, customer=request.user)
        return _recommendations_response(request, pk, status.HTTP_202_ACCEPTED)


app_name = "matching_api"

urlpatterns = [
    path(
        "v1/orders/<int:pk>/recommendations",
        RecommendationsView.as_view(),
        name="recommendations",
    ),
    path(
        "v1/orders/<int:pk>/recommendations/choose",
        ChooseView.as_view(),
        name="choose",
    ),
    path(
        "v1/orders/<int:pk>/recommendations/others",
        OthersView.as_view(),
        name="others",
    ),
]
