"""The API's authentication: `Authorization: Token <key>` checked against `ApiToken`
(accounts/services/tokens.py), and how the OpenAPI schema describes it (`tokenAuth`).

An unknown, revoked or expired key answers 401 in the one error shape with a message saying to
log in again, and `WWW-Authenticate: Token error="invalid_token", error_description="..."`
(RFC 6750's words; "The token expired" for an expired one) for the app to act on without
reading the translated message."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .services import TokenRefused, authenticate_api_token


class ApiTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except TokenRefused as refusal:
            request.token_refusal = refusal
            raise exceptions.AuthenticationFailed(refusal.message) from refusal

    def authenticate_credentials(self, key):
        token = authenticate_api_token(key=key)
        return token.user, token

    def authenticate_header(self, request):
        refusal = getattr(request, "token_refusal", None)
        if refusal is None:
            return self.keyword
        description = "The token expired" if refusal.expired else "The token is not valid"
        return f'{self.keyword} error="invalid_token", error_description="{description}"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _(
                'The token from POST /api/v1/auth/token, as "Token <key>". It expires '
                "API_TOKEN_TTL_DAYS after the login (30 days unless configured) and stops "
                "working at log-out, a password change or when the account is closed: then "
                'every request answers 401 with WWW-Authenticate: Token error="invalid_token"; '
                "log in again."
            ),
        }
