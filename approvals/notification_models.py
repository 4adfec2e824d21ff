"""Each user's choice about notification e-mails (none stored: e-mails on)."""
from django.conf import settings
from django.db import models


class NotificationPreference(models.Model):
    """Whether `user` is e-mailed when a request awaits them, when theirs is decided or its validation finishes."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    email_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: e-mails {'on' if self.email_enabled else 'off'}"
