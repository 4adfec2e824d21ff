"""Credentials for the APIs: `Authorization: Bearer <token>` or Basic with a password or a token.

The MLflow client sends Bearer for MLFLOW_TRACKING_TOKEN and Basic for
MLFLOW_TRACKING_USERNAME/PASSWORD; both are accepted by the MLflow API and the native API.

Wrong credentials count as failed logins for django-axes, per username and client address, exactly as the
login pages do: after REGISTRY_LOGIN_FAILURE_LIMIT failures the pair is refused with CredentialsThrottled
(429), the right password and a valid token included, until the cool-off ends.
"""
import base64
import binascii

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.contrib.auth import authenticate, user_login_failed
from django.http import HttpRequest
from django.shortcuts import render
from rest_framework import authentication, exceptions

from .services.tokens import api_token_authenticate

# The username axes counts Bearer failures under: a token names no user, so its guesses are counted per address.
BEARER_USERNAME = "<bearer token>"


class CredentialsError(Exception):
    """Credentials were sent but are wrong (as opposed to none sent)."""


class CredentialsThrottled(CredentialsError):
    """Too many wrong credentials for this username from this address: refused until the cool-off ends."""

    def __init__(self, username: str):
        super().__init__(
            f"Too many failed logins for user '{username}' from this address; try again in {_cool_off_text()}.")


def _cool_off_text() -> str:
    cool_off = get_cool_off()
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    return f"{minutes} minutes" if minutes else "a while"


def user_from_authorization_header(header: str, *, request: HttpRequest):
    """The user the header names; None when no credentials were sent; CredentialsError when wrong or throttled."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        return _checked(request, BEARER_USERNAME, lambda: api_token_authenticate(value),
                        "The API token is invalid or has been revoked.")
    if scheme == "basic":
        try:
            username, _, secret = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise CredentialsError("The Basic authorization header is malformed.") from None
        return _checked(request, username, lambda: _basic_user(request, username, secret),
                        f"Invalid username or password/token for user '{username}'.")
    return None


def _basic_user(request: HttpRequest, username: str, secret: str):
    """The user of a Basic header whose secret is one of their API tokens or their password; None otherwise."""
    user = api_token_authenticate(secret)
    if user is not None and user.get_username() == username:
        return user
    # Django's authenticate() asks axes first and reports a failure to it through user_login_failed.
    user = authenticate(request, username=username, password=secret)
    return user if user is not None and user.is_active else None


def _checked(request: HttpRequest, username: str, find_user, wrong_message: str):
    """find_user() unless `username` is locked out from this address; a failure is counted towards the lockout."""
    credentials = {"username": username}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise CredentialsThrottled(username)
    user = find_user()
    if user is not None:
        return user
    if not getattr(request, "axes_failures_since_start", None):
        # Not counted yet (a wrong token, or authenticate() was not reached): count it here.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        raise CredentialsThrottled(username)
    raise CredentialsError(wrong_message)


def client_ip_address(request: HttpRequest) -> str:
    """The client's address: the socket's, or the one REGISTRY_TRUSTED_PROXY_HOPS proxies put in X-Forwarded-For.

    Only the entries the trusted proxies appended count; anything a client wrote in the header itself is ignored.
    """
    hops = settings.REGISTRY_TRUSTED_PROXY_HOPS
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops > 0 and forwarded:
        return forwarded[-min(hops, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """What axes answers a locked-out login with: the API's own 429 stays; pages get the lockout page (429)."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    context = {"message": get_lockout_message(), "cool_off": _cool_off_text(),
               "username": (credentials or {}).get("username", "")}
    return render(request, "registration/lockout.html", context, status=429)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication over the same header rules as the MLflow API."""

    def authenticate(self, request):
        try:
            user = user_from_authorization_header(request.META.get("HTTP_AUTHORIZATION", ""),
                                                  request=request._request)
        except CredentialsThrottled as error:
            raise exceptions.Throttled(detail=str(error)) from None
        except CredentialsError as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        return (user, None) if user is not None else None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
