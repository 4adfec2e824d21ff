"""Approvals API: review requests, approval policies, per-model permissions, rollback.

Views fetch through selectors and change state through one service; domain errors are translated by
models_app/api/exception_handlers.py.
"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from models_app.api.serializers import ModelVersionSummarySerializer
from models_app.api.views import cursor_pagination
from models_app.choices import EntryPoint
from models_app.exceptions import NotFound
from models_app.selectors import registry as registry_selectors
from models_app.services.stages import stage_parse

from .. import selectors, services
from ..models import ApprovalPolicy, ReviewRequest, ValidationDataset, ValidationRun
from . import serializers

API = EntryPoint.NATIVE_API


class ReviewRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Review requests; filters: status, model, stage, mine=true, awaiting_me=true."""

    lookup_value_converter = "id"
    pagination_class = cursor_pagination("-id")
    serializer_class = serializers.ReviewRequestSummarySerializer

    def get_queryset(self) -> QuerySet:
        query = serializers.ReviewRequestQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.review_requests_filtered(self.request.user, **query.validated_data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(request_detail(self._request(pk), user=request.user))

    def _request(self, pk) -> ReviewRequest:
        found = (selectors.review_requests_visible(self.request.user).prefetch_related("reviews")
                 .filter(pk=pk).first())
        if found is None:
            raise NotFound(f"Review request #{pk} does not exist or is not visible to you.")
        return found

    @extend_schema(request=serializers.ReviewRequestCreateSerializer,
                   responses={201: serializers.ReviewRequestDetailSerializer})
    def create(self, request: Request) -> Response:
        body = serializers.ReviewRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        model_name, number = data.pop("model"), data.pop("version")
        if number is not None:
            data["version"] = registry_selectors.model_version_get(name=model_name, version=number, actor=request.user)
        else:
            data["registered_model"] = registry_selectors.registered_model_get(name=model_name, actor=request.user)
        created = services.review_request_create(actor=request.user, entry_point=API, **data)
        return Response(request_detail(self._request(created.pk), user=request.user), status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, pk: str, service) -> Response:
        body = serializers.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = service(request=self._request(pk), actor=request.user, entry_point=API,
                          comment=body.validated_data["comment"])
        still_there = selectors.review_requests_visible(request.user).prefetch_related("reviews").filter(pk=pk).first()
        if still_there is None:  # an applied model deletion took the request's row with it
            return Response(serializers.ReviewRequestSummarySerializer(decided).data)
        return Response(request_detail(still_there, user=request.user))

    @extend_schema(responses=serializers.ValidationRunSummarySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="validation-runs")
    def validation_runs(self, request: Request, pk: str) -> Response:
        """The request's validation runs, newest first."""
        runs = selectors.validation_runs_visible(request.user).filter(review_request=self._request(pk))
        return Response(serializers.ValidationRunSummarySerializer(runs, many=True).data)

    @extend_schema(request=serializers.CommentSerializer, responses=serializers.ReviewRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve; the approval reaching the policy's quorum applies the change."""
        return self._decide(request, pk, services.review_request_approve)

    @extend_schema(request=serializers.CommentSerializer, responses=serializers.ReviewRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, services.review_request_reject)

    @extend_schema(request=serializers.CommentSerializer, responses=serializers.ReviewRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, services.review_request_cancel)


def request_detail(review_request: ReviewRequest, *, user) -> dict:
    latest = selectors.validation_runs_visible(user).filter(review_request=review_request).first()
    return serializers.ReviewRequestDetailSerializer(review_request, context={"latest_validation": latest}).data


def _group_get(name: str | None) -> Group | None:
    if not name:
        return None
    group = Group.objects.filter(name=name).first()
    if group is None:
        raise NotFound(f"Group '{name}' does not exist.")
    return group


def _datasets_get(names: list[str]) -> list[ValidationDataset]:
    found = {dataset.name: dataset for dataset in ValidationDataset.objects.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise NotFound(f"Validation dataset(s) {', '.join(repr(name) for name in missing)} do not exist.")
    return [found[name] for name in names]


def _user_get(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"User '{username}' does not exist.")
    return user


class PolicyViewSet(viewsets.ModelViewSet):
    """Approval policies, matched to models by name or pattern; governance admins alone change them."""

    lookup_value_converter = "id"
    pagination_class = cursor_pagination("id")
    serializer_class = serializers.PolicySerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation (and `check --deploy`) must not read the database, which may not be migrated yet.
            return ApprovalPolicy.objects.none()
        return selectors.policies_visible(self.request.user)

    @extend_schema(request=serializers.PolicyInputSerializer, responses={201: serializers.PolicySerializer})
    def create(self, request: Request) -> Response:
        body = serializers.PolicyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["approver_group"] = _group_get(data["approver_group"])
        data["validation_datasets"] = _datasets_get(data["validation_datasets"])
        policy = services.policy_create(actor=request.user, entry_point=API, **data)
        return Response(serializers.PolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.PolicyInputSerializer, responses=serializers.PolicySerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        body = serializers.PolicyInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        if "approver_group" in changes:
            changes["approver_group"] = _group_get(changes["approver_group"])
        if "validation_datasets" in changes:
            changes["validation_datasets"] = _datasets_get(changes["validation_datasets"])
        policy = services.policy_update(policy=self.get_object(), actor=request.user, entry_point=API, **changes)
        return Response(serializers.PolicySerializer(policy).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.policy_delete(policy=self.get_object(), actor=request.user, entry_point=API)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModelPermissionsView(APIView):
    """The grants on one model; PUT sets (or, with level NONE/null, removes) a user's or group's level."""

    @extend_schema(responses=serializers.PermissionSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        model = registry_selectors.registered_model_get(name=name, actor=request.user)
        grants = selectors.model_permissions(registered_model=model)
        return Response(serializers.PermissionSerializer(grants, many=True).data)

    @extend_schema(request=serializers.PermissionInputSerializer,
                   responses=serializers.PermissionSerializer(many=True))
    def put(self, request: Request, name: str) -> Response:
        body = serializers.PermissionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        model = registry_selectors.registered_model_get(name=name, actor=request.user)
        principal = {"user": _user_get(data["user"])} if data["user"] else {"group": _group_get(data["group"])}
        if data["level"] is None or data["level"].strip().upper() == "NONE":
            services.permission_remove(registered_model=model, actor=request.user, entry_point=API, **principal)
        else:
            services.permission_set(registered_model=model, level=data["level"], actor=request.user,
                                    entry_point=API, **principal)
        return self.get(request, name)


class RollbackView(APIView):
    """Put back the previous occupant of a stage or alias: 200 with it, or 202 with the review request opened."""

    @extend_schema(request=serializers.RollbackInputSerializer,
                   responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT})
    def post(self, request: Request, name: str) -> Response:
        body = serializers.RollbackInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        model = registry_selectors.registered_model_get(name=name, actor=request.user)
        result = services.rollback(registered_model=model, actor=request.user, entry_point=API,
                                   **body.validated_data)
        if result.review_request is not None:
            opened = selectors.review_requests_visible(request.user).prefetch_related("reviews")
            data = request_detail(opened.get(pk=result.review_request.pk), user=request.user)
            return Response({"review_request": data}, status=status.HTTP_202_ACCEPTED)
        version = registry_selectors.model_version_get(name=name, version=result.version.version, actor=request.user)
        return Response({"version": ModelVersionSummarySerializer(version).data})


class ValidationRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Validation runs with their checks and progress; filters: model, version, review_request, status.

    POST runs the checks on demand; POST .../repeat/ runs a finished run's checks again as a new run.
    """

    lookup_value_converter = "id"
    pagination_class = cursor_pagination("-id")
    serializer_class = serializers.ValidationRunSummarySerializer

    def get_queryset(self) -> QuerySet:
        query = serializers.ValidationRunQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.validation_runs_filtered(self.request.user, **query.validated_data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(serializers.ValidationRunDetailSerializer(self._run(pk)).data)

    def _run(self, pk) -> ValidationRun:
        found = selectors.validation_runs_visible(self.request.user).prefetch_related("checks").filter(pk=pk).first()
        if found is None:
            raise NotFound(f"Validation run #{pk} does not exist or is not visible to you.")
        return found

    @extend_schema(request=serializers.ValidationRunCreateSerializer,
                   responses={202: serializers.ValidationRunDetailSerializer})
    def create(self, request: Request) -> Response:
        body = serializers.ValidationRunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        version = registry_selectors.model_version_get(name=data["model"], version=data["version"],
                                                       actor=request.user)
        stage = stage_parse(data["stage"]).value if data["stage"] else ""
        run = services.validation_run_create(version=version, actor=request.user, entry_point=API, stage=stage,
                                             alias=data["alias"])
        return Response(serializers.ValidationRunDetailSerializer(self._run(run.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: serializers.ValidationRunDetailSerializer})
    @action(detail=True, methods=["post"])
    def repeat(self, request: Request, pk: str) -> Response:
        run = services.validation_run_repeat(run=self._run(pk), actor=request.user, entry_point=API)
        return Response(serializers.ValidationRunDetailSerializer(self._run(run.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


class VersionValidationRunsView(APIView):
    """The validation runs of one version, newest first."""

    @extend_schema(responses=serializers.ValidationRunSummarySerializer(many=True))
    def get(self, request: Request, name: str, version: int) -> Response:
        found = registry_selectors.model_version_get(name=name, version=version, actor=request.user)
        runs = selectors.validation_runs_visible(request.user).filter(model_version=found)
        return Response(serializers.ValidationRunSummarySerializer(runs, many=True).data)


class ValidationDatasetViewSet(viewsets.ModelViewSet):
    """Labelled datasets (CSV or Parquet upload, multipart) for the load-and-score check."""

    lookup_value_converter = "id"
    pagination_class = cursor_pagination("name")
    serializer_class = serializers.ValidationDatasetSerializer
    parser_classes = [MultiPartParser, FormParser]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        return ValidationDataset.objects.select_related("created_by")

    @extend_schema(request=serializers.ValidationDatasetInputSerializer,
                   responses={201: serializers.ValidationDatasetSerializer})
    def create(self, request: Request) -> Response:
        body = serializers.ValidationDatasetInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dataset = services.validation_dataset_create(
            name=data["name"], upload=data["file"], target_column=data["target_column"], task_type=data["task_type"],
            description=data["description"], actor=request.user, entry_point=API)
        return Response(serializers.ValidationDatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        services.validation_dataset_delete(dataset=self.get_object(), actor=request.user, entry_point=API)
        return Response(status=status.HTTP_204_NO_CONTENT)
