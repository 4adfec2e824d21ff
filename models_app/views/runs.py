"""Experiment and run pages: experiment list, runs searched with MLflow's filter language, run detail, compare."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_GET

from ..exceptions import InvalidParameter
from ..selectors.pages_tracking import (
    RUNS_PER_PAGE,
    experiment_list_page,
    experiment_runs_page,
    metric_histories,
    run_page,
    runs_for_compare,
)
from ..selectors.search import SearchPage
from ..selectors.tracking import experiment_get
from .artifacts import artifact_browser, artifact_download, render_artifact_fragment
from .common import found_or_404, page_number, page_or_fragment, query_without

MAX_COMPARED_RUNS = 10


@login_required
@require_GET
def experiment_list(request):
    query = request.GET.get("q", "").strip()
    page = experiment_list_page(actor=request.user, query=query, page=page_number(request))
    return page_or_fragment(request, "models_app/experiment_list.html",
                            "models_app/partials/experiment_table.html", {"page": page, "query": query})


@login_required
@require_GET
def experiment(request, experiment_id: int):
    """The experiment's runs; a filter the parser refuses is shown inline, on a normal 200 page."""
    found = found_or_404(experiment_get, experiment_id=experiment_id, actor=request.user)
    filter_string, sort = request.GET.get("filter", "").strip(), request.GET.get("sort", "")
    number = page_number(request)
    result, metric_keys, param_keys, error = SearchPage([], None), [], [], ""
    try:
        result, metric_keys, param_keys = experiment_runs_page(experiment=found, actor=request.user,
                                                               filter_string=filter_string,
                                                               sort=sort, page=number)
    except InvalidParameter as refusal:
        error = refusal.message
    context = {"experiment": found, "runs": result.items, "has_next": bool(result.next_page_token),
               "page_number": number, "metric_keys": metric_keys, "param_keys": param_keys, "filter": filter_string,
               "sort": sort, "filter_error": error, "keep": query_without(request, "page", "sort"),
               "keep_sort": query_without(request, "page"), "first_index": (number - 1) * RUNS_PER_PAGE}
    return page_or_fragment(request, "models_app/experiment.html", "models_app/partials/runs_table.html", context)


@login_required
@require_GET
def run(request, run_id: str):
    found = _run_or_404(run_id, request.user)
    context = {"run": found, "histories": metric_histories(run_ids=[found.pk]),
               "run_labels": {found.pk: found.name or found.pk[:8]},
               **artifact_browser(request, root_uri=found.artifact_uri, url_name="run_artifacts", args=[run_id])}
    return page_or_fragment(request, "models_app/run.html", "models_app/partials/artifact_browser.html", context)


@login_required
@require_GET
def run_compare(request):
    run_ids = list(dict.fromkeys(request.GET.getlist("runs")))[:MAX_COMPARED_RUNS]
    runs = runs_for_compare(run_ids=run_ids, actor=request.user)
    param_keys = sorted({row.key for compared in runs for row in compared.params.all()})
    metric_keys = sorted({row.key for compared in runs for row in compared.latest_metrics.all()})
    for compared in runs:
        compared.param_values = {row.key: row.value for row in compared.params.all()}
        compared.metric_values = {row.key: row.value for row in compared.latest_metrics.all()}
    context = {"runs": runs, "param_keys": param_keys, "metric_keys": metric_keys,
               "histories": metric_histories(run_ids=[compared.pk for compared in runs]),
               "run_labels": {compared.pk: compared.name or compared.pk[:8] for compared in runs}}
    return page_or_fragment(request, "models_app/run_compare.html", "models_app/run_compare.html", context)


@login_required
@require_GET
def run_artifacts(request, run_id: str):
    found = _run_or_404(run_id, request.user)
    return render_artifact_fragment(request, artifact_browser(request, root_uri=found.artifact_uri,
                                                              url_name="run_artifacts", args=[run_id]))


@login_required
@require_GET
def run_artifacts_download(request, run_id: str):
    found = _run_or_404(run_id, request.user)
    return artifact_download(root_uri=found.artifact_uri, path=request.GET.get("path", ""))


def _run_or_404(run_id: str, actor):
    found = run_page(run_id=run_id, actor=actor)
    if found is None:
        raise Http404(f"Run with id={run_id} not found")
    return found
