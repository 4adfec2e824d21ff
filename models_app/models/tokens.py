"""API tokens for scripts: only a hash is stored; the token itself is shown once."""
import hashlib
import secrets

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "mgr_"


def hash_token(raw_token: str) -> str:
    # Tokens are 256-bit random strings, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(raw_token.encode()).hexdigest()


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    # First characters of the token, to recognise it in lists without revealing it.
    key_prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.user} {self.key_prefix}… {self.name}"
