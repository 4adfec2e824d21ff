"""Attack: pathological search filters. 100 `metrics.a > 0` clauses took 4.5 s on runs/search and 200 held a
worker past gunicorn's timeout; now both are refused before any query runs (bench/filter_limits.py times it)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.models_app.mlflow_api.conftest import assert_error

pytestmark = pytest.mark.django_db


def _clauses(count: int, clause: str = "metrics.a > 0") -> str:
    return " and ".join([clause] * count)


@pytest.mark.parametrize("count", [100, 200])
def test_runs_search_refuses_hundreds_of_clauses_with_a_400_naming_the_limit_before_querying(mlflow, registry,
                                                                                             count):
    body = {"experiment_ids": [str(registry["experiment"].pk)], "filter": _clauses(count)}
    with CaptureQueriesContext(connection) as queries:
        response = mlflow.post("runs/search", body)

    assert_error(response, 400, "INVALID_PARAMETER_VALUE",
                 "more than 30 clauses joined by AND; at most 30 are accepted (SEARCH_FILTER_MAX_CLAUSES)")
    assert not any('"models_app_run"' in query["sql"] for query in queries.captured_queries)


def test_every_mlflow_search_applies_the_clause_limit(mlflow, registry):
    experiment_id = str(registry["experiment"].pk)
    searches = [
        ("post", "runs/search", {"experiment_ids": [experiment_id], "filter": _clauses(31)}),
        ("post", "experiments/search", {"filter": _clauses(31, "tags.a = 'x'")}),
        ("get", "registered-models/search", {"filter": _clauses(31, "name = 'x'")}),
        ("get", "model-versions/search", {"filter": _clauses(31, "name = 'x'")}),
        ("post", "logged-models/search", {"experiment_ids": [experiment_id], "filter": _clauses(31, "params.a = 'x'")}),
    ]
    for method, endpoint, fields in searches:
        response = mlflow.get(endpoint, **fields) if method == "get" else mlflow.post(endpoint, fields)
        assert_error(response, 400, "INVALID_PARAMETER_VALUE", "SEARCH_FILTER_MAX_CLAUSES")


def test_the_limit_is_a_setting_and_30_clauses_still_search(mlflow, registry, settings):
    body = {"experiment_ids": [str(registry["experiment"].pk)], "filter": _clauses(30)}
    assert mlflow.post("runs/search", body).status_code == 200

    settings.SEARCH_FILTER_MAX_CLAUSES = 3
    assert_error(mlflow.post("runs/search", {**body, "filter": _clauses(4)}), 400, "INVALID_PARAMETER_VALUE",
                 "at most 3 are accepted")


def test_a_filter_longer_than_the_limit_is_refused_by_length(mlflow, registry, settings):
    settings.SEARCH_FILTER_MAX_LENGTH = 100
    long_filter = "attributes.run_name IN (" + ", ".join(["'r'"] * 40) + ")"
    body = {"experiment_ids": [str(registry["experiment"].pk)], "filter": long_filter}

    assert_error(mlflow.post("runs/search", body), 400, "INVALID_PARAMETER_VALUE",
                 f"The filter is {len(long_filter)} characters long; at most 100 are accepted")


def test_order_by_entries_are_bounded_like_clauses(mlflow, registry):
    body = {"experiment_ids": [str(registry["experiment"].pk)], "order_by": [f"metrics.m{n} DESC" for n in range(200)]}

    assert_error(mlflow.post("runs/search", body), 400, "INVALID_PARAMETER_VALUE",
                 "more than 30 order_by entries")


def test_the_experiment_page_shows_the_limit_inline(pages, registry):
    response = pages.get(f"/experiments/{registry['experiment'].pk}/", {"filter": _clauses(200)})

    assert response.status_code == 200
    assert "SEARCH_FILTER_MAX_CLAUSES" in response.content.decode()


def test_a_huge_max_results_is_refused_with_a_short_message(mlflow, registry):
    body = {"experiment_ids": [str(registry["experiment"].pk)], "max_results": 1e308}

    message = assert_error(mlflow.post("runs/search", body), 400, "INVALID_PARAMETER_VALUE",
                           "Invalid value 1e+308 for parameter 'max_results' supplied")["message"]
    assert len(message) < 200
