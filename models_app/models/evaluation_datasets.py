"""MLflow 3 evaluation datasets (mlflow.genai.datasets): named sets of records, associated with experiments.

Not to be confused with `Dataset` (a run's input as MLflow 2 logs it) or governance's validation datasets:
these are client-writable collections of {inputs, outputs, expectations} records that MLflow's GenAI
evaluation reads.
"""
import uuid

from django.conf import settings
from django.db import models

from .base import KeyValue, now_ms
from .tracking import Experiment


def new_evaluation_dataset_id() -> str:
    return f"d-{uuid.uuid4().hex}"


def new_evaluation_record_id() -> str:
    return f"dr-{uuid.uuid4().hex}"


class EvaluationDataset(models.Model):
    dataset_id = models.CharField(max_length=36, primary_key=True, default=new_evaluation_dataset_id)
    name = models.CharField(max_length=255)
    # Changes with every write (name and time of the last update), as MLflow's does.
    digest = models.CharField(max_length=64)
    # JSON documents as MLflow reports them: the fields seen in the records, and {"num_records": N}.
    schema = models.TextField(null=True, blank=True)
    profile = models.TextField(null=True, blank=True)
    created_time = models.BigIntegerField(default=now_ms)
    last_update_time = models.BigIntegerField(default=now_ms)
    # MLflow's fields: the client's `mlflow.user` tag, as sent. The account that created the dataset is `owner`.
    created_by = models.CharField(max_length=256, null=True, blank=True)
    last_updated_by = models.CharField(max_length=256, null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="evaluation_datasets")
    experiments = models.ManyToManyField(Experiment, related_name="evaluation_datasets", blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["name"], name="eval_dataset_name_idx"),
            models.Index(fields=["-created_time", "-dataset_id"], name="eval_dataset_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.dataset_id})"


class EvaluationDatasetTag(KeyValue):
    dataset = models.ForeignKey(EvaluationDataset, on_delete=models.CASCADE, related_name="tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "key"], name="eval_dataset_tag_unique_key")]


class EvaluationDatasetRecord(models.Model):
    """One record; records with the same inputs are one record (an upsert merges into it)."""

    dataset_record_id = models.CharField(max_length=36, primary_key=True, default=new_evaluation_record_id)
    dataset = models.ForeignKey(EvaluationDataset, on_delete=models.CASCADE, related_name="records")
    # sha256 of the inputs as canonical JSON: how an upsert finds the record it updates.
    input_hash = models.CharField(max_length=64)
    inputs = models.JSONField(default=dict)
    outputs = models.JSONField(null=True, blank=True)
    expectations = models.JSONField(null=True, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    source = models.JSONField(null=True, blank=True)  # {"source_type": "HUMAN", "source_data": {...}}
    source_id = models.CharField(max_length=256, null=True, blank=True)
    source_type = models.CharField(max_length=32, null=True, blank=True)
    created_time = models.BigIntegerField(default=now_ms)
    last_update_time = models.BigIntegerField(default=now_ms)
    created_by = models.CharField(max_length=256, null=True, blank=True)
    last_updated_by = models.CharField(max_length=256, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "input_hash"], name="eval_record_unique_inputs"),
        ]
        indexes = [
            # records/get pages: (created_time, dataset_record_id) cursor within a dataset
            models.Index(fields=["dataset", "created_time", "dataset_record_id"], name="eval_record_page_idx"),
        ]

    def __str__(self) -> str:
        return self.dataset_record_id
