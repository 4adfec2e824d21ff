"""Output and input serializers of the approvals API. No logic: services decide, serializers shape."""
from rest_framework import serializers

from models_app.governance import PermissionLevel

from ..choices import ReviewRequestStatus
from ..models import ApprovalPolicy, ModelPermission, Review, ReviewRequest


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["reviewer_name", "decision", "comment", "content_hash", "created_at"]


class ReviewRequestSummarySerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name")
    version = serializers.IntegerField(source="version_number")
    requester = serializers.CharField(source="requester_name")
    policy = serializers.CharField(source="policy_snapshot.name", default=None)

    class Meta:
        model = ReviewRequest
        fields = ["id", "model", "version", "target_stage", "target_alias", "status", "status_message", "requester",
                  "comment", "policy", "created_at", "decided_at", "applied_at"]


class ReviewRequestDetailSerializer(ReviewRequestSummarySerializer):
    reviews = ReviewSerializer(many=True)

    class Meta(ReviewRequestSummarySerializer.Meta):
        fields = [*ReviewRequestSummarySerializer.Meta.fields, "content_hash", "policy_snapshot",
                  "version_stage_at_request", "reviews"]


class ReviewRequestCreateSerializer(serializers.Serializer):
    model = serializers.CharField()
    version = serializers.IntegerField(min_value=1)
    stage = serializers.CharField(required=False, allow_blank=True, default="")
    alias = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if bool(attrs["stage"]) == bool(attrs["alias"]):
            raise serializers.ValidationError("Give exactly one of 'stage' or 'alias'.")
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
    model = serializers.CharField(source="registered_model.name", default=None)
    approver_group = serializers.CharField(source="approver_group.name", default=None)

    class Meta:
        model = ApprovalPolicy
        fields = ["id", "name", "model", "protected_stages", "protected_aliases", "required_approvals",
                  "approver_group", "allow_self_approval", "require_validation", "archive_previous", "created_at",
                  "updated_at"]


class PolicyInputSerializer(serializers.Serializer):
    """Policy settings; `model` (create only) scopes it to one model, absent means the global policy."""

    name = serializers.CharField(max_length=200)
    model = serializers.CharField(required=False, allow_null=True, default=None)
    protected_stages = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    protected_aliases = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    required_approvals = serializers.IntegerField(min_value=1, required=False, default=1)
    approver_group = serializers.CharField(required=False, allow_null=True, default=None)
    allow_self_approval = serializers.BooleanField(required=False, default=False)
    require_validation = serializers.BooleanField(required=False, default=False)
    archive_previous = serializers.BooleanField(required=False, default=True)


class PermissionSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default=None)
    group = serializers.CharField(source="group.name", default=None)
    level = serializers.SerializerMethodField()

    class Meta:
        model = ModelPermission
        fields = ["user", "group", "level", "updated_at"]

    def get_level(self, grant) -> str:
        return PermissionLevel(grant.level).name


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
