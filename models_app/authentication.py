"""Credentials for the APIs: `Authorization: Bearer <token>` or Basic with a password or a token.

The MLflow client sends Bearer for MLFLOW_TRACKING_TOKEN and Basic for
MLFLOW_TRACKING_USERNAME/PASSWORD; both are accepted by the MLflow API and the native API.
"""
import base64
import binascii

from django.contrib.auth import authenticate
from rest_framework import authentication, exceptions

from .services.tokens import api_token_authenticate


class CredentialsError(Exception):
    """Credentials were sent but are wrong (as opposed to none sent)."""


def user_from_authorization_header(header: str):
    """The user the header names; None when no credentials were sent; CredentialsError when wrong."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        user = api_token_authenticate(value)
        if user is None:
            raise CredentialsError("The API token is invalid or has been revoked.")
        return user
    if scheme == "basic":
        try:
            username, _, secret = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise CredentialsError("The Basic authorization header is malformed.") from None
        user = api_token_authenticate(secret)
        if user is not None and user.get_username() == username:
            return user
        user = authenticate(username=username, password=secret)
        if user is None or not user.is_active:
            raise CredentialsError(f"Invalid username or password/token for user '{username}'.")
        return user
    return None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication over the same header rules as the MLflow API."""

    def authenticate(self, request):
        try:
            user = user_from_authorization_header(request.META.get("HTTP_AUTHORIZATION", ""))
        except CredentialsError as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        return (user, None) if user is not None else None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
