"""`Authorization: Bearer <token>` for the staff API."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from integrations.models import StaffToken
from integrations.staff_tokens import staff_token_in_use


class StaffTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, StaffToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _space, plaintext = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None  # no token: NotAuthenticated, a 401
        token = staff_token_in_use(plaintext.strip()) if plaintext.strip() else None
        if token is None:
            raise exceptions.AuthenticationFailed()  # not known, revoked, or its account off
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="staff API"'


class StaffTokenScheme(OpenApiAuthenticationExtension):
    """The staff API's authentication, as the OpenAPI schema names it."""

    target_class = StaffTokenAuthentication
    name = "staffToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff API token, made in the admin (Integrations → Staff tokens).",
        }
