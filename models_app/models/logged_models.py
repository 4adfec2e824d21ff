"""MLflow 3 logged models: a model logged by a run, with its own id and artifact location."""
from django.db import models

from ..choices import LifecycleStage, LoggedModelStatus
from .base import KeyValue, new_logged_model_id, now_ms
from .tracking import Experiment, Run


class LoggedModel(models.Model):
    model_id = models.CharField(max_length=64, primary_key=True, default=new_logged_model_id)
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="logged_models")
    name = models.CharField(max_length=500)
    # No database constraint: MLflow records the source run id as the client sends it, run known here or not.
    source_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
                                   related_name="logged_models")
    artifact_location = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=32, choices=LoggedModelStatus.choices, default=LoggedModelStatus.PENDING)
    status_message = models.TextField(blank=True)
    model_type = models.CharField(max_length=500, blank=True)
    lifecycle_stage = models.CharField(max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.ACTIVE)
    creation_timestamp_ms = models.BigIntegerField(default=now_ms)
    last_updated_timestamp_ms = models.BigIntegerField(default=now_ms)

    class Meta:
        ordering = ["-creation_timestamp_ms"]
        indexes = [
            # logged-models/search: name = '<name>' within experiments
            models.Index(fields=["experiment", "name"], name="logged_model_exp_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model_id})"


class LoggedModelParam(KeyValue):
    logged_model = models.ForeignKey(LoggedModel, on_delete=models.CASCADE, related_name="params")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["logged_model", "key"], name="logged_model_param_unique_key")]


class LoggedModelTag(KeyValue):
    logged_model = models.ForeignKey(LoggedModel, on_delete=models.CASCADE, related_name="tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["logged_model", "key"], name="logged_model_tag_unique_key")]


class LoggedModelMetric(models.Model):
    """A metric point attributed to a logged model (log-batch with model_id)."""

    logged_model = models.ForeignKey(LoggedModel, on_delete=models.CASCADE, related_name="metrics")
    run_id = models.CharField(max_length=32, blank=True)
    key = models.CharField(max_length=250)
    value = models.FloatField(null=True)
    timestamp = models.BigIntegerField()
    step = models.BigIntegerField(default=0)
    dataset_name = models.CharField(max_length=500, blank=True)
    dataset_digest = models.CharField(max_length=36, blank=True)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
