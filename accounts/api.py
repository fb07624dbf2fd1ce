"""The API's sign-in (a token for a phone number and password) and who may call the customers'
endpoints. Every app's customer endpoints build on `CustomerAPIView`."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from core.api import REFUSED, ErrorOut, JSONAPIView, auth_errors, validated

from .models import Role

CUSTOMERS_ONLY = _("Only customers can use this.")
# The answers every customer endpoint documents: refused (400), anonymous (401), not a customer.
AUTH_ERRORS = auth_errors(CUSTOMERS_ONLY)
ERRORS = {**REFUSED, **AUTH_ERRORS}


class IsCustomer(permissions.BasePermission):
    message = CUSTOMERS_ONLY

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and (
            request.user.role == Role.CUSTOMER
        )


class CustomerAPIView(JSONAPIView):
    permission_classes = [IsCustomer]


class TokenIn(serializers.Serializer):
    phone = serializers.CharField(
        max_length=32, help_text=_("In any usual form: 0912..., +98912...")
    )
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenOut(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send it as the header: Authorization: Token …"))


class TokenView(JSONAPIView):
    """Trade a phone number and password for an API token (customers only)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token",
        summary="Get an API token",
        request=TokenIn,
        responses={
            200: TokenOut,
            400: OpenApiResponse(ErrorOut, description=_("Wrong phone number or password.")),
            429: OpenApiResponse(ErrorOut, description=_("Too many failed attempts.")),
        },
    )
    def post(self, request):
        data = validated(TokenIn, request.data)
        # Limited by account and by address like every login (accounts.backends).
        user = authenticate(request, username=data["phone"], password=data["password"])
        if user is None:
            refusal = getattr(request, "login_refusal", None)
            if refusal is not None:
                raise refusal
            raise ValidationError(_("The phone number or password is not right."))
        if user.role != Role.CUSTOMER:
            # The password was right, so saying why reveals nothing new.
            raise exceptions.PermissionDenied(CUSTOMERS_ONLY)
        token, _created = Token.objects.get_or_create(user=user)
        return Response(TokenOut({"token": token.key}).data)


app_name = "accounts_api"

urlpatterns = [path("v1/auth/token", TokenView.as_view(), name="token")]
