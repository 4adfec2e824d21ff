"""The audit log: filtered, paginated, exported as CSV."""
import csv
import json
from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..choices import AuditAction
from ..selectors.audit import audit_events_filtered
from .common import page_number, page_or_fragment, query_without

EVENTS_PER_PAGE = 50
CSV_COLUMNS = ("id", "created_at", "actor_name", "action", "entry_point", "object_type", "object_id",
               "registered_model_name", "details", "hash")


def _moment(value: str, *, end_of_day: bool) -> datetime | None:
    """`2026-11-23` or `2026-11-23T10:30` as an aware datetime; a bare date covers the whole day."""
    parsed = datetime.fromisoformat(value)
    if len(value) == 10:
        parsed = datetime.combine(parsed.date(), time.max if end_of_day else time.min)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _filters(request) -> tuple[dict, str]:
    """Selector arguments from the query string, and a message naming a date that does not parse."""
    values = {name: request.GET.get(name, "").strip() for name in ("model", "actor", "action", "since", "until")}
    filters = {name: values[name] for name in ("model", "actor", "action")}
    for name in ("since", "until"):
        if values[name]:
            try:
                filters[name] = _moment(values[name], end_of_day=name == "until")
            except ValueError:
                return {}, f"'{values[name]}' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM for '{name}'."
    return filters, ""


@login_required
@require_GET
def auditevent_list(request):
    filters, error = _filters(request)
    events = audit_events_filtered(viewer=request.user, **filters).order_by("-id") if not error else None
    page = Paginator(events, EVENTS_PER_PAGE).get_page(page_number(request)) if events is not None else None
    context = {"page": page, "filter_error": error, "values": request.GET, "actions": AuditAction.values,
               "keep": query_without(request, "page")}
    return page_or_fragment(request, "models_app/auditevent_list.html", "models_app/partials/audit_table.html",
                            context)


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def auditevent_export(request):
    filters, error = _filters(request)
    events = audit_events_filtered(viewer=request.user, **filters)
    events = events.order_by("id") if not error else events.none()
    writer = csv.writer(_Echo())
    rows = (writer.writerow([_cell(event, column) for column in CSV_COLUMNS]) for event in events.iterator())
    response = StreamingHttpResponse((line for part in ([writer.writerow(CSV_COLUMNS)], rows) for line in part),
                                     content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
    return response


def _cell(event, column: str):
    value = getattr(event, column)
    if isinstance(value, datetime):
        return value.isoformat()
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
