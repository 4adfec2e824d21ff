"""Admin pages for registered models and versions.

Only descriptions are edited here, through the registry services. Stages move through the
"Move to …" actions, which call model_version_transition_stage like every other entry point;
deletions call registered_model_delete / model_version_delete, so they are authorised and audited.
"""
from django.contrib import admin, messages

from ..choices import EntryPoint, Stage
from ..exceptions import RegistryError
from ..models import ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelAlias, RegisteredModelTag
from ..services.registry import (
    model_version_delete,
    model_version_update,
    registered_model_delete,
    registered_model_update,
)
from ..services.stages import model_version_transition_stage
from .common import KeyValueInline, ReadableRowsMixin, ReadOnlyAdmin, ReadOnlyAdminMixin


class ServiceDeletionMixin:
    """Deletes through a registry service; a refusal is reported on the page instead of a 500."""

    def service_delete(self, obj, *, actor) -> None:
        raise NotImplementedError("each admin names the service that deletes its rows")

    def delete_model(self, request, obj):
        try:
            self.service_delete(obj, actor=request.user)
        except RegistryError as error:
            self.message_user(request, f"{obj} was not deleted: {error.page_message}", level=messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        # Tags, aliases and stage history go with their model or version. They are read-only here, which
        # would otherwise block the deletion; the service checks the actor's permission instead.
        return deleted, counts, set(), protected


class RegisteredModelTagInline(KeyValueInline):
    model = RegisteredModelTag


class RegisteredModelAliasInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RegisteredModelAlias
    fields = ("alias", "model_version")
    readonly_fields = fields
    extra = 0


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ReadableRowsMixin, ServiceDeletionMixin, admin.ModelAdmin):
    model_lookup = ''
    list_display = ("name", "last_version_number", "created_by", "last_updated_timestamp")
    list_select_related = ("created_by",)
    search_fields = ("name",)
    fields = ("name", "description", "last_version_number", "created_by", "creation_timestamp",
              "last_updated_timestamp")
    readonly_fields = ("name", "last_version_number", "created_by", "creation_timestamp", "last_updated_timestamp")
    inlines = [RegisteredModelTagInline, RegisteredModelAliasInline]

    def has_add_permission(self, request) -> bool:
        return False  # models are registered through the MLflow and native APIs

    def service_delete(self, obj, *, actor) -> None:
        registered_model_delete(registered_model=obj, actor=actor, entry_point=EntryPoint.ADMIN)

    def save_model(self, request, obj, form, change):
        if "description" in form.changed_data:
            registered_model_update(registered_model=obj, description=obj.description, actor=request.user,
                                    entry_point=EntryPoint.ADMIN)


class ModelVersionTagInline(KeyValueInline):
    model = ModelVersionTag


def _stage_action(stage: Stage):
    def move(modeladmin, request, queryset):
        modeladmin.stage_move(request, queryset, stage)

    move.__name__ = f"move_to_{stage.value.lower()}"
    return admin.action(description=f"Move selected versions to {stage.label}")(move)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadableRowsMixin, ServiceDeletionMixin, admin.ModelAdmin):
    model_lookup = 'registered_model'
    list_display = ("registered_model", "version", "stage", "status", "created_by", "last_updated_timestamp")
    list_filter = ("stage", "status")
    list_select_related = ("registered_model", "created_by")
    search_fields = ("registered_model__name",)
    fields = ("registered_model", "version", "stage", "holds_exclusive_stage", "description", "status",
              "status_message", "source", "storage_location", "run", "logged_model", "run_link", "user_id",
              "created_by", "content_hash", "creation_timestamp", "last_updated_timestamp")
    readonly_fields = tuple(field for field in fields if field != "description")
    inlines = [ModelVersionTagInline]
    actions = [_stage_action(stage) for stage in (Stage.STAGING, Stage.PRODUCTION, Stage.ARCHIVED, Stage.NONE)]

    def has_add_permission(self, request) -> bool:
        return False  # versions are registered through the MLflow and native APIs

    def service_delete(self, obj, *, actor) -> None:
        model_version_delete(version=obj, actor=actor, entry_point=EntryPoint.ADMIN)

    def save_model(self, request, obj, form, change):
        if "description" in form.changed_data:
            model_version_update(version=obj, description=obj.description, actor=request.user,
                                 entry_point=EntryPoint.ADMIN)

    def stage_move(self, request, queryset, stage: Stage) -> None:
        """Move each selected version through the one stage service; report refusals one by one."""
        for version in queryset.select_related("registered_model"):
            try:
                model_version_transition_stage(version=version, to_stage=stage, actor=request.user,
                                               entry_point=EntryPoint.ADMIN)
            except RegistryError as error:
                self.message_user(request, f"{version} was not moved to {stage.label}: {error.page_message}",
                                  level=messages.ERROR)
            else:
                self.message_user(request, f"{version} moved to {stage.label}.", level=messages.SUCCESS)


@admin.register(RegisteredModelTag)
class RegisteredModelTagAdmin(ReadOnlyAdmin):
    model_lookup = 'registered_model'
    list_display = ("registered_model", "key", "value")
    list_select_related = ("registered_model",)
    search_fields = ("registered_model__name", "key")


@admin.register(ModelVersionTag)
class ModelVersionTagAdmin(ReadOnlyAdmin):
    model_lookup = 'model_version__registered_model'
    list_display = ("model_version", "key", "value")
    list_select_related = ("model_version__registered_model",)
    search_fields = ("model_version__registered_model__name", "key")


@admin.register(RegisteredModelAlias)
class RegisteredModelAliasAdmin(ReadOnlyAdmin):
    model_lookup = 'registered_model'
    list_display = ("registered_model", "alias", "model_version")
    list_select_related = ("registered_model", "model_version__registered_model")
    search_fields = ("registered_model__name", "alias")
