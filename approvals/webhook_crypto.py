"""Webhook secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under REGISTRY_WEBHOOK_SECRET_KEY.

The key is any string; it is stretched to a Fernet key with SHA-256. A database dump alone therefore does not
reveal the secrets receivers use to trust what they are sent.
"""
import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class WebhookSecretUnreadable(Exception):
    """The stored secret was encrypted under another key (the key was changed without re-entering secrets)."""


def _fernet() -> Fernet:
    digest = hashlib.sha256(settings.REGISTRY_WEBHOOK_SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise WebhookSecretUnreadable(
            "The webhook's secret cannot be decrypted with REGISTRY_WEBHOOK_SECRET_KEY; set the secret again."
        ) from None
