"""Admin pages for tracking: experiments, runs and what they log, datasets and logged models (view only)."""
from django.contrib import admin

from ..models import (
    Dataset,
    EvaluationDataset,
    EvaluationDatasetRecord,
    EvaluationDatasetTag,
    Experiment,
    ExperimentTag,
    LatestMetric,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelParam,
    LoggedModelTag,
    Metric,
    Param,
    Run,
    RunInput,
    RunModelInput,
    RunOutput,
    RunTag,
)
from .common import KeyValueInline, ReadOnlyAdmin, ReadOnlyAdminMixin


class ExperimentTagInline(KeyValueInline):
    model = ExperimentTag


@admin.register(Experiment)
class ExperimentAdmin(ReadOnlyAdmin):
    experiment_lookup = ''
    list_display = ("name", "id", "lifecycle_stage", "artifact_location", "created_by")
    list_filter = ("lifecycle_stage",)
    list_select_related = ("created_by",)
    search_fields = ("name",)
    inlines = [ExperimentTagInline]


class ParamInline(KeyValueInline):
    model = Param


class RunTagInline(KeyValueInline):
    model = RunTag


class LatestMetricInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LatestMetric
    fields = ("key", "value", "step", "timestamp")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "latest metrics"


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    experiment_lookup = 'experiment'
    list_display = ("run_uuid", "name", "experiment", "status", "lifecycle_stage", "user_id", "start_time")
    list_filter = ("status", "lifecycle_stage")
    list_select_related = ("experiment",)
    search_fields = ("run_uuid", "name", "experiment__name")
    inlines = [ParamInline, RunTagInline, LatestMetricInline]


@admin.register(Metric)
class MetricAdmin(ReadOnlyAdmin):
    experiment_lookup = 'run__experiment'
    list_display = ("run", "key", "value", "is_nan", "step", "timestamp", "model_id")
    list_select_related = ("run",)
    search_fields = ("run__run_uuid", "key")


@admin.register(LatestMetric)
class LatestMetricAdmin(ReadOnlyAdmin):
    experiment_lookup = 'run__experiment'
    list_display = ("run", "key", "value", "is_nan", "step", "timestamp")
    list_select_related = ("run",)
    search_fields = ("run__run_uuid", "key")


@admin.register(Param, RunTag)
class RunKeyValueAdmin(ReadOnlyAdmin):
    experiment_lookup = 'run__experiment'
    list_display = ("run", "key", "value")
    list_select_related = ("run",)
    search_fields = ("run__run_uuid", "key")


@admin.register(ExperimentTag)
class ExperimentTagAdmin(ReadOnlyAdmin):
    experiment_lookup = 'experiment'
    list_display = ("experiment", "key", "value")
    list_select_related = ("experiment",)
    search_fields = ("experiment__name", "key")


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    experiment_lookup = 'experiment'
    list_display = ("name", "digest", "experiment", "source_type")
    list_select_related = ("experiment",)
    search_fields = ("name", "digest")


@admin.register(RunInput)
class RunInputAdmin(ReadOnlyAdmin):
    experiment_lookup = 'run__experiment'
    list_display = ("run", "dataset")
    list_select_related = ("run", "dataset")


@admin.register(RunOutput)
class RunOutputAdmin(ReadOnlyAdmin):
    experiment_lookup = 'run__experiment'
    list_display = ("run", "model_id", "step")
    list_select_related = ("run",)
    search_fields = ("run__run_uuid", "model_id")


class LoggedModelParamInline(KeyValueInline):
    model = LoggedModelParam


class LoggedModelTagInline(KeyValueInline):
    model = LoggedModelTag


@admin.register(LoggedModel)
class LoggedModelAdmin(ReadOnlyAdmin):
    experiment_lookup = 'experiment'
    list_display = ("model_id", "name", "experiment", "source_run", "status", "lifecycle_stage")
    list_filter = ("status", "lifecycle_stage")
    list_select_related = ("experiment", "source_run")
    search_fields = ("model_id", "name")
    inlines = [LoggedModelParamInline, LoggedModelTagInline]


@admin.register(LoggedModelParam, LoggedModelTag)
class LoggedModelKeyValueAdmin(ReadOnlyAdmin):
    experiment_lookup = 'logged_model__experiment'
    list_display = ("logged_model", "key", "value")
    list_select_related = ("logged_model",)
    search_fields = ("logged_model__model_id", "key")


@admin.register(LoggedModelMetric)
class LoggedModelMetricAdmin(ReadOnlyAdmin):
    experiment_lookup = 'logged_model__experiment'
    list_display = ("logged_model", "key", "value", "step", "timestamp", "run_id")
    list_select_related = ("logged_model",)
    search_fields = ("logged_model__model_id", "key")


@admin.register(RunModelInput)
class RunModelInputAdmin(ReadOnlyAdmin):
    experiment_lookup = "run__experiment"
    list_display = ("run", "model_id")
    list_select_related = ("run",)
    search_fields = ("run__run_uuid", "model_id")


class EvaluationDatasetTagInline(KeyValueInline):
    model = EvaluationDatasetTag


@admin.register(EvaluationDataset)
class EvaluationDatasetAdmin(ReadOnlyAdmin):
    dataset_lookup = ""
    list_display = ("dataset_id", "name", "owner", "created_by", "last_update_time")
    list_select_related = ("owner",)
    search_fields = ("dataset_id", "name")
    inlines = [EvaluationDatasetTagInline]


@admin.register(EvaluationDatasetTag)
class EvaluationDatasetTagAdmin(ReadOnlyAdmin):
    dataset_lookup = "dataset"
    list_display = ("dataset", "key", "value")
    list_select_related = ("dataset",)
    search_fields = ("dataset__dataset_id", "key")


@admin.register(EvaluationDatasetRecord)
class EvaluationDatasetRecordAdmin(ReadOnlyAdmin):
    dataset_lookup = "dataset"
    list_display = ("dataset_record_id", "dataset", "source_type", "created_time")
    list_select_related = ("dataset",)
    search_fields = ("dataset_record_id", "dataset__dataset_id")
