"""The search selectors against real rows written through the services."""
import base64
import json

import pytest
from django.db.models import Q

from models_app.choices import EntryPoint, RunStatus
from models_app.exceptions import FilterSyntaxError, InvalidParameter
from models_app.governance import Governance
from models_app.models import RegisteredModel
from models_app.selectors.search import (
    experiment_search,
    logged_model_search,
    model_version_search,
    page_token_decode,
    page_token_encode,
    registered_model_search,
    run_search,
)
from models_app.services.experiments import experiment_create, experiment_delete, experiment_set_tag
from models_app.services.logged_models import logged_model_create
from models_app.services.registry import registered_model_set_tag
from models_app.services.runs import DatasetInput, MetricPoint, run_delete, run_log_batch, run_log_inputs, run_update
from models_app.services.stages import model_version_transition_stage, registered_model_alias_set

from .conftest import wait_next_ms

pytestmark = pytest.mark.django_db


def _versions(page):
    return [(v.name, v.version) for v in page.items]


def _promote(version, stage, actor):
    wait_next_ms()
    model_version_transition_stage(version=version, to_stage=stage, actor=actor, entry_point=EntryPoint.SYSTEM)


# --- model versions -------------------------------------------------------------------------------------------


def test_it_orders_versions_by_last_update_then_name_then_number(register, owner):
    first = register("iris_classifier")
    wait_next_ms()
    register("iris_classifier")
    assert _versions(model_version_search(filter_string="name='iris_classifier'")) == [
        ("iris_classifier", 2), ("iris_classifier", 1)]
    _promote(first, "Production", owner)
    assert _versions(model_version_search(filter_string="name='iris_classifier'")) == [
        ("iris_classifier", 1), ("iris_classifier", 2)]


def test_it_supports_the_seeds_current_stage_filter(register, owner):
    first = register("iris_classifier")
    register("iris_classifier")
    register("other")
    _promote(first, "Production", owner)
    page = model_version_search(filter_string="name='iris_classifier' and current_stage='Production'")
    assert _versions(page) == [("iris_classifier", 1)]
    assert _versions(model_version_search(filter_string="current_stage = 'production'")) == [("iris_classifier", 1)]
    assert len(model_version_search(filter_string="current_stage != 'Production'").items) == 2
    assert len(model_version_search(filter_string="current_stage IN ('none', 'STAGING')").items) == 2


def test_it_rejects_an_unknown_stage_in_the_filter(register):
    with pytest.raises(FilterSyntaxError, match="Invalid stage 'Live' in filter. Value must be one of None, "
                                                "Staging, Production, Archived."):
        model_version_search(filter_string="current_stage = 'Live'")


def test_it_filters_versions_by_number_run_source_and_tags(register, make_run):
    run = make_run()
    register("m", tags=[("team", "ds")], run=run)
    register("m", tags=[("team", "ml")])
    register("n")
    assert _versions(model_version_search(filter_string="version_number > 1")) == [("m", 2)]
    assert _versions(model_version_search(filter_string=f"run_id IN ('{run.pk}', 'x')")) == [("m", 1)]
    assert _versions(model_version_search(filter_string="source_path LIKE '%/n'")) == [("n", 1)]
    assert _versions(model_version_search(filter_string="tags.team = 'ds'")) == [("m", 1)]
    assert _versions(model_version_search(filter_string="tags.team != 'ds'")) == [("m", 2)]
    # Like SQL and MLflow, `!=` does not match versions that have no run at all.
    assert _versions(model_version_search(filter_string="run_id != 'elsewhere'")) == [("m", 1)]
    assert _versions(model_version_search(filter_string=f"run_id NOT IN ('{run.pk}')")) == []
    assert _versions(model_version_search(filter_string="name ILIKE 'M' and tags.`team` LIKE 'm%'")) == [("m", 2)]


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [("foo = 'x'", "Invalid attribute key 'foo' for model versions. Valid keys: current_stage, name, run_id, "
                   "source_path, version_number"),
     ("name > 'a'", "Invalid comparator '>' for string attribute 'name'. Valid comparators: =, !=, LIKE, ILIKE, "
                    "IN, NOT IN"),
     ("version_number = '1'", "Invalid value '1' for numeric attribute 'version_number': expected an unquoted"),
     ("name = 5", "Invalid value 5 for attribute 'name': string values must be quoted"),
     ("metrics.acc > 1", "Invalid filter key type 'metric' for model versions. Valid key types: attribute, tag"),
     ("current_stage LIKE 'P%'", "Invalid comparator 'LIKE' for stage attribute 'current_stage'")],
)
def test_it_rejects_keys_and_comparators_versions_do_not_have(filter_string, message):
    with pytest.raises(FilterSyntaxError) as caught:
        model_version_search(filter_string=filter_string)
    assert message in caught.value.message


def test_it_pages_versions_with_offset_tokens(register):
    for _ in range(3):
        register("m")
    first = model_version_search(max_results=2)
    assert len(first.items) == 2 and page_token_decode(first.next_page_token) == 2
    second = model_version_search(max_results=2, page_token=first.next_page_token)
    assert _versions(second) == [("m", 1)] and second.next_page_token is None
    assert model_version_search(max_results=3).next_page_token is None


def test_it_hides_versions_of_models_the_actor_cannot_read(register, governance, outsider):
    class OnlyPublic(Governance):
        def readable_models_filter(self, actor):
            return Q(name__startswith="public")

    register("public-model")
    register("secret-model")
    governance(OnlyPublic())
    assert _versions(model_version_search(actor=outsider)) == [("public-model", 1)]
    assert [m.name for m in registered_model_search(actor=outsider).items] == ["public-model"]


@pytest.mark.parametrize("rows", [1, 50])
def test_version_search_costs_fixed_queries(register, owner, rows, django_assert_max_num_queries):
    for _ in range(rows):
        version = register("m", tags=[("team", "ds")])
    registered_model_alias_set(registered_model=version.registered_model, alias="champion", version_number=1,
                               actor=owner, entry_point=EntryPoint.SYSTEM)
    # versions joined with their model; tags; aliases
    with django_assert_max_num_queries(3):
        page = model_version_search(filter_string="name = 'm'")
        rendered = [(v.name, [t.key for t in v.tags.all()], [a.alias for a in v.aliases.all()]) for v in page.items]
    assert len(rendered) == rows and ("m", ["team"], ["champion"]) in rendered


# --- registered models ----------------------------------------------------------------------------------------


def test_it_orders_models_by_name_and_filters_by_name_and_tags(register, owner):
    for name in ("beta", "alpha", "Gamma"):
        register(name)
    registered_model_set_tag(registered_model=RegisteredModel.objects.get(name="beta"), key="team", value="ds",
                             actor=owner, entry_point=EntryPoint.SYSTEM)
    names = lambda **kwargs: [m.name for m in registered_model_search(**kwargs).items]  # noqa: E731
    assert names() == ["Gamma", "alpha", "beta"]
    assert names(order_by=["name DESC"]) == ["beta", "alpha", "Gamma"]
    assert names(filter_string="name ILIKE 'g%'") == ["Gamma"]
    assert names(filter_string="name LIKE 'g%'") == []
    assert names(filter_string="name IN ('alpha', 'beta') and name != 'alpha'") == ["beta"]
    assert names(filter_string="tags.team = 'ds'") == ["beta"]


def test_it_rejects_registered_model_orders_and_limits_out_of_range():
    with pytest.raises(FilterSyntaxError, match="Invalid order_by key 'size' for registered models"):
        registered_model_search(order_by=["size DESC"])
    with pytest.raises(InvalidParameter, match="^Invalid value for request parameter max_results. It must be at most "
                                               "1000, but got value 1001$"):
        registered_model_search(max_results=1001)


@pytest.mark.parametrize("rows", [1, 50])
def test_registered_model_search_costs_fixed_queries(register, rows, django_assert_max_num_queries):
    for index in range(rows):
        register(f"model-{index:02}", tags=[("k", "v")])
    # models; tags; aliases; versions (joined with their model); version tags; version aliases
    with django_assert_max_num_queries(6):
        page = registered_model_search(max_results=100)
        rendered = [(m.name, list(m.tags.all()), list(m.aliases.all()),
                     [list(v.tags.all()) for v in m.all_versions]) for m in page.items]
    assert len(rendered) == rows


# --- runs -----------------------------------------------------------------------------------------------------


def test_it_orders_runs_by_start_time_desc_then_run_id(make_run):
    old, new = make_run(start_time=1000), make_run(start_time=2000)
    tied = sorted([make_run(start_time=1500), make_run(start_time=1500)], key=lambda run: run.pk)
    page = run_search(actor=None, experiment_ids=[old.experiment_id])
    assert [r.pk for r in page.items] == [new.pk, *[r.pk for r in tied], old.pk]


def test_it_filters_runs_by_metrics_params_tags_and_attributes(make_run):
    good = make_run(name="good", metrics={"accuracy": 0.95}, params={"alpha": "0.5"}, tags={"team": "ds"})
    bad = make_run(name="bad", metrics={"accuracy": 0.5}, params={"alpha": "0.1"})
    run_update(actor=None, run=bad, status=RunStatus.FAILED)
    ids = lambda text: [r.pk for r in run_search(  # noqa: E731
        actor=None, experiment_ids=[good.experiment_id], filter_string=text).items]
    assert ids("metrics.accuracy > 0.9") == [good.pk]
    assert ids("metrics.accuracy <= 0.5 and params.alpha = '0.1'") == [bad.pk]
    assert ids("tags.team = 'ds'") == [good.pk]
    assert ids("attributes.status = 'FAILED'") == [bad.pk]
    assert ids("run_name LIKE 'go%'") == [good.pk]
    assert ids(f"run_id IN ('{bad.pk}')") == [bad.pk]
    assert ids("metrics.missing > 0") == []


def test_it_filters_runs_by_dataset_inputs(make_run):
    trained, other = make_run(), make_run()
    run_log_inputs(actor=None,
                   run=trained, inputs=[DatasetInput(name="iris", digest="abc123", source_type="code", source="{}")])
    page = run_search(actor=None, experiment_ids=[trained.experiment_id], filter_string="datasets.name = 'iris'")
    assert [r.pk for r in page.items] == [trained.pk]
    assert run_search(actor=None,
                      experiment_ids=[other.experiment_id], filter_string="datasets.digest = 'nope'").items == []


def test_it_orders_runs_by_metric_with_missing_values_last(make_run):
    low, high, none = make_run(metrics={"rmse": 1.0}), make_run(metrics={"rmse": 2.0}), make_run()
    for order, expected in (("metrics.rmse DESC", [high, low, none]), ("metrics.rmse", [low, high, none])):
        page = run_search(actor=None, experiment_ids=[low.experiment_id], order_by=[order])
        assert [r.pk for r in page.items] == [r.pk for r in expected]


def test_it_orders_runs_by_several_keys_while_filtering_on_them(make_run):
    a_fast = make_run(params={"model": "a"}, metrics={"rmse": 1.0}, tags={"team": "x"}, start_time=1)
    a_slow = make_run(params={"model": "a"}, metrics={"rmse": 3.0}, tags={"team": "y"}, start_time=2)
    b_only = make_run(params={"model": "b"}, metrics={"rmse": 2.0}, start_time=3)
    no_metric = make_run(params={"model": "a"}, start_time=4)
    page = run_search(actor=None, experiment_ids=[a_fast.experiment_id], filter_string="params.model != 'c'",
                      order_by=["params.model ASC", "metrics.rmse DESC", "tags.team ASC"])
    assert [r.pk for r in page.items] == [a_slow.pk, a_fast.pk, no_metric.pk, b_only.pk]
    # Filtering on a key the order also joins on keeps one row per run.
    by_rmse = run_search(actor=None, experiment_ids=[a_fast.experiment_id], filter_string="metrics.rmse > 0",
                         order_by=["metrics.rmse ASC"])
    assert [r.pk for r in by_rmse.items] == [a_fast.pk, b_only.pk, a_slow.pk]


def test_it_searches_deleted_runs_only_when_asked(make_run, owner):
    kept, deleted = make_run(), make_run()
    run_delete(run=deleted, actor=owner, entry_point=EntryPoint.SYSTEM)
    ids = lambda view: {r.pk for r in run_search(  # noqa: E731
        actor=None, experiment_ids=[kept.experiment_id], run_view_type=view).items}
    assert ids("ACTIVE_ONLY") == {kept.pk}
    assert ids("DELETED_ONLY") == {deleted.pk}
    assert ids("ALL") == {kept.pk, deleted.pk}
    with pytest.raises(InvalidParameter, match="Value must be one of ACTIVE_ONLY, DELETED_ONLY, ALL"):
        run_search(actor=None, experiment_ids=[kept.experiment_id], run_view_type="SOME")


def test_it_keeps_runs_of_other_experiments_out(make_run, owner):
    other_experiment = experiment_create(name="other", actor=owner, entry_point=EntryPoint.SYSTEM)
    mine, _ = make_run(), make_run(in_experiment=other_experiment)
    assert [r.pk for r in run_search(actor=None, experiment_ids=[str(mine.experiment_id)]).items] == [mine.pk]
    with pytest.raises(InvalidParameter, match="Invalid experiment id 'abc'"):
        run_search(actor=None, experiment_ids=["abc"])


@pytest.mark.parametrize("rows", [1, 50])
def test_run_search_costs_fixed_queries(make_run, rows, django_assert_max_num_queries):
    for _ in range(rows):
        run = make_run(metrics={"acc": 0.9}, params={"a": "1"}, tags={"t": "v"})
        run_log_inputs(actor=None,
                       run=run, inputs=[DatasetInput(name="d", digest="x", source_type="code", source="{}")])
    # runs joined with experiment; latest metrics; params; tags; inputs joined with dataset; outputs
    with django_assert_max_num_queries(6):
        page = run_search(actor=None, experiment_ids=[run.experiment_id], filter_string="metrics.acc > 0.5")
        rendered = [(r.experiment.name, list(r.latest_metrics.all()), list(r.params.all()), list(r.tags.all()),
                     [i.dataset.name for i in r.inputs.all()], list(r.outputs.all())) for r in page.items]
    assert len(rendered) == rows


# --- experiments and logged models ---------------------------------------------------------------------------


def test_it_searches_experiments_by_name_tags_time_and_lifecycle(owner):
    first = experiment_create(name="alpha-exp", actor=owner, entry_point=EntryPoint.SYSTEM)
    wait_next_ms()
    second = experiment_create(name="beta-exp", actor=owner, entry_point=EntryPoint.SYSTEM)
    experiment_set_tag(actor=None, experiment=first, key="team", value="ds")
    names = lambda **kwargs: [e.name for e in experiment_search(actor=None, **kwargs).items]  # noqa: E731
    assert names(filter_string="name LIKE '%-exp'") == ["beta-exp", "alpha-exp"]
    assert names(filter_string="tags.team = 'ds'") == ["alpha-exp"]
    assert names(filter_string=f"creation_time >= {second.creation_time} and name != 'Default'") == ["beta-exp"]
    assert names(filter_string="name ILIKE 'ALPHA%'", order_by=["name DESC"]) == ["alpha-exp"]
    experiment_delete(experiment=second, actor=owner, entry_point=EntryPoint.SYSTEM)
    assert names(view_type="DELETED_ONLY") == ["beta-exp"]
    assert "beta-exp" not in names() and {"alpha-exp", "beta-exp"} <= set(names(view_type="ALL"))


def test_it_finds_logged_models_by_name_and_pages_through_them(experiment, make_run):
    run = make_run()
    models = [logged_model_create(actor=None,
                                  experiment=experiment, name="model", source_run=run, params=[("depth", "3")])
              for _ in range(3)]
    logged_model_create(actor=None, experiment=experiment, name="other")
    run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="acc", value=0.9, timestamp=1, model_id=models[0].pk)])
    found, token = [], None
    while True:
        page = logged_model_search(actor=None, experiment_ids=[str(experiment.pk)], filter_string="name = 'model'",
                                   max_results=2, page_token=token,
                                   order_by=[{"field_name": "model_id", "ascending": True}])
        found += [m.pk for m in page.items]
        if not (token := page.next_page_token):
            break
    assert found == sorted(m.pk for m in models)
    page = logged_model_search(actor=None,
                               experiment_ids=[experiment.pk], filter_string="metrics.acc > 0.5 and params.depth = '3'")
    assert [m.pk for m in page.items] == [models[0].pk]


def test_it_orders_logged_models_by_their_latest_metric_point(experiment, make_run):
    run = make_run()
    first, second = (logged_model_create(actor=None,
                                         experiment=experiment, name=f"m{i}", source_run=run) for i in (1, 2))
    run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="acc", value=0.99, timestamp=1, model_id=first.pk),
                                    MetricPoint(key="acc", value=0.10, timestamp=2, model_id=first.pk),
                                    MetricPoint(key="acc", value=0.50, timestamp=1, model_id=second.pk)])
    page = logged_model_search(actor=None, experiment_ids=[experiment.pk], order_by=[{"field_name": "metrics.acc",
                                                                          "ascending": False}])
    assert [m.pk for m in page.items] == [second.pk, first.pk]


# --- page tokens and limits ------------------------------------------------------------------------------------


def test_page_tokens_are_base64_json_offsets():
    token = page_token_encode(7)
    assert json.loads(base64.b64decode(token)) == {"offset": 7}
    assert page_token_decode(token) == 7


@pytest.mark.parametrize("token", ["not base64!", base64.b64encode(b"[1]").decode(),
                                   base64.b64encode(b'{"offset": -1}').decode(),
                                   base64.b64encode(b'{"offset": "3"}').decode()])
def test_it_rejects_page_tokens_it_did_not_hand_out(token):
    with pytest.raises(InvalidParameter, match="Invalid page token"):
        model_version_search(page_token=token)


@pytest.mark.parametrize(("search", "bad", "message"), [
    (model_version_search, 0, "Invalid value for max_results. It must be a positive integer, but got 0"),
    (model_version_search, 200_001,
     "Invalid value for request parameter max_results. It must be at most 200000, but got value 200001"),
    (registered_model_search, 0, "Invalid value for max_results. It must be a positive integer, but got 0"),
    (registered_model_search, 2.5, "Invalid value for max_results. It must be a positive integer, but got 2.5"),
])
def test_it_bounds_max_results_in_mlflows_words(search, bad, message):
    with pytest.raises(InvalidParameter) as caught:
        search(max_results=bad)
    assert caught.value.message == message


def test_it_uses_mlflows_default_page_size_when_max_results_is_missing(register):
    for _ in range(3):
        register("m")
    page = registered_model_search(max_results=None)
    assert len(page.items) == 1 and page.next_page_token is None
    assert len(model_version_search(max_results=None).items) == 3


def test_it_bounds_max_results_of_runs_and_experiments(experiment):
    with pytest.raises(InvalidParameter, match="^Invalid value 50001 for parameter 'max_results' supplied. It must be "
                                               "at most 50000$"):
        run_search(actor=None, experiment_ids=[experiment.pk], max_results=50_001)
    with pytest.raises(InvalidParameter, match="^Invalid value 0 for parameter 'max_results' supplied. It must be a "
                                               "positive integer$"):
        experiment_search(actor=None, max_results=0)
    with pytest.raises(InvalidParameter, match="Invalid value many for parameter 'max_results' supplied"):
        experiment_search(actor=None, max_results="many")


# --- MLflow's prompt exclusion and presence tests -------------------------------------------------------------

CLIENT_DEFAULT = "tag.`mlflow.prompt.is_prompt` != 'true'"


def _make_prompt(register, owner, name):
    """A prompt as MLflow's client stores one: the tag on the model and on each of its versions."""
    version = register(name, tags=[("mlflow.prompt.is_prompt", "true")])
    registered_model_set_tag(registered_model=version.registered_model, key="mlflow.prompt.is_prompt",
                             value="true", actor=owner, entry_point=EntryPoint.SYSTEM)
    return version


def test_the_clients_default_filter_finds_models_without_the_prompt_tag(register, owner):
    register("plain")
    register("marked_false", tags=[("mlflow.prompt.is_prompt", "false")])
    registered_model_set_tag(registered_model=RegisteredModel.objects.get(name="marked_false"),
                             key="mlflow.prompt.is_prompt", value="false", actor=owner, entry_point=EntryPoint.SYSTEM)
    _make_prompt(register, owner, "a_prompt")
    names = lambda text: [m.name for m in registered_model_search(filter_string=text).items]  # noqa: E731
    assert names(CLIENT_DEFAULT) == ["marked_false", "plain"]
    assert names(f"name LIKE 'pl%' AND {CLIENT_DEFAULT}") == ["plain"]
    # Prompts stay out by default, and with any clause that does not ask for them ...
    assert names("") == ["marked_false", "plain"]
    assert names("tags.`mlflow.prompt.is_prompt` = 'false'") == ["marked_false", "plain"]
    # ... and come back, alone, when the filter asks for prompts.
    assert names("tags.`mlflow.prompt.is_prompt` = 'true'") == ["a_prompt"]
    assert names("tags.`mlflow.prompt.is_prompt` != 'false'") == ["a_prompt"]


def test_version_search_leaves_prompt_versions_out_unless_asked(register, owner):
    register("plain")
    _make_prompt(register, owner, "a_prompt")
    found = lambda text: _versions(model_version_search(filter_string=text))  # noqa: E731
    assert found("") == [("plain", 1)]
    assert found(CLIENT_DEFAULT) == [("plain", 1)]
    assert found("tags.`mlflow.prompt.is_prompt` = 'true'") == [("a_prompt", 1)]


def test_not_equal_on_an_ordinary_tag_needs_the_tag_as_in_mlflow(register, owner, make_run):
    register("tagged", tags=[("team", "ds")])
    register("other_team", tags=[("team", "ml")])
    register("untagged")
    # MLflow joins the tag table for `!=`: a row without the tag matches neither `=` nor `!=`.
    assert _versions(model_version_search(filter_string="tags.team != 'ds'")) == [("other_team", 1)]
    run = make_run(tags={"team": "ml"})
    make_run()
    found = [r.pk for r in run_search(actor=None, experiment_ids=[run.experiment_id],
                                      filter_string="tags.team != 'ds'").items]
    assert found == [run.pk]


def test_it_tests_run_tags_params_and_experiment_tags_for_presence(make_run, owner):
    tagged = make_run(tags={"team": "ds"}, params={"lr": "0.1"})
    bare = make_run()
    ids = lambda text: {r.pk for r in run_search(actor=None, experiment_ids=[bare.experiment_id],  # noqa: E731
                                                 filter_string=text).items}  # noqa: E731
    assert ids("tags.team IS NULL") == {bare.pk}
    assert ids("tags.team IS NOT NULL") == {tagged.pk}
    assert ids("params.lr IS NULL") == {bare.pk}
    assert ids("params.lr IS NOT NULL and tags.team = 'ds'") == {tagged.pk}
    experiment = experiment_create(name="with-tag", actor=owner, entry_point=EntryPoint.SYSTEM)
    experiment_set_tag(actor=None, experiment=experiment, key="team", value="ds")
    assert [e.name for e in experiment_search(actor=None, filter_string="tags.team IS NOT NULL").items] == ["with-tag"]
    assert "with-tag" not in [e.name for e in experiment_search(actor=None, filter_string="tags.team IS NULL").items]


@pytest.mark.parametrize(("search", "filter_string"), [
    (registered_model_search, "tags.team IS NULL"),
    (model_version_search, "tags.team IS NOT NULL"),
    (lambda **kwargs: run_search(actor=None, experiment_ids=["0"], **kwargs), "metrics.loss IS NULL"),
    (lambda **kwargs: run_search(actor=None, experiment_ids=["0"], **kwargs), "attributes.status IS NULL"),
])
def test_it_refuses_presence_tests_where_mlflow_does(search, filter_string):
    with pytest.raises(FilterSyntaxError, match="Invalid comparator 'IS"):
        search(filter_string=filter_string)


@pytest.mark.parametrize(("search", "filter_string"), [
    (registered_model_search, "tags.team IN ('ds')"),
    (model_version_search, "tags.team NOT IN ('ds')"),
    (lambda **kwargs: experiment_search(actor=None, **kwargs), "tags.team IN ('ds')"),
    (lambda **kwargs: run_search(actor=None, experiment_ids=["0"], **kwargs), "params.lr IN ('0.1')"),
    (registered_model_search, "tags.`mlflow.prompt.is_prompt` IN ('true')"),
])
def test_it_refuses_in_lists_on_tags_and_params_as_mlflow_does(search, filter_string):
    with pytest.raises(FilterSyntaxError, match="Invalid comparator '(NOT )?IN' for string"):
        search(filter_string=filter_string)


def test_logged_model_search_takes_in_lists_on_tags_as_mlflow_does(experiment):
    model = logged_model_create(actor=None, experiment=experiment, name="m", tags=[("team", "ds")])
    found = logged_model_search(actor=None, experiment_ids=[experiment.pk], filter_string="tags.team IN ('ds', 'ml')")
    assert [m.pk for m in found.items] == [model.pk]


def test_it_filters_experiments_by_id_as_mlflow_does(owner):
    first = experiment_create(name="first-by-id", actor=owner, entry_point=EntryPoint.SYSTEM)
    second = experiment_create(name="second-by-id", actor=owner, entry_point=EntryPoint.SYSTEM)
    names = lambda text: sorted(e.name for e in experiment_search(actor=None, filter_string=text).items)  # noqa: E731
    assert names(f"experiment_id = '{first.pk}'") == ["first-by-id"]
    assert names(f"experiment_id IN ('{first.pk}', '{second.pk}')") == ["first-by-id", "second-by-id"]
    assert "first-by-id" not in names(f"experiment_id != '{first.pk}'")
    with pytest.raises(FilterSyntaxError, match="Invalid experiment ID 'x'. Experiment ID must be a valid integer."):
        experiment_search(actor=None, filter_string="experiment_id = 'x'")
    with pytest.raises(FilterSyntaxError, match="Invalid comparator 'LIKE' for id attribute 'experiment_id'"):
        experiment_search(actor=None, filter_string="experiment_id LIKE '1%'")
