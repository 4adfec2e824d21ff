"""Stage and alias history: the answer to "what was in Production (or behind @champion) at time T".

Rows keep the version number rather than a foreign key to the version, so history outlives a deleted
version. `review_request_id` refers to the approvals app without importing it.
"""
from django.conf import settings
from django.db import models

from ..choices import EntryPoint, Stage
from .registry import RegisteredModel


class TransitionRecord(models.Model):
    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=256, blank=True)
    entry_point = models.CharField(max_length=32, choices=EntryPoint.choices)
    reason = models.TextField(blank=True)
    review_request_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class StageTransition(TransitionRecord):
    version = models.PositiveIntegerField()
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)

    class Meta(TransitionRecord.Meta):
        indexes = [
            # stage-at-time: a model's transitions up to T
            models.Index(fields=["registered_model", "created_at"], name="stage_transition_model_idx"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}: {self.from_stage} -> {self.to_stage}"


class AliasTransition(TransitionRecord):
    alias = models.CharField(max_length=256)
    from_version = models.PositiveIntegerField(null=True, blank=True)
    to_version = models.PositiveIntegerField(null=True, blank=True)  # None: alias deleted

    class Meta(TransitionRecord.Meta):
        indexes = [
            models.Index(fields=["registered_model", "alias", "created_at"], name="alias_transition_model_idx"),
        ]

    def __str__(self) -> str:
        return f"@{self.alias}: v{self.from_version} -> v{self.to_version}"
