"""Registered models, their versions, tags and aliases."""
from django.conf import settings
from django.db import models

from ..choices import SINGLE_OCCUPANCY_STAGES, ModelVersionStatus, Stage
from ..naming import name_normalize
from .base import KeyValue, now_ms
from .logged_models import LoggedModel
from .tracking import Run


class RegisteredModel(models.Model):
    """A named model; its versions are numbered from a counter that never goes back."""

    name = models.CharField(max_length=256, unique=True)
    # name_normalize(name): unique, so a look-alike of an existing name (case, width, invisible characters,
    # spaces) cannot be registered beside it and escape the policies that match the original.
    normalized_name = models.CharField(max_length=256, unique=True)
    description = models.TextField(blank=True)
    creation_timestamp = models.BigIntegerField(default=now_ms)
    last_updated_timestamp = models.BigIntegerField(default=now_ms)
    # The last version number handed out. Allocation locks this row; a deleted version's number
    # is never reused, so an approval can never come to point at a different model.
    last_version_number = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.normalized_name = name_normalize(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "normalized_name"}
        super().save(*args, **kwargs)


class RegisteredModelTag(KeyValue):
    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registered_model", "key"], name="model_tag_unique_key")]


# The storage locations of files the registry holds itself start with this (models_app/services/artifacts.py).
HELD_ARTIFACTS_SCHEME = "mlflow-artifacts:"


class ModelVersion(models.Model):
    """One registered version of a model. Its stage changes only through model_version_transition_stage."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=1000)
    # Where the files are, resolved at registration (a logged model's artifact URI for models:/m-… sources).
    storage_location = models.CharField(max_length=1000, blank=True)
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="model_versions")
    logged_model = models.ForeignKey(
        LoggedModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="model_versions"
    )
    run_link = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=32, choices=ModelVersionStatus.choices, default=ModelVersionStatus.READY)
    status_message = models.TextField(blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NONE)
    # True while the version occupies a single-occupancy stage; the partial unique constraint below
    # makes "one version per model in Production/Staging" a database rule, not only a Python one.
    holds_exclusive_stage = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    user_id = models.CharField(max_length=256, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # sha256 over the version's artifact files, recorded at registration.
    content_hash = models.CharField(max_length=64, blank=True)
    creation_timestamp = models.BigIntegerField(default=now_ms)
    last_updated_timestamp = models.BigIntegerField(default=now_ms)

    class Meta:
        ordering = ["registered_model__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "version"], name="model_version_unique_number"),
            models.UniqueConstraint(
                fields=["registered_model", "stage"],
                condition=models.Q(holds_exclusive_stage=True),
                name="model_version_single_occupancy",
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=[stage.value for stage in Stage]), name="model_version_stage_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(holds_exclusive_stage=False)
                | models.Q(stage__in=sorted(stage.value for stage in SINGLE_OCCUPANCY_STAGES)),
                name="model_version_exclusive_only_in_active_stage",
            ),
        ]
        indexes = [
            # model-versions/search default order and get-latest-versions per stage
            models.Index(fields=["registered_model", "stage", "-version"], name="model_version_stage_idx"),
            models.Index(fields=["-last_updated_timestamp"], name="model_version_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.registered_model.name} v{self.version}"

    @property
    def name(self) -> str:
        return self.registered_model.name

    @property
    def artifacts_held(self) -> bool:
        """Whether this registry holds the version's files (False: an external source, e.g. s3:// or https://).

        Registration records an external source as the storage location itself; files in the registry's store are
        recorded as `mlflow-artifacts:/<path>` (models_app/services/sources.py).
        """
        return self.storage_location.startswith(HELD_ARTIFACTS_SCHEME)


class ModelVersionTag(KeyValue):
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model_version", "key"], name="model_version_tag_unique_key")]


class RegisteredModelAlias(models.Model):
    """A named pointer (e.g. @champion) to one version of a model."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=256)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        ordering = ["alias"]
        constraints = [models.UniqueConstraint(fields=["registered_model", "alias"], name="model_alias_unique")]

    def __str__(self) -> str:
        return f"{self.registered_model.name}@{self.alias}"
