"""Template filters for the dashboard: MLflow's epoch-millisecond times and dictionary lookups."""
import json
from datetime import UTC, datetime

from django import template

register = template.Library()


@register.filter
def ms_datetime(value):
    """Epoch milliseconds (MLflow's time unit) as an aware datetime, for the `date` filter."""
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


@register.filter
def metric_value(value):
    """A float at 6 significant digits (0.9099999999 -> 0.91); other values unchanged, None as NaN."""
    if value is None:
        return "NaN"
    return f"{value:.6g}" if isinstance(value, float) else value


@register.filter
def as_json(value) -> str:
    """Audit details as compact JSON, the form the CSV export and the API use too."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@register.filter
def lookup(mapping, key):
    """`mapping[key]` in a template, None when missing (metric and param columns of a runs table)."""
    return mapping.get(key) if mapping else None


@register.filter
def audit_object_label(event) -> str:
    """A model's objects are named by their id ("iris/2"); a bare number or a name outside any model gets its kind."""
    kind = event.object_type.replace("_", " ")
    if event.object_id.isdigit():
        return f"{kind} #{event.object_id}"
    return event.object_id if event.registered_model_name else f"{kind} {event.object_id}".strip()
