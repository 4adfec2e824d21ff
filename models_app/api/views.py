"""Native REST API over the registry: models, versions, history, audit events.

Each view fetches through selectors and changes state through one service; domain errors are
translated by api/exception_handlers.py.
"""
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, pagination, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..choices import EntryPoint
from ..models import ModelVersion
from ..selectors import registry as registry_selectors
from ..selectors.audit import audit_events_filtered
from ..services.registry import model_version_delete, registered_model_delete, registered_model_rename
from ..services.stages import model_version_transition_stage, registered_model_alias_delete, registered_model_alias_set
from . import serializers


def cursor_pagination(field: str) -> type[pagination.CursorPagination]:
    return type(f"CursorBy{field.strip('-').title()}", (pagination.CursorPagination,),
                {"ordering": field, "page_size_query_param": "page_size", "max_page_size": 500})


def _force_reason(request: Request) -> str:
    query = serializers.ForceReasonQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["force_reason"]


class RegisteredModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Registered models with their tags, aliases and latest version per stage.

    Deleting or renaming a governed model needs an approved review request (which applies it) or a governance
    admin's `force_reason`."""

    lookup_field = "name"
    lookup_value_converter = "str"
    pagination_class = cursor_pagination("name")
    serializer_class = serializers.RegisteredModelSummarySerializer

    def get_queryset(self) -> QuerySet:
        models = registry_selectors.registered_models_visible(self.request.user)
        if search := self.request.query_params.get("q"):
            models = models.filter(name__icontains=search)
        return registry_selectors.registered_model_with_details(models)

    def retrieve(self, request: Request, name: str) -> Response:
        model = self._model(name)
        return Response(serializers.RegisteredModelDetailSerializer(model).data)

    def _model(self, name: str):
        found = registry_selectors.registered_model_get(name=name, actor=self.request.user)
        model = registry_selectors.registered_model_with_details(type(found).objects.filter(pk=found.pk)).get()
        model.stage_history_rows = list(registry_selectors.stage_history(registered_model=model))
        model.alias_history_rows = list(registry_selectors.alias_history(registered_model=model))
        return model

    @extend_schema(parameters=[serializers.ForceReasonQuerySerializer], responses={204: None})
    def destroy(self, request: Request, name: str) -> Response:
        registered_model_delete(registered_model=registry_selectors.registered_model_get(name=name, actor=request.user),
                                actor=request.user, entry_point=EntryPoint.NATIVE_API,
                                force_reason=_force_reason(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=serializers.RenameInputSerializer, responses=serializers.RegisteredModelDetailSerializer)
    @action(detail=True, methods=["post"])
    def rename(self, request: Request, name: str) -> Response:
        body = serializers.RenameInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        renamed = registered_model_rename(
            registered_model=registry_selectors.registered_model_get(name=name, actor=request.user),
            new_name=body.validated_data["new_name"], actor=request.user, entry_point=EntryPoint.NATIVE_API,
            force_reason=body.validated_data["force_reason"])
        return Response(serializers.RegisteredModelDetailSerializer(self._model(renamed.name)).data)

    @extend_schema(parameters=[serializers.StageAtQuerySerializer])
    @action(detail=True, methods=["get"], url_path="stage-at")
    def stage_at(self, request: Request, name: str) -> Response:
        """What was in a stage, or behind an alias, at a given time."""
        query = serializers.StageAtQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        model = registry_selectors.registered_model_get(name=name, actor=request.user)
        at, stage, alias = (query.validated_data.get(key) for key in ("at", "stage", "alias"))
        if stage:
            versions = registry_selectors.stage_occupants_at(registered_model=model, stage=stage, at=at)
            return Response({"model": model.name, "stage": stage, "at": at, "versions": versions})
        version = registry_selectors.alias_target_at(registered_model=model, alias=alias, at=at)
        return Response({"model": model.name, "alias": alias, "at": at, "version": version})

    @extend_schema(request=serializers.AliasInputSerializer, parameters=[serializers.ForceReasonQuerySerializer])
    @action(detail=True, methods=["put", "delete"], url_path="aliases/<str:alias>")
    def alias(self, request: Request, name: str, alias: str) -> Response:
        """PUT points the alias at a version; DELETE removes it (`?force_reason=` for a governance admin)."""
        model = registry_selectors.registered_model_get(name=name, actor=request.user)
        if request.method == "DELETE":
            registered_model_alias_delete(registered_model=model, alias=alias, actor=request.user,
                                          entry_point=EntryPoint.NATIVE_API, force_reason=_force_reason(request))
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = serializers.AliasInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        registered_model_alias_set(registered_model=model, alias=alias, version_number=body.validated_data["version"],
                                   actor=request.user, entry_point=EntryPoint.NATIVE_API,
                                   force_reason=body.validated_data["force_reason"])
        return Response(serializers.RegisteredModelDetailSerializer(self._model(name)).data)


class ModelVersionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Versions of one model, with lineage and history; transitions go through the stage service."""

    lookup_field = "version"
    lookup_value_converter = "version"
    pagination_class = cursor_pagination("-version")
    serializer_class = serializers.ModelVersionSummarySerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL kwargs
            return ModelVersion.objects.none()
        model = registry_selectors.registered_model_get(name=self.kwargs["name"], actor=self.request.user)
        return registry_selectors.model_version_with_details(ModelVersion.objects.filter(registered_model=model))

    def retrieve(self, request: Request, name: str, version: str) -> Response:
        return Response(serializers.ModelVersionDetailSerializer(self._version(name, version)).data)

    def _version(self, name: str, number: str) -> ModelVersion:
        version = registry_selectors.model_version_get(name=name, version=number, actor=self.request.user)
        details = registry_selectors.model_version_with_details(ModelVersion.objects.filter(pk=version.pk))
        version = details.select_related("run__experiment").get()
        model = version.registered_model
        version.stage_history_rows = list(registry_selectors.stage_history(registered_model=model,
                                                                           version=version.version))
        version.alias_history_rows = list(registry_selectors.alias_history(registered_model=model,
                                                                           version=version.version))
        return version

    @extend_schema(parameters=[serializers.ForceReasonQuerySerializer], responses={204: None})
    def destroy(self, request: Request, name: str, version: str) -> Response:
        model_version_delete(version=self._version(name, version), actor=request.user,
                             entry_point=EntryPoint.NATIVE_API, force_reason=_force_reason(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=serializers.TransitionInputSerializer, responses=serializers.ModelVersionDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, name: str, version: str) -> Response:
        """Move the version to a stage (the promotion gate applies)."""
        body = serializers.TransitionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        model_version_transition_stage(
            version=self._version(name, version), to_stage=data["stage"], actor=request.user,
            entry_point=EntryPoint.NATIVE_API, archive_existing=data["archive_existing_versions"],
            reason=data["comment"], force_reason=data["force_reason"],
        )
        return Response(serializers.ModelVersionDetailSerializer(self._version(name, version)).data)


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log; filters: model, actor, action, since, until (ISO times)."""

    lookup_value_converter = "id"
    pagination_class = cursor_pagination("-id")
    serializer_class = serializers.AuditEventSerializer

    def get_queryset(self) -> QuerySet:
        query = serializers.AuditQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return audit_events_filtered(**query.validated_data)
