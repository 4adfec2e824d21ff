"""Output and input serializers of the native API. No logic: services decide, serializers shape."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import Stage
from ..models import AliasTransition, AuditEvent, ModelVersion, RegisteredModel, StageTransition


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class KeyValueField(serializers.Field):
    """Tags as a {key: value} object."""

    def to_representation(self, rows):
        return {row.key: row.value for row in rows.all()}


class StageTransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StageTransition
        fields = ["version", "from_stage", "to_stage", "actor_name", "entry_point", "reason", "review_request_id",
                  "created_at"]


class AliasTransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AliasTransition
        fields = ["alias", "from_version", "to_version", "actor_name", "entry_point", "reason", "review_request_id",
                  "created_at"]


class ModelVersionSummarySerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name")
    aliases = serializers.SerializerMethodField()
    tags = KeyValueField()
    run_id = serializers.CharField(source="run.run_uuid", default=None)
    experiment_id = serializers.CharField(source="run.experiment_id", default=None)
    logged_model_id = serializers.CharField(default=None)
    artifacts_held = serializers.BooleanField(read_only=True,
                                              help_text="False for an external source (s3://, https://…): the "
                                                        "registry records the URI but does not hold the files.")

    class Meta:
        model = ModelVersion
        fields = ["model", "version", "stage", "status", "description", "source", "storage_location",
                  "artifacts_held", "run_id",
                  "experiment_id", "logged_model_id", "content_hash", "user_id", "aliases", "tags",
                  "creation_timestamp", "last_updated_timestamp"]

    def get_aliases(self, version) -> list[str]:
        return [alias.alias for alias in version.aliases.all()]


class ModelVersionDetailSerializer(ModelVersionSummarySerializer):
    lineage = serializers.SerializerMethodField()
    stage_history = StageTransitionSerializer(many=True, source="stage_history_rows")
    alias_history = AliasTransitionSerializer(many=True, source="alias_history_rows")

    class Meta(ModelVersionSummarySerializer.Meta):
        fields = [*ModelVersionSummarySerializer.Meta.fields, "lineage", "stage_history", "alias_history"]

    def get_lineage(self, version) -> dict:
        run = version.run
        return {
            "experiment": {"id": str(run.experiment_id), "name": run.experiment.name} if run else None,
            "run": {"id": run.run_uuid, "name": run.name, "status": run.status} if run else None,
            "logged_model": {"id": version.logged_model_id} if version.logged_model_id else None,
        }


class RegisteredModelSummarySerializer(serializers.ModelSerializer):
    tags = KeyValueField()
    aliases = serializers.SerializerMethodField()
    latest_versions = serializers.SerializerMethodField()

    class Meta:
        model = RegisteredModel
        fields = ["name", "description", "tags", "aliases", "latest_versions", "creation_timestamp",
                  "last_updated_timestamp"]

    def get_aliases(self, model) -> dict[str, int]:
        return {alias.alias: alias.model_version.version for alias in model.aliases.all()}

    def get_latest_versions(self, model) -> dict[str, int]:
        """The highest version number in each stage present."""
        latest: dict[str, int] = {}
        for version in model.all_versions:
            latest[version.stage] = max(latest.get(version.stage, 0), version.version)
        return latest


class RegisteredModelDetailSerializer(RegisteredModelSummarySerializer):
    stage_history = StageTransitionSerializer(many=True, source="stage_history_rows")
    alias_history = AliasTransitionSerializer(many=True, source="alias_history_rows")

    class Meta(RegisteredModelSummarySerializer.Meta):
        fields = [*RegisteredModelSummarySerializer.Meta.fields, "stage_history", "alias_history"]


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor_name", "action", "entry_point", "object_type", "object_id",
                  "registered_model_name", "details", "prev_hash", "hash"]


class TransitionInputSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.values)
    archive_existing_versions = serializers.BooleanField(default=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    force_reason = serializers.CharField(required=False, allow_blank=True, default="")


class AliasInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    force_reason = serializers.CharField(required=False, allow_blank=True, default="")


class ForceReasonQuerySerializer(serializers.Serializer):
    """Deletions: a governance admin's break-glass reason for a governed model or version (audited)."""

    force_reason = serializers.CharField(required=False, allow_blank=True, default="")


class RenameInputSerializer(serializers.Serializer):
    new_name = serializers.CharField()
    force_reason = serializers.CharField(required=False, allow_blank=True, default="")


class StageAtQuerySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    stage = serializers.ChoiceField(choices=Stage.values, required=False)
    alias = serializers.CharField(required=False)

    def validate(self, attrs):
        if bool(attrs.get("stage")) == bool(attrs.get("alias")):
            raise serializers.ValidationError("Give exactly one of 'stage' or 'alias'.")
        return attrs


class AuditQuerySerializer(serializers.Serializer):
    model = serializers.CharField(required=False, default="")
    actor = serializers.CharField(required=False, default="")
    action = serializers.CharField(required=False, default="")
    since = serializers.DateTimeField(required=False, default=None)
    until = serializers.DateTimeField(required=False, default=None)
