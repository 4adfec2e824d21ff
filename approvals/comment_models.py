"""Comments on model versions (the Databricks registry's comments/create|update|delete)."""
from django.conf import settings
from django.db import models

from models_app.models import ModelVersion


class VersionComment(models.Model):
    """A user's comment on a model version; only its author edits or deletes it."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="version_comments")
    user_name = models.CharField(max_length=256)
    comment = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model_version", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user_name} on {self.model_version_id}: {self.comment[:40]}"
