"""Helpers shared by the dashboard's views."""
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ..exceptions import NotFound, RegistryError


def page_or_fragment(request: HttpRequest, page: str, fragment: str, context: dict) -> HttpResponse:
    """The fragment for an HTMX swap, the full page otherwise (boosted requests want whole pages too)."""
    htmx = getattr(request, "htmx", None)
    template = fragment if htmx and not htmx.boosted else page
    return render(request, template, context)


def found_or_404(read: Callable, **kwargs):
    """Call a selector; a NotFound becomes a 404 page carrying the selector's message."""
    try:
        return read(**kwargs)
    except NotFound as error:
        raise Http404(error.message) from None


# Pages past this one are empty for any registry we serve; clamping keeps OFFSET within what the database holds
# (`?page=99999999999999999999999` used to fail with "bigint out of range").
MAX_PAGE_NUMBER = 1_000_000


def page_number(request: HttpRequest) -> int:
    """`?page=` as 1 … MAX_PAGE_NUMBER: anything unreadable is page 1, anything larger the last page we serve."""
    try:
        return min(max(1, int(request.GET.get("page", 1))), MAX_PAGE_NUMBER)
    except ValueError:
        return 1


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string minus `names`, to build sort and page links that keep the other filters."""
    kept = [(key, value) for key, value in request.GET.items() if key not in names]
    return urlencode(kept)


def attempt(action: Callable[[], object], *, refused: str) -> tuple[object | None, str]:
    """Run a service call; a domain refusal becomes the page's error message ("<refused>: <why>")."""
    try:
        return action(), ""
    except RegistryError as refusal:
        return None, f"{refused}: {refusal.page_message}"


def flash_outcome(request: HttpRequest, *, error: str, notice: str) -> None:
    """For plain (non-HTMX) form posts, which answer with a redirect: carry the outcome to the next page."""
    messages.add_message(request, messages.ERROR if error else messages.SUCCESS, error or notice)
