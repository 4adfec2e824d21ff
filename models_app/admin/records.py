"""Admin pages for what is only ever appended: stage and alias history, audit events; and API tokens."""
from django.contrib import admin

from ..governance import current_governance
from ..models import AliasTransition, ApiToken, AuditChainHead, AuditEvent, StageTransition
from ..selectors.audit import audit_events_visible
from .common import ReadOnlyAdmin


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    model_lookup = 'registered_model'
    list_display = ("created_at", "registered_model", "version", "from_stage", "to_stage", "actor_name",
                    "entry_point", "review_request_id")
    list_filter = ("to_stage", "entry_point")
    list_select_related = ("registered_model",)
    search_fields = ("registered_model__name", "actor_name")


@admin.register(AliasTransition)
class AliasTransitionAdmin(ReadOnlyAdmin):
    model_lookup = 'registered_model'
    list_display = ("created_at", "registered_model", "alias", "from_version", "to_version", "actor_name",
                    "entry_point")
    list_filter = ("entry_point",)
    list_select_related = ("registered_model",)
    search_fields = ("registered_model__name", "alias", "actor_name")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "action", "actor_name", "entry_point", "object_type", "object_id",
                    "registered_model_name")
    list_filter = ("action", "entry_point", "object_type")
    search_fields = ("object_id", "registered_model_name", "actor_name")

    def get_queryset(self, request):
        return audit_events_visible(request.user)


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("id", "length", "last_hash")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if current_governance().sees_whole_audit_log(request.user) else queryset.none()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `manage.py create_token` (the raw token is shown once); here they are revoked."""

    list_display = ("key_prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("user__username", "name", "key_prefix")
    # The hash is never shown nor editable: a changed hash would silently swap the token.
    fields = ("key_prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_prefix", "user", "created_at", "last_used_at")

    def get_queryset(self, request):
        """Staff superusers see every token; other staff their own."""
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def has_add_permission(self, request) -> bool:
        return False
