"""Turn parsed search clauses into ORM conditions and orderings, per searchable entity.

Each entity describes its keys once (an `EntitySpec`); the same description validates the filter,
builds `Q`/`Exists` conditions and builds `ORDER BY` expressions. Values always travel as query
parameters: nothing here concatenates user text into SQL.
"""
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, Subquery
from django.db.models.lookups import Lookup

from ..choices import Stage
from ..exceptions import FilterSyntaxError
from ..search_filter import PRESENCE_COMPARATORS, Clause, FilterLimits, OrderClause, parse_order_by

STRING = "string"
KEY_STRING = "key string"  # a tag's or param's value: MLflow takes no IN lists there (logged models aside)
NUMERIC = "numeric"
STAGE = "stage"
ID = "id"  # an integer id written as a string, as MLflow's experiment ids are
COMPARATORS = {
    STRING: ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"),
    KEY_STRING: ("=", "!=", "LIKE", "ILIKE"),
    NUMERIC: ("=", "!=", ">", ">=", "<", "<="),
    STAGE: ("=", "!=", "IN", "NOT IN"),
    ID: ("=", "!=", "IN", "NOT IN"),
}
_RANGE_LOOKUPS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


class SqlLike(Lookup):
    """SQL LIKE with MLflow's wildcards (% and _) and backslash as the escape character."""

    lookup_name = "sql_like"
    prepare_rhs = False
    template = "%s LIKE %s ESCAPE '\\'"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return self.template % (lhs, rhs), [*lhs_params, *rhs_params]


class SqlILike(SqlLike):
    """Case-insensitive LIKE; UPPER on both sides works on PostgreSQL and SQLite alike."""

    lookup_name = "sql_ilike"
    template = "UPPER(%s) LIKE UPPER(%s) ESCAPE '\\'"


@dataclass(frozen=True)
class Attribute:
    field: str
    kind: str = STRING


@dataclass(frozen=True)
class KeyValueTable:
    """A per-owner key/value table (tags, params, metrics) searched with an EXISTS subquery."""

    model: type[models.Model]
    owner: str
    kind: str = KEY_STRING
    # Which row's value sorts the owner when a key has several (metric history): the first in this order.
    latest_first: tuple[str, ...] = ()
    # Whether `IS NULL` / `IS NOT NULL` may test for the key (MLflow: run tags and params, experiment tags).
    presence: bool = False


@dataclass(frozen=True)
class EntitySpec:
    label: str
    attributes: dict[str, Attribute]
    tables: dict[str, KeyValueTable] = field(default_factory=dict)
    # key type "dataset": field name -> ORM path on a table joined like `tables` (RunInput for runs)
    datasets: KeyValueTable | None = None
    dataset_fields: dict[str, str] = field(default_factory=dict)
    order_attributes: dict[str, str] = field(default_factory=dict)
    default_order: tuple = ()


def clauses_to_q(spec: EntitySpec, clauses: list[Clause]) -> Q:
    condition = Q()
    for clause in clauses:
        condition &= clause_to_q(spec, clause)
    return condition


def clause_to_q(spec: EntitySpec, clause: Clause) -> Q:
    if clause.key_type == "attribute":
        attribute = spec.attributes.get(clause.key)
        if attribute is None:
            raise FilterSyntaxError(f"Invalid attribute key '{clause.key}' for {spec.label}. "
                                    f"Valid keys: {', '.join(sorted(spec.attributes))}")
        return compare(attribute.field, attribute.kind, clause, f"attribute '{clause.key}'")
    if clause.key_type == "dataset" and spec.datasets is not None:
        return _dataset_q(spec, clause)
    table = spec.tables.get(clause.key_type)
    if table is None:
        raise FilterSyntaxError(f"Invalid filter key type '{clause.key_type}' for {spec.label}. "
                                f"Valid key types: {', '.join(_key_types(spec))}")
    matching = table.model.objects.filter(**{table.owner: OuterRef("pk")}, key=clause.key)
    if clause.comparator in PRESENCE_COMPARATORS:
        if not table.presence:
            raise FilterSyntaxError(f"Invalid comparator '{clause.comparator}' for {clause.key_type} "
                                    f"'{clause.key}' of {spec.label}. Valid comparators: "
                                    f"{', '.join(COMPARATORS[table.kind])}")
        return Q(Exists(matching)) if clause.comparator == "IS NOT NULL" else ~Q(Exists(matching))
    # As in MLflow, `!=` needs the key to be there: an owner without the key matches neither `=` nor `!=`.
    condition = compare("value", table.kind, clause, f"{clause.key_type} '{clause.key}'")
    return Q(Exists(matching.filter(condition)))


def _dataset_q(spec: EntitySpec, clause: Clause) -> Q:
    path = spec.dataset_fields.get(clause.key)
    if path is None:
        raise FilterSyntaxError(f"Invalid dataset key '{clause.key}' for {spec.label}. "
                                f"Valid keys: {', '.join(sorted(spec.dataset_fields))}")
    matching = spec.datasets.model.objects.filter(**{spec.datasets.owner: OuterRef("pk")})
    return Q(Exists(matching.filter(compare(path, STRING, clause, f"dataset '{clause.key}'"))))


def _key_types(spec: EntitySpec) -> list[str]:
    return ["attribute", *spec.tables, *(["dataset"] if spec.datasets is not None else [])]


def compare(path: str, kind: str, clause: Clause, what: str) -> Q:
    """The condition `<path> <comparator> <value>`, after checking both fit a `kind` key."""
    if clause.comparator not in COMPARATORS[kind]:
        raise FilterSyntaxError(f"Invalid comparator '{clause.comparator}' for {_kind_label(kind)} {what}. "
                                f"Valid comparators: {', '.join(COMPARATORS[kind])}")
    value = _checked_value(kind, clause, what)
    comparator = clause.comparator
    if comparator in _RANGE_LOOKUPS:
        return Q(**{f"{path}__{_RANGE_LOOKUPS[comparator]}": value})
    if comparator in ("LIKE", "ILIKE"):
        lookup = SqlLike if comparator == "LIKE" else SqlILike
        return Q(lookup(F(path), value))
    condition = Q(**{f"{path}__in": value}) if comparator in ("IN", "NOT IN") else Q(**{path: value})
    if comparator in ("=", "IN"):
        return condition
    # As in SQL (and MLflow), a missing value matches neither `= x` nor `!= x`; Django's negation alone
    # would let NULLs through.
    return ~condition & Q(**{f"{path}__isnull": False})


def _kind_label(kind: str) -> str:
    return {STRING: "string", KEY_STRING: "string", NUMERIC: "numeric", STAGE: "stage", ID: "id"}[kind]


def _checked_value(kind: str, clause: Clause, what: str):
    value = clause.value
    if kind == NUMERIC:
        if not isinstance(value, int | float):
            raise FilterSyntaxError(f"Invalid value {_shown(value)} for numeric {what}: expected an unquoted number")
        return value
    if kind == ID:
        return tuple(map(_id, value)) if isinstance(value, tuple) else _id(value)
    if isinstance(value, int | float):
        raise FilterSyntaxError(f"Invalid value {value} for {what}: string values must be quoted")
    if kind == STAGE:
        return _stages(value) if isinstance(value, tuple) else _stages((value,))[0]
    return value


def _id(value) -> int:
    try:
        return int(value) if not isinstance(value, float) else int(str(value))
    except ValueError:
        raise FilterSyntaxError(f"Invalid experiment ID '{value}'. Experiment ID must be a valid integer.") from None


def _stages(names: tuple[str, ...]) -> tuple[str, ...]:
    stages = []
    for name in names:
        stage = Stage.canonical(name)
        if stage is None:
            raise FilterSyntaxError(f"Invalid stage '{name}' in filter. Value must be one of "
                                    f"{', '.join(s.value for s in Stage)}.")
        stages.append(stage.value)
    return tuple(stages)


def _shown(value) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def ordered(queryset: models.QuerySet, spec: EntitySpec, order_by) -> models.QuerySet:
    """The queryset in the caller's order_by entries, then the entity's default order as tie-break."""
    if isinstance(order_by, str):
        order_by = [order_by]
    # Each entry on a metric, param or tag is a join or a subquery: bounded like filter clauses.
    FilterLimits.current().check_clauses(len(order_by or ()), "order_by entries")
    expressions = []
    for position, entry in enumerate(order_by or ()):
        queryset, expression = order_expression(queryset, spec, parse_order_by(entry), position=position)
        expressions.append(expression)
    return queryset.order_by(*expressions, *spec.default_order)


def order_expression(queryset: models.QuerySet, spec: EntitySpec, clause: OrderClause, *, position: int):
    """(queryset, expression) sorting by one clause; the queryset gains the join the expression needs, if any."""
    if clause.key_type == "attribute":
        path = spec.order_attributes.get(clause.key)
        if path is None:
            raise FilterSyntaxError(f"Invalid order_by key '{clause.key}' for {spec.label}. "
                                    f"Valid keys: {', '.join(sorted(spec.order_attributes))}")
        expression = F(path)
    else:
        table = spec.tables.get(clause.key_type)
        if table is None:
            raise FilterSyntaxError(f"Invalid order_by key type '{clause.key_type}' for {spec.label}. "
                                    f"Valid key types: {', '.join(['attribute', *spec.tables])}")
        if table.latest_first:
            # Several rows per key: the latest one's value, picked per owner.
            rows = table.model.objects.filter(**{table.owner: OuterRef("pk")}, key=clause.key)
            expression = Subquery(rows.order_by(*table.latest_first).values("value")[:1])
        else:
            # One row per key: a LEFT JOIN on that key, which sorts a large table far faster than a subquery per row.
            relation = table.model._meta.get_field(table.owner).related_query_name()
            alias = f"order_{position}_{clause.key_type}"
            queryset = queryset.alias(**{alias: FilteredRelation(relation, condition=Q(**{
                f"{relation}__key": clause.key}))})
            expression = F(f"{alias}__value")
    # MLflow puts rows without the value last in both directions.
    ordering = expression.asc(nulls_last=True) if clause.ascending else expression.desc(nulls_last=True)
    return queryset, ordering
