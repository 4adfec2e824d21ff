"""Template filters for the dashboard: MLflow's epoch-millisecond times and dictionary lookups."""
from datetime import UTC, datetime

from django import template

from models_app import audit_links
from models_app.services.common import MAX_COMMENT_LENGTH, MAX_DESCRIPTION_LENGTH

register = template.Library()


_TEXT_LIMITS = {"description": MAX_DESCRIPTION_LENGTH, "comment": MAX_COMMENT_LENGTH}


@register.simple_tag
def text_limit(kind: str) -> int:
    """The services' length limit of a kind of free text, for a form field's maxlength."""
    return _TEXT_LIMITS[kind]


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
def audit_detail_fields(details) -> list[tuple[str, str]]:
    """Audit details as (label, readable value) rows. A before/after pair (a policy change) becomes one row per
    changed field, "old → new"; a record of only one side lists its fields."""
    details = dict(details or {})
    before, after = details.pop("before", None), details.pop("after", None)
    changed = details.pop("changed", None)
    rows = [(_label(key), _readable(value)) for key, value in details.items()]
    if isinstance(before, dict) and isinstance(after, dict):
        keys = changed if isinstance(changed, list) else sorted(k for k in after if before.get(k) != after.get(k))
        rows += [(_label(key), f"{_readable(before.get(key))} → {_readable(after.get(key))}") for key in keys]
    else:  # a creation or a deletion: the record's fields, less those the details name already
        side, prefix = (after, "") if isinstance(after, dict) else (before, "was ")
        rows += [(_label(key), prefix + _readable(value)) for key, value in (side or {}).items()
                 if details.get(key, object()) != value]
    return rows


def _label(key) -> str:
    return str(key).replace("_", " ")


def _readable(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(_readable(item) for item in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{_label(key)} {_readable(item)}" for key, item in value.items()) if value else "none"
    return str(value)


@register.filter
def audit_object_url(event) -> str:
    return audit_links.audit_object_url(event)


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
