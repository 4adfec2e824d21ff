"""Selectors behind the dashboard pages: run ordering, chart thinning, comparisons, lineage with logged models."""
import pytest

from models_app.choices import EntryPoint
from models_app.selectors import pages_tracking
from models_app.selectors.lineage import lineage_graph
from models_app.selectors.pages_registry import model_versions_compare, registered_model_timeline
from models_app.selectors.pages_tracking import metric_histories, run_order_by
from models_app.services.logged_models import logged_model_create
from models_app.services.registry import model_version_create
from models_app.services.runs import MetricPoint, run_log_batch
from tests.models_app.views.demo import demo_registry


@pytest.mark.parametrize(("sort", "expected"), [
    ("", []),
    ("metric:val loss", ["metrics.`val loss` ASC"]),
    ("-param:lr", ["params.`lr` DESC"]),
    ("-start_time", ["attribute.start_time DESC"]),
])
def test_it_turns_a_sort_key_into_an_mlflow_order_by(sort, expected):
    assert run_order_by(sort) == expected


@pytest.mark.django_db
def test_it_thins_long_histories_to_the_chart_limit(owner, monkeypatch):
    monkeypatch.setattr(pages_tracking, "MAX_POINTS_PER_METRIC", 10)
    demo = demo_registry(actor=owner, versions=1)
    run = demo.runs[0]
    run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="long", value=float(step), timestamp=1, step=step)
                                    for step in range(100)])
    steps, values = metric_histories(run_ids=[run.pk])["long"][run.pk]
    assert len(steps) == 11 and steps[:2] == [0, 10] and steps[-1] == 99 and values[-1] == 99.0


@pytest.mark.django_db
def test_it_compares_the_params_and_metrics_of_two_versions(owner):
    demo = demo_registry(actor=owner)
    pair, rows = model_versions_compare(registered_model=demo.model, left=1, right=2)
    assert [version.version for version in pair] == [1, 2]
    by_key = {(row.kind, row.key): row for row in rows}
    assert by_key[("param", "n_estimators")].differs
    assert not by_key[("param", "max_depth")].differs
    assert by_key[("metric", "accuracy")].left == pytest.approx(0.9)


@pytest.mark.django_db
def test_it_merges_stage_changes_and_alias_moves_newest_first(owner):
    demo = demo_registry(actor=owner)
    timeline = registered_model_timeline(registered_model=demo.model)
    assert [entry.kind for entry in timeline] == ["alias", "stage"]


@pytest.mark.django_db
def test_it_puts_a_logged_model_between_its_run_and_the_version(owner, django_assert_max_num_queries):
    demo = demo_registry(actor=owner, versions=1)
    logged = logged_model_create(actor=None, experiment=demo.experiment, name="forest", source_run=demo.runs[0])
    model_version_create(name=demo.model.name, source=f"models:/{logged.pk}", actor=owner,
                         entry_point=EntryPoint.SYSTEM, model_id=logged.pk)
    # visible models + versions (+run, experiment, logged model), parent tags, parent runs, dataset inputs, aliases
    with django_assert_max_num_queries(5):
        graph = lineage_graph(actor=owner, model_name=demo.model.name)
    assert (f"run:{demo.runs[0].pk}", f"logged_model:{logged.pk}") in graph.edges
    assert (f"logged_model:{logged.pk}", f"version:{demo.model.name}/2") in graph.edges
