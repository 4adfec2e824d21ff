"""The MLflow filter / order_by parser: every operator, key form, and a table of malformed inputs."""
import pytest

from models_app.exceptions import FilterSyntaxError, InvalidParameter
from models_app.search_filter import Clause, OrderClause, parse_filter, parse_order_by


@pytest.mark.parametrize("comparator", ["=", "!=", ">", ">=", "<", "<="])
def test_it_parses_each_numeric_comparator(comparator):
    assert parse_filter(f"metrics.accuracy {comparator} 0.9") == [Clause("metric", "accuracy", comparator, 0.9)]


@pytest.mark.parametrize("comparator", ["LIKE", "ILIKE", "like", "iLike"])
def test_it_parses_like_comparators_in_any_case(comparator):
    assert parse_filter(f"name {comparator} 'iris%'") == [Clause("attribute", "name", comparator.upper(), "iris%")]


def test_it_parses_in_and_not_in_lists():
    assert parse_filter("run_id IN ('a', 'b')") == [Clause("attribute", "run_id", "IN", ("a", "b"))]
    assert parse_filter("name not in ('x')") == [Clause("attribute", "name", "NOT IN", ("x",))]


def test_it_parses_presence_comparators_without_a_value():
    assert parse_filter("tags.team IS NULL and params.lr is not null") == [
        Clause("tag", "team", "IS NULL", None), Clause("param", "lr", "IS NOT NULL", None)]


def test_it_reads_integers_and_floats():
    assert parse_filter("version_number = 3") == [Clause("attribute", "version_number", "=", 3)]
    assert parse_filter("metrics.loss < -1.5e-3") == [Clause("metric", "loss", "<", -0.0015)]


def test_it_joins_clauses_with_and_in_any_case():
    clauses = parse_filter("name='iris_classifier' and current_stage='Production' AND tags.team = 'ds'")
    assert clauses == [
        Clause("attribute", "name", "=", "iris_classifier"),
        Clause("attribute", "current_stage", "=", "Production"),
        Clause("tag", "team", "=", "ds"),
    ]


@pytest.mark.parametrize(
    ("prefix", "key_type"),
    [("attributes", "attribute"), ("attribute", "attribute"), ("attr", "attribute"), ("run", "attribute"),
     ("metrics", "metric"), ("metric", "metric"), ("params", "param"), ("param", "param"),
     ("parameters", "param"), ("tags", "tag"), ("tag", "tag"), ("datasets", "dataset"), ("Tags", "tag")],
)
def test_it_maps_every_prefix_mlflow_accepts(prefix, key_type):
    assert parse_filter(f"{prefix}.status = 'FINISHED'") == [Clause(key_type, "status", "=", "FINISHED")]


def test_it_reads_quoted_keys_after_the_prefix():
    assert parse_filter("tags.`my key` = 'v'") == [Clause("tag", "my key", "=", "v")]
    assert parse_filter('params."learning-rate" = \'0.1\'') == [Clause("param", "learning-rate", "=", "0.1")]


def test_it_keeps_dots_after_the_first_in_the_key():
    assert parse_filter("tags.mlflow.runName = 'x'") == [Clause("tag", "mlflow.runName", "=", "x")]


def test_it_reads_double_quoted_values_and_keeps_spaces():
    assert parse_filter('params.alpha = "0.5 and more"') == [Clause("param", "alpha", "=", "0.5 and more")]


def test_it_answers_no_clauses_for_an_empty_filter():
    assert parse_filter("") == []
    assert parse_filter("   ") == []
    assert parse_filter(None) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("metrics.rmse DESC", OrderClause("metric", "rmse", False)),
     ("name ASC", OrderClause("attribute", "name", True)),
     ("attributes.start_time", OrderClause("attribute", "start_time", True)),
     ("last_updated_timestamp desc", OrderClause("attribute", "last_updated_timestamp", False)),
     ("tags.`my key` asc", OrderClause("tag", "my key", True))],
)
def test_it_parses_order_by_clauses(text, expected):
    assert parse_order_by(text) == expected


MALFORMED_FILTERS = [
    ("name = x", "Invalid filter 'name = x': string values must be quoted"),
    ("name = 'x", "Invalid filter 'name = 'x': unclosed quote ' at position 7"),
    ('name = "x', "Invalid filter 'name = \"x': unclosed quote \" at position 7"),
    ("tags.`a = 'x'", "unclosed quote ` at position 5"),
    ("name = 'x' and", "Invalid filter 'name = 'x' and': expected a clause after AND"),
    ("name = 'a' OR name = 'b'", "OR is not supported; join clauses with AND"),
    ("name = 'a' name = 'b'", "expected AND between clauses, got 'name'"),
    ("name", "missing comparator after 'name'"),
    ("name =", "missing value after '='"),
    ("name 'x'", "expected a comparator after 'name', got ''x''"),
    ("tags.a IS 'x'", "expected NULL or NOT NULL after 'a IS'"),
    ("tags.a IS NOT 'x'", "expected NULL or NOT NULL after 'a IS'"),
    ("name NOT LIKE 'x'", "unsupported comparator 'NOT ...' after 'name'"),
    ("= 'x'", "expected a key, got '='"),
    ("'name' = 'x'", "expected a key, got the quoted value 'name'"),
    ("foo.bar = 'x'", "invalid key type 'foo'; valid prefixes are attributes, metrics, params, tags, datasets"),
    ("tags. = 'x'", "missing key name after 'tags.'"),
    ("name IN 'a'", "IN needs a parenthesised list of quoted strings"),
    ("name IN ('a'", "unclosed list after IN: expected ',' or ')'"),
    ("name IN ()", "values in IN (...) must be quoted strings, got ')'"),
    ("name IN (1, 2)", "values in IN (...) must be quoted strings, got '1'"),
    ("tags.my-key = 'x'", "unexpected character '-' at position 7"),
    ("name = 'x'; drop table x", "unexpected character ';' at position 10"),
    ("name == 'x'", "expected a value after '=', got '='"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED_FILTERS)
def test_it_rejects_malformed_filters_naming_the_problem(text, message):
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"Invalid filter '{text}': ")


def test_it_rejects_a_filter_that_is_not_a_string():
    with pytest.raises(FilterSyntaxError, match="Invalid filter 5: the filter must be a string"):
        parse_filter(5)


def test_filter_errors_are_invalid_parameter_errors():
    with pytest.raises(InvalidParameter) as caught:
        parse_filter("name = x")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert caught.value.http_status == 400


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Invalid order_by clause '': expected '<key> [ASC|DESC]'"),
     (None, "Invalid order_by clause '': expected '<key> [ASC|DESC]'"),
     ("name DESC extra", "Invalid order_by clause 'name DESC extra': unexpected 'extra' after the key"),
     ("name sideways", "unexpected 'sideways' after the key; expected ASC or DESC"),
     ("bogus.name", "invalid key type 'bogus'"),
     ("DESC", "expected a key, got 'DESC'")],
)
def test_it_rejects_malformed_order_by_clauses(text, message):
    with pytest.raises(FilterSyntaxError) as caught:
        parse_order_by(text)
    assert message in str(caught.value)
