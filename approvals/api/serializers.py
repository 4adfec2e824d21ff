"""Output and input serializers of the approvals API. No logic: services decide, serializers shape."""
from rest_framework import serializers

from models_app.governance import ExperimentLevel, PermissionLevel

from ..choices import ReviewAction, ReviewRequestStatus, TaskType, ValidationStatus
from ..models import (
    ApprovalPolicy,
    ExperimentPermission,
    ModelPermission,
    Review,
    ReviewRequest,
    ValidationCheck,
    ValidationDataset,
    ValidationRun,
)


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["reviewer_name", "decision", "comment", "content_hash", "created_at"]


class ReviewRequestSummarySerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name")
    version = serializers.IntegerField(source="version_number", allow_null=True)
    requester = serializers.CharField(source="requester_name")
    policy = serializers.CharField(source="policy_snapshot.name", default=None)
    target = serializers.CharField(source="target_label", help_text="What the request asks for, in words.")

    class Meta:
        model = ReviewRequest
        fields = ["id", "model", "version", "action", "target", "target_stage", "target_alias", "new_name", "status",
                  "status_message", "requester", "comment", "policy", "created_at", "decided_at", "applied_at"]


class ReviewRequestDetailSerializer(ReviewRequestSummarySerializer):
    reviews = ReviewSerializer(many=True)
    validation = serializers.SerializerMethodField()

    class Meta(ReviewRequestSummarySerializer.Meta):
        fields = [*ReviewRequestSummarySerializer.Meta.fields, "content_hash", "policy_snapshot", "evidence",
                  "version_stage_at_request", "reviews", "validation"]

    def get_validation(self, request) -> dict | None:
        """The request's latest validation run, as evidence (its checks at /validation-runs/{id}/)."""
        latest = self.context.get("latest_validation")
        return ValidationRunSummarySerializer(latest).data if latest is not None else None


class ReviewRequestCreateSerializer(serializers.Serializer):
    """`move` (the default): a version into `stage` (entering it, or leaving a protected one for it), behind
    `alias`, or both at once (`stage` Production and `alias` champion: approved once, applied together);
    `remove_alias`: remove `alias`; `delete_version`: delete `version`; `delete_model`; `rename_model` to
    `new_name`."""

    model = serializers.CharField()
    action = serializers.ChoiceField(choices=ReviewAction.values, required=False, default=ReviewAction.MOVE)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    stage = serializers.CharField(required=False, allow_blank=True, default="")
    alias = serializers.CharField(required=False, allow_blank=True, default="")
    new_name = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        action = attrs["action"]
        if action == ReviewAction.MOVE and not (attrs["stage"] or attrs["alias"]):
            raise serializers.ValidationError("A move names a 'stage', an 'alias', or both (applied together).")
        if action in (ReviewAction.MOVE, ReviewAction.DELETE_VERSION) and attrs["version"] is None:
            raise serializers.ValidationError({"version": f"A '{action}' request names a version."})
        if action == ReviewAction.REMOVE_ALIAS and not attrs["alias"]:
            raise serializers.ValidationError({"alias": "A 'remove_alias' request names the alias."})
        if action == ReviewAction.RENAME_MODEL and not attrs["new_name"]:
            raise serializers.ValidationError({"new_name": "A 'rename_model' request names the new name."})
        return attrs


class ReviewRequestQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReviewRequestStatus.values, required=False)
    model = serializers.CharField(required=False)
    stage = serializers.CharField(required=False)
    mine = serializers.BooleanField(required=False, default=False)
    awaiting_me = serializers.BooleanField(required=False, default=False)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PolicySerializer(serializers.ModelSerializer):
    approver_group = serializers.CharField(source="approver_group.name", default=None)
    validation_datasets = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = ApprovalPolicy
        fields = ["id", "name", "model_pattern", "protected_stages", "protected_aliases", "required_approvals",
                  "approver_group", "allow_self_approval", "require_validation", "archive_previous",
                  "metric_thresholds", "champion_thresholds", "validation_datasets", "created_at", "updated_at"]


class PolicyInputSerializer(serializers.Serializer):
    """Policy settings; `model_pattern` is a model name or a shell-style pattern (`fraud-*`), `*` for every model."""

    name = serializers.CharField(max_length=200)
    model_pattern = serializers.CharField(max_length=256)
    protected_stages = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    protected_aliases = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    required_approvals = serializers.IntegerField(min_value=1, required=False, default=1)
    approver_group = serializers.CharField(required=False, allow_null=True, default=None)
    allow_self_approval = serializers.BooleanField(required=False, default=False)
    require_validation = serializers.BooleanField(required=False, default=False)
    archive_previous = serializers.BooleanField(required=False, default=True)
    # Shapes are checked by the policy service, which names the faulty entry.
    metric_thresholds = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    champion_thresholds = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    validation_datasets = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                                help_text="Names of validation datasets.")


class PermissionSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default=None)
    group = serializers.CharField(source="group.name", default=None)
    level = serializers.SerializerMethodField()

    class Meta:
        model = ModelPermission
        fields = ["user", "group", "level", "updated_at"]

    def get_level(self, grant) -> str:
        return PermissionLevel(grant.level).name


class ExperimentPermissionSerializer(PermissionSerializer):
    class Meta(PermissionSerializer.Meta):
        model = ExperimentPermission

    def get_level(self, grant) -> str:
        return ExperimentLevel(grant.level).name


class PermissionInputSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, allow_null=True, default=None)
    group = serializers.CharField(required=False, allow_null=True, default=None)
    level = serializers.CharField(allow_null=True)

    def validate(self, attrs):
        if bool(attrs["user"]) == bool(attrs["group"]):
            raise serializers.ValidationError("Give exactly one of 'user' or 'group'.")
        return attrs


class RollbackInputSerializer(CommentSerializer):
    stage = serializers.CharField(required=False, allow_blank=True, default="")
    alias = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if bool(attrs["stage"]) == bool(attrs["alias"]):
            raise serializers.ValidationError("Give exactly one of 'stage' or 'alias'.")
        return attrs


class ValidationCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = ValidationCheck
        fields = ["position", "kind", "name", "status", "observed", "expected", "message", "details", "finished_at"]


class ValidationRunSummarySerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name")
    version = serializers.IntegerField(source="version_number")
    champion_version = serializers.IntegerField(source="champion_version_number", allow_null=True)
    policy = serializers.CharField(source="policy_name")
    requested_by = serializers.CharField(source="requested_by_name")
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ValidationRun
        fields = ["id", "model", "version", "review_request", "target_stage", "target_alias", "champion_version",
                  "policy", "status", "summary", "progress", "requested_by", "content_hash", "attempts",
                  "created_at", "started_at", "finished_at"]

    def get_progress(self, run) -> dict:
        """Checks done out of the total (annotated by the selector)."""
        return {"done": run.checks_done, "total": run.checks_total}


class ValidationRunDetailSerializer(ValidationRunSummarySerializer):
    checks = ValidationCheckSerializer(many=True)

    class Meta(ValidationRunSummarySerializer.Meta):
        fields = [*ValidationRunSummarySerializer.Meta.fields, "config", "checks"]


class ValidationRunCreateSerializer(serializers.Serializer):
    """On demand: a version, and optionally the target whose policy's checks and champion apply."""

    model = serializers.CharField()
    version = serializers.IntegerField(min_value=1)
    stage = serializers.CharField(required=False, allow_blank=True, default="")
    alias = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["stage"] and attrs["alias"]:
            raise serializers.ValidationError("Give at most one of 'stage' or 'alias'.")
        return attrs


class ValidationRunQuerySerializer(serializers.Serializer):
    model = serializers.CharField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)
    review_request = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=ValidationStatus.values, required=False)


class ValidationDatasetSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = ValidationDataset
        fields = ["id", "name", "description", "file_format", "target_column", "task_type", "columns", "row_count",
                  "size_bytes", "content_hash", "created_by", "created_at"]


class ValidationDatasetInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    file = serializers.FileField()
    target_column = serializers.CharField(max_length=256)
    task_type = serializers.ChoiceField(choices=TaskType.values)
    description = serializers.CharField(required=False, allow_blank=True, default="")
