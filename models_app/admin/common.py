"""Building blocks shared by the registry's admin classes."""
from django.contrib import admin

from ..governance import current_governance
from ..models import EvaluationDataset, RegisteredModel
from ..selectors.evaluation_datasets import evaluation_dataset_access
from ..selectors.tracking import in_readable_experiments


class ReadableRowsMixin:
    """Staff see in the admin only rows they may read elsewhere (invariant 6 holds in the admin too).

    `experiment_lookup`: the path from the row to its experiment ("" for an experiment itself); `model_lookup`: the
    path to its registered model ("" for a model itself); `dataset_lookup`: the path to its evaluation dataset ("" for
    a dataset itself). The filters are subqueries of the page's one query.
    """

    experiment_lookup: str | None = None
    model_lookup: str | None = None
    dataset_lookup: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        actor = request.user
        if self.experiment_lookup is not None:
            queryset = in_readable_experiments(queryset, actor, field=self.experiment_lookup or "pk")
        if self.model_lookup is not None:
            condition = current_governance().readable_models_filter(actor)
            if condition is not None:
                queryset = queryset.filter(**{f"{self.model_lookup or 'pk'}__in":
                                              RegisteredModel.objects.filter(condition).values("pk")})
        if self.dataset_lookup is not None:
            readable = EvaluationDataset.objects.filter(evaluation_dataset_access(actor=actor)).values("pk")
            queryset = queryset.filter(**{f"{self.dataset_lookup or 'pk'}__in": readable})
        return queryset


class ReadOnlyAdminMixin:
    """View only: rows are written by the services (or are history), never edited by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadableRowsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Counting every row of a 10M-row table on each page costs more than the page itself.
    show_full_result_count = False


class KeyValueInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Tags and params shown beside their owner; they change through the MLflow and native APIs."""

    fields = ("key", "value")
    readonly_fields = ("key", "value")
    extra = 0
    can_delete = False
