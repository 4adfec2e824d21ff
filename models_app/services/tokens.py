from django.db import transaction
from django.utils import timezone

from ..choices import AuditAction
from ..models import ApiToken
from ..models.tokens import generate_token, hash_token
from .audit import audit_record
from .common import limit_text


def api_token_create(*, user, name: str = "", entry_point: str) -> tuple[str, ApiToken]:
    """Create a token for `user`; returns the raw token, which is never stored and shown only now."""
    name = limit_text(name, "name", max_length=ApiToken._meta.get_field("name").max_length)
    raw = generate_token()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, key_hash=hash_token(raw), key_prefix=raw[:12])
        audit_record(action=AuditAction.TOKEN_CREATED, actor=user, entry_point=entry_point, object_type="api_token",
                     object_id=str(token.pk), details={"name": name, "prefix": token.key_prefix})
    return raw, token


def api_token_authenticate(raw: str):
    """The active user owning `raw`, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Write the last-use time at most once a minute: a hot token must not cost a write per request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
