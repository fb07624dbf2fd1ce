"""The API's sign-in (a new token for a phone number and password at each login), its log-out
(that token revoked) and who may call the customers' endpoints. Every app's customer endpoints
build on `CustomerAPIView`. Tokens are checked by accounts.authentication."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response

from core.api import REFUSED, ErrorOut, JSONAPIView, auth_errors, validated

from .authentication import ApiTokenAuthentication
from .models import ApiToken, Role
from .services import issue_api_token, revoke_api_token

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
    device = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=_(
            "Optional: a name for this device that stays the same across logins. Logging in "
            "again with the same name signs out that device's earlier token."
        ),
    )


class TokenOut(serializers.Serializer):
    token = serializers.CharField(
        help_text=_(
            "Send it as the header: Authorization: Token …. Shown only now: the server keeps "
            "no copy it could show again."
        )
    )
    expires_at = serializers.DateTimeField(
        help_text=_("When it stops working; then log in again for a new one.")
    )


class TokenView(JSONAPIView):
    """Trade a phone number and password for a new API token (customers only)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token",
        summary="Log in: get a new API token",
        request=TokenIn,
        responses={
            200: TokenOut,
            400: OpenApiResponse(ErrorOut, description=_("Wrong phone number or password.")),
            403: OpenApiResponse(ErrorOut, description=CUSTOMERS_ONLY),
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
        issued = issue_api_token(user=user, device=data.get("device", ""))
        return Response(TokenOut({"token": issued.key, "expires_at": issued.token.expires_at}).data)


class LogoutOut(serializers.Serializer):
    signed_out = serializers.BooleanField(
        help_text=_("Always true: the token sent no longer works.")
    )


class LogoutView(JSONAPIView):
    """Log out: the token sent stops working; the user's other devices stay signed in."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_logout",
        summary="Log out: revoke the token sent",
        request=None,
        responses={
            200: LogoutOut,
            401: OpenApiResponse(
                ErrorOut, description=_("No token, or one already expired or revoked.")
            ),
        },
    )
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            revoke_api_token(token=request.auth)
        return Response(LogoutOut({"signed_out": True}).data)


app_name = "accounts_api"

urlpatterns = [
    path("v1/auth/token", TokenView.as_view(), name="token"),
    path("v1/auth/logout", LogoutView.as_view(), name="logout"),
]
