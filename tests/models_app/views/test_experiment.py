"""Experiments list and an experiment's runs: MLflow filters, inline errors, sorting, paging, query bounds."""
import pytest
from django.urls import reverse

from models_app.selectors.pages_tracking import RUNS_PER_PAGE

from .demo import demo_run

pytestmark = pytest.mark.django_db


def _url(demo):
    return reverse("models_app:experiment", args=[demo.experiment.pk])


def test_it_requires_login(client, demo):
    assert client.get(reverse("models_app:experiment_list")).status_code == 302
    assert client.get(_url(demo)).status_code == 302


def test_it_lists_experiments_with_run_counts(owner_client, demo):
    body = owner_client.get(reverse("models_app:experiment_list")).content.decode()
    assert "iris_classifier experiment" in body and "<td>2</td>" in body


def test_it_shows_metric_and_param_columns(owner_client, demo):
    body = owner_client.get(_url(demo)).content.decode()
    assert "train-1" in body and "train-2" in body
    assert "metric:accuracy" in body and "param:n_estimators" in body


def test_it_filters_runs_with_the_mlflow_filter_language(owner_client, demo):
    response = owner_client.get(_url(demo), {"filter": "params.n_estimators = '110'"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="runs-table">')
    assert "train-2" in body and "train-1" not in body


def test_it_shows_a_bad_filter_inline_on_a_200_page(owner_client, demo):
    response = owner_client.get(_url(demo), {"filter": "metrics.accuracy >> 1"})
    assert response.status_code == 200
    assert "Invalid filter &#x27;metrics.accuracy &gt;&gt; 1&#x27;" in response.content.decode()


def test_it_sorts_by_a_metric(owner_client, demo):
    body = owner_client.get(_url(demo), {"sort": "-metric:accuracy"}).content.decode()
    assert body.index("train-2") < body.index("train-1")
    body = owner_client.get(_url(demo), {"sort": "metric:accuracy"}).content.decode()
    assert body.index("train-1") < body.index("train-2")


def test_it_pages_through_runs(owner_client, owner, demo):
    for number in range(RUNS_PER_PAGE):
        demo_run(demo.experiment, actor=owner, name=f"extra-{number}", accuracy=0.5, params={}, steps=1)
    first = owner_client.get(_url(demo)).content.decode()
    second = owner_client.get(_url(demo), {"page": 2}).content.decode()
    assert "Next →" in first and "← Previous" in second and "Next →" not in second


@pytest.mark.parametrize("rows", [1, 200])
def test_it_runs_a_bounded_number_of_queries(owner_client, owner, demo, django_assert_max_num_queries, rows):
    for number in range(rows):
        demo_run(demo.experiment, actor=owner, name=f"bulk-{number}", accuracy=0.5, params={"p": "1"}, steps=1)
    # session, user, experiment (+tags), runs page (+experiment), latest metrics, params, tags, inputs, outputs
    with django_assert_max_num_queries(12):
        response = owner_client.get(_url(demo), {"filter": "metrics.accuracy > 0.1", "sort": "-metric:accuracy"})
    assert response.status_code == 200
