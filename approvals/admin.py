"""Admin pages for governance records: view only, since every write must go through the audited services."""
from django.contrib import admin

from models_app.admin.common import ReadOnlyAdmin

from .models import ApprovalPolicy, ModelPermission, Review, ReviewRequest, ValidationDataset


@admin.register(ModelPermission)
class ModelPermissionAdmin(ReadOnlyAdmin):
    list_display = ("registered_model", "user", "group", "level", "updated_at")
    list_filter = ("level",)
    list_select_related = ("registered_model", "user", "group")
    search_fields = ("registered_model__name", "user__username", "group__name")


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(ReadOnlyAdmin):
    list_display = ("name", "model_pattern", "protected_stages", "protected_aliases", "required_approvals",
                    "approver_group", "allow_self_approval", "require_validation", "archive_previous")
    list_select_related = ("approver_group",)
    search_fields = ("name", "model_pattern")


@admin.register(ValidationDataset)
class ValidationDatasetAdmin(ReadOnlyAdmin):
    """Uploads and deletions go through the dataset services (governance admins, hashed, audited)."""

    list_display = ("name", "file_format", "task_type", "target_column", "row_count", "content_hash", "created_by",
                    "created_at")
    list_select_related = ("created_by",)
    search_fields = ("name",)


class ReviewInline(admin.TabularInline):
    model = Review
    fields = ("reviewer_name", "decision", "comment", "content_hash", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReviewRequest)
class ReviewRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "registered_model", "action", "version_number", "target_stage", "target_alias",
                    "requester_name", "status", "created_at", "applied_at")
    list_filter = ("status", "action", "target_stage")
    list_select_related = ("registered_model",)
    search_fields = ("registered_model__name", "requester_name", "target_alias")
    inlines = [ReviewInline]
