"""Experiments, runs and what runs log: params, metrics, tags, dataset inputs and model outputs."""
from django.conf import settings
from django.db import models

from ..choices import LifecycleStage, RunStatus
from .base import KeyValue, new_run_id, now_ms


class Experiment(models.Model):
    """A named group of runs. Experiment 0, "Default", always exists (created by a migration)."""

    name = models.CharField(max_length=500, unique=True)
    artifact_location = models.CharField(max_length=1000, blank=True)
    lifecycle_stage = models.CharField(max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.ACTIVE)
    creation_time = models.BigIntegerField(default=now_ms)
    last_update_time = models.BigIntegerField(default=now_ms)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-creation_time"]

    def __str__(self) -> str:
        return self.name

    @property
    def experiment_id(self) -> str:
        return str(self.pk)


class ExperimentTag(KeyValue):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "key"], name="experiment_tag_unique_key")]


class Run(models.Model):
    """One execution of training code. Parent runs are linked through the mlflow.parentRunId tag."""

    run_uuid = models.CharField(max_length=32, primary_key=True, default=new_run_id)
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="runs")
    name = models.CharField(max_length=250, blank=True)
    user_id = models.CharField(max_length=256, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    start_time = models.BigIntegerField(null=True, blank=True)
    end_time = models.BigIntegerField(null=True, blank=True)
    lifecycle_stage = models.CharField(max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.ACTIVE)
    deleted_time = models.BigIntegerField(null=True, blank=True)
    artifact_uri = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-start_time"]
        indexes = [
            # runs/search: runs of an experiment in MLflow's default order (newest first, then by id), so a
            # page is read off the index instead of sorting every run of the experiment. On PostgreSQL the
            # migration makes it "start_time DESC NULLS LAST" to match that order exactly (SQLite puts NULLs
            # last in a DESC index already, and refuses the modifier in indexes).
            models.Index(fields=["experiment", "lifecycle_stage", "-start_time", "run_uuid"],
                         name="run_experiment_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.run_uuid

    @property
    def run_id(self) -> str:
        return self.run_uuid


class Param(KeyValue):
    """A run parameter: written once per key, never changed."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="params")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="param_unique_run_key")]


class RunTag(KeyValue):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="run_tag_unique_key")]
        indexes = [
            # child runs: tags.mlflow.parentRunId = <run>
            models.Index(
                fields=["key", "value"], name="run_tag_key_value_idx", condition=models.Q(key="mlflow.parentRunId")
            ),
        ]


class Metric(models.Model):
    """One point of a metric's history; every point is kept."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="metrics")
    key = models.CharField(max_length=250)
    value = models.FloatField(null=True)  # NULL stores NaN, which databases reject in float columns
    is_nan = models.BooleanField(default=False)
    timestamp = models.BigIntegerField()
    step = models.BigIntegerField(default=0)
    model_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            # metrics/get-history: one run's key in step order
            models.Index(fields=["run", "key", "step", "timestamp"], name="metric_history_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}[{self.step}]={self.value}"


class LatestMetric(models.Model):
    """The latest value per (run, key), by MLflow's order (step, timestamp, value); used to search and sort."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="latest_metrics")
    key = models.CharField(max_length=250)
    value = models.FloatField(null=True)
    is_nan = models.BooleanField(default=False)
    timestamp = models.BigIntegerField()
    step = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="latest_metric_unique_run_key")]
        indexes = [
            # runs/search: metrics.<key> <op> <value> and order by metrics.<key>
            models.Index(fields=["key", "value"], name="latest_metric_key_value_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class Dataset(models.Model):
    """A dataset as MLflow describes it (name, digest, source); runs reference it as inputs."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=500)
    digest = models.CharField(max_length=36)
    source_type = models.CharField(max_length=36)
    source = models.TextField()
    schema = models.TextField(blank=True)
    profile = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name", "digest"], name="dataset_unique_name_digest")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.digest})"


class RunInput(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="inputs")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="run_inputs")
    tags = models.JSONField(default=list, blank=True)  # [{"key": "mlflow.data.context", "value": "training"}]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "dataset"], name="run_input_unique_dataset")]

    def __str__(self) -> str:
        return f"{self.run_id} <- {self.dataset}"


class RunOutput(models.Model):
    """A logged model produced by a run (runs/outputs)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="outputs")
    model_id = models.CharField(max_length=64)
    step = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "model_id"], name="run_output_unique_model")]

    def __str__(self) -> str:
        return f"{self.run_id} -> {self.model_id}"


class RunModelInput(models.Model):
    """A logged model a run used as an input (runs/log-inputs with `models`), e.g. the model it evaluated."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="model_inputs")
    model_id = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "model_id"], name="run_model_input_unique_model")]

    def __str__(self) -> str:
        return f"{self.run_id} <- {self.model_id}"
