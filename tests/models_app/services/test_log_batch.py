import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from models_app.exceptions import InvalidParameter, NotFound
from models_app.models import LatestMetric, LoggedModelMetric, Metric, Param, RunTag
from models_app.services.runs import MetricPoint, run_log_batch
from tests.models_app.factories import LoggedModelFactory, RunFactory

pytestmark = pytest.mark.django_db

KEYS = ["loss", "accuracy", "f1", "lr"]


def _points(count, **overrides):
    return [MetricPoint(key=KEYS[i % len(KEYS)], value=i / 10, timestamp=1_000 + i, step=i, **overrides)
            for i in range(count)]


def _batch(run, count):
    run_log_batch(actor=None, run=run, metrics=_points(count), params=[("alpha", "0.5"), ("layers", "3")],
                  tags=[("team", "vision"), ("mlflow.runName", "nightly")])


def _latest(run, key):
    row = LatestMetric.objects.get(run=run, key=key)
    return row.step, row.timestamp, row.value, row.is_nan


def test_it_writes_5000_points_with_as_many_queries_as_10_points(django_assert_max_num_queries):
    small_run, large_run = RunFactory(), RunFactory()
    with CaptureQueriesContext(connection) as small:
        _batch(small_run, 10)
    assert len(small) <= 12

    with django_assert_max_num_queries(len(small)) as large:
        _batch(large_run, 5_000)

    assert len(large) == len(small)
    metric_inserts = [q for q in large.captured_queries if q["sql"].startswith('INSERT INTO "models_app_metric"')]
    assert len(metric_inserts) == 1
    assert Metric.objects.filter(run=large_run).count() == 5_000
    assert Param.objects.filter(run=large_run).count() == 2
    assert set(RunTag.objects.filter(run=large_run).values_list("key", "value")) == {
        ("team", "vision"), ("mlflow.runName", "nightly")}
    large_run.refresh_from_db()
    assert large_run.name == "nightly"
    assert _latest(large_run, "loss")[0] == 4_996


def test_it_keeps_the_latest_value_by_step_then_timestamp_then_value():
    run = RunFactory()
    run_log_batch(actor=None, run=run, metrics=[
        MetricPoint(key="loss", value=0.9, timestamp=500, step=1),
        MetricPoint(key="loss", value=0.4, timestamp=50, step=2),
        MetricPoint(key="loss", value=0.3, timestamp=50, step=2),
        MetricPoint(key="loss", value=0.1, timestamp=40, step=2),
        MetricPoint(key="acc", value=float("nan"), timestamp=10, step=3),
        MetricPoint(key="acc", value=0.7, timestamp=10, step=3),
        MetricPoint(key="diverged", value=float("nan"), timestamp=10, step=5),
        MetricPoint(key="blowup", value=float("inf"), timestamp=10, step=0),
    ])

    assert _latest(run, "loss") == (2, 50, 0.4, False)
    assert _latest(run, "acc") == (3, 10, 0.7, False)
    assert _latest(run, "diverged") == (5, 10, None, True)
    assert _latest(run, "blowup")[2] == 1.7976931348623157e308
    nan_point = Metric.objects.get(run=run, key="diverged")
    assert (nan_point.value, nan_point.is_nan) == (None, True)


def test_it_does_not_move_the_latest_value_for_a_later_batch_with_older_steps():
    run = RunFactory()
    run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="loss", value=0.2, timestamp=100, step=10)])

    run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="loss", value=9.0, timestamp=999, step=3)])
    assert _latest(run, "loss") == (10, 100, 0.2, False)

    run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="loss", value=0.1, timestamp=101, step=10)])
    assert _latest(run, "loss") == (10, 101, 0.1, False)
    assert Metric.objects.filter(run=run, key="loss").count() == 3


def test_it_moves_a_nan_latest_value_when_a_real_value_arrives_at_the_same_point():
    run = RunFactory()
    run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="loss", value=math.nan, timestamp=100, step=1)])

    run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="loss", value=0.5, timestamp=100, step=1)])

    assert _latest(run, "loss") == (1, 100, 0.5, False)


def test_it_accepts_a_param_logged_again_with_the_same_value():
    run = RunFactory()
    run_log_batch(actor=None, run=run, params=[("alpha", "0.5")])

    run_log_batch(actor=None, run=run, params=[("alpha", "0.5")])

    assert list(Param.objects.filter(run=run).values_list("key", "value")) == [("alpha", "0.5")]


def test_it_refuses_to_change_a_param_and_writes_nothing_of_that_batch():
    run = RunFactory()
    run_log_batch(actor=None, run=run, params=[("alpha", "0.5")])

    with pytest.raises(InvalidParameter, match="Param with key='alpha' was already logged with value='0.5'"):
        run_log_batch(actor=None, run=run, params=[("alpha", "0.7")], metrics=_points(3), tags=[("team", "x")])

    assert not Metric.objects.filter(run=run).exists()
    assert not RunTag.objects.filter(run=run, key="team").exists()
    assert Param.objects.get(run=run, key="alpha").value == "0.5"


def test_it_accepts_duplicate_keys_in_one_batch_when_values_agree():
    run = RunFactory()

    run_log_batch(actor=None, run=run, params=[("alpha", "1"), ("alpha", "1")], tags=[("team", "a"), ("team", "b")],
                  metrics=[MetricPoint(key="loss", value=1.0, timestamp=1), MetricPoint(key="loss", value=1.0,
                                                                                         timestamp=1)])

    assert Param.objects.filter(run=run).count() == 1
    assert RunTag.objects.get(run=run, key="team").value == "b"
    assert Metric.objects.filter(run=run, key="loss").count() == 2


def test_it_refuses_duplicate_param_keys_with_different_values_in_one_batch():
    run = RunFactory()

    with pytest.raises(InvalidParameter, match="Duplicate parameter keys .* 'alpha' with values '1' and '2'"):
        run_log_batch(actor=None, run=run, params=[("alpha", "1"), ("alpha", "2")])
    assert not Param.objects.exists()


@pytest.mark.parametrize(("field", "limit"), [("metrics", 10_000), ("params", 1_000), ("tags", 1_000)])
def test_it_refuses_batches_over_the_limits(field, limit):
    run = RunFactory()
    items = (_points(limit + 1) if field == "metrics"
             else [(f"key-{i}", "value") for i in range(limit + 1)])

    with pytest.raises(InvalidParameter, match=f"A batch may hold at most {limit} {field}; got {limit + 1}."):
        run_log_batch(actor=None, run=run, **{field: items})
    assert not Metric.objects.exists() and not Param.objects.exists() and not RunTag.objects.exists()


def test_it_accepts_a_batch_at_the_limits():
    run = RunFactory()

    run_log_batch(actor=None,
                  run=run, params=[(f"p{i}", "v") for i in range(1_000)], tags=[(f"t{i}", "v") for i in range(1_000)])

    assert Param.objects.filter(run=run).count() == 1_000
    assert RunTag.objects.filter(run=run).count() == 1_000


def test_it_attributes_metrics_with_a_model_id_to_the_logged_model():
    run = RunFactory()
    logged_model = LoggedModelFactory(experiment=run.experiment, source_run=run)

    run_log_batch(actor=None, run=run, metrics=[
        MetricPoint(key="auc", value=0.91, timestamp=5, step=2, model_id=logged_model.model_id),
        MetricPoint(key="loss", value=0.3, timestamp=5, step=2),
    ])

    model_metric = LoggedModelMetric.objects.get()
    assert (model_metric.logged_model, model_metric.run_id, model_metric.key) == (logged_model, run.run_uuid, "auc")
    assert (model_metric.value, model_metric.step, model_metric.timestamp) == (0.91, 2, 5)
    assert Metric.objects.get(run=run, key="auc").model_id == logged_model.model_id
    assert Metric.objects.filter(run=run).count() == 2


def test_it_refuses_a_metric_value_that_is_not_a_number():
    with pytest.raises(InvalidParameter, match="Got invalid value 'high' for metric 'loss'"):
        MetricPoint.parse(key="loss", value="high", timestamp=1)


def test_it_refuses_metrics_for_an_unknown_logged_model_and_writes_nothing():
    run = RunFactory()
    unknown = "m-0123456789abcdef0123456789abcdef"

    with pytest.raises(NotFound, match=f"Logged model with ID '{unknown}' not found."):
        run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="auc", value=0.9, timestamp=1, model_id=unknown)])

    assert not Metric.objects.filter(run=run).exists()
    assert not LatestMetric.objects.filter(run=run).exists()
