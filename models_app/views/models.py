"""Registered model pages: the searchable list, one model's page, its description, version comparison."""
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ..choices import EntryPoint
from ..converters import INTEGER_MAX
from ..exceptions import InvalidParameter, RegistryError
from ..governance import current_governance
from ..selectors.pages_registry import (
    MODEL_SORTS,
    model_versions_compare,
    registered_model_list_page,
    registered_model_page,
    registered_model_timeline,
)
from ..selectors.registry import registered_model_get
from ..selectors.target_changes import alias_warnings
from ..services.registry import registered_model_update
from .common import found_or_404, page_number, page_or_fragment, query_without


@login_required
@require_GET
def registeredmodel_list(request):
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "name")
    sort = sort if sort in MODEL_SORTS else "name"
    page = registered_model_list_page(actor=request.user, query=query, sort=sort, page=page_number(request))
    pending = current_governance().pending_review_counts(list(page.object_list))
    for model in page.object_list:
        model.pending_reviews = pending.get(model.pk, 0)
    context = {"page": page, "query": query, "sort": sort, "keep": query_without(request, "page", "sort")}
    return page_or_fragment(request, "models_app/registeredmodel_list.html",
                            "models_app/partials/registeredmodel_table.html", context)


@login_required
@require_GET
def registeredmodel(request, name: str):
    model, versions = found_or_404(registered_model_page, name=name, actor=request.user, page=page_number(request))
    verdicts = current_governance().version_verdicts(list(versions.object_list))
    aliases = list(model.aliases.select_related("model_version").order_by("alias"))
    for version in versions.object_list:
        version.validation_verdict = verdicts.get(version.pk, "")
    context = {
        "model": model,
        "versions": versions,
        "timeline": registered_model_timeline(registered_model=model),
        "model_aliases": aliases,
        "alias_warnings": alias_warnings(aliases),
        "editing": request.GET.get("edit") == "1",
    }
    return page_or_fragment(request, "models_app/registeredmodel.html",
                            "models_app/partials/registeredmodel_versions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def registeredmodel_description(request, name: str):
    """GET: the description (an edit form with ?edit=1). POST: save it through registered_model_update."""
    model = found_or_404(registered_model_get, name=name, actor=request.user)
    error = ""
    if request.method == "POST":
        try:
            model = registered_model_update(registered_model=model, description=request.POST.get("description", ""),
                                            actor=request.user, entry_point=EntryPoint.PAGE)
        except RegistryError as refusal:
            error = refusal.message
        if not request.htmx:
            if error:
                messages.error(request, error)
            return redirect("models_app:registeredmodel", name=model.name)
    editing = bool(error) or request.GET.get("edit") == "1"
    if not request.htmx:
        # Without JavaScript the model page itself shows the form (?edit=1).
        url = reverse("models_app:registeredmodel", args=[model.name])
        return redirect(f"{url}?edit=1" if editing else url)
    draft = request.POST.get("description", "") if error else None  # the refused text stays in the form
    return render(request, "models_app/partials/model_description.html",
                  {"model": model, "editing": editing, "error": error, "draft": draft})


@login_required
@require_GET
def registeredmodel_compare(request, name: str):
    model = found_or_404(registered_model_get, name=name, actor=request.user)
    numbers = [_version_number(request.GET.get(side), side) for side in ("left", "right")]
    pair, rows = ([None, None], [])
    if all(numbers):
        pair, rows = model_versions_compare(registered_model=model, left=numbers[0], right=numbers[1])
    context = {"model": model, "pair": pair, "rows": rows, "left": numbers[0], "right": numbers[1],
               "choices": list(model.versions.order_by("-version").values_list("version", flat=True))}
    return page_or_fragment(request, "models_app/registeredmodel_compare.html",
                            "models_app/partials/version_compare.html", context)


def _version_number(value: str | None, side: str) -> int | None:
    """`?left=` / `?right=`: empty means not chosen yet; anything but a version number is a 400 saying so."""
    if not value:
        return None
    if not re.fullmatch("[0-9]{1,10}", value) or not 1 <= int(value) <= INTEGER_MAX:
        raise InvalidParameter(f"'{side}' must be a version number between 1 and {INTEGER_MAX}, got '{value[:40]}'.")
    return int(value)
