"""Model version pages: lineage, source run, artifacts, tags and the stage-change form."""
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ..choices import EntryPoint
from ..governance import current_governance
from ..selectors.pages_tracking import model_version_page
from ..selectors.registry import model_version_get
from ..selectors.target_changes import alias_warnings, panel_marks, target_change_plan
from ..services.stages import (
    model_version_transition_stage,
    registered_model_alias_delete,
    registered_model_alias_set,
)
from .artifacts import artifact_browser, artifact_download, render_artifact_fragment
from .common import attempt, flash_outcome, found_or_404, page_or_fragment

# Sent when the panel opened a review request: the version's Review requests, Validation and Policy sections reload.
REVIEW_REQUESTS_CHANGED_EVENT = "review-requests-changed"
VALIDATION_CHANGED_EVENT = "validation-runs-changed"


def _stage_context(version, *, error: str = "", notice: str = "", change=None) -> dict:
    protection = current_governance().protection_of(version.registered_model)
    aliases = list(version.aliases.all())
    return {"version": version, "protection": protection, "alias_warnings": alias_warnings(aliases),
            **panel_marks(version, protection, aliases), "stage_error": error, "stage_notice": notice,
            "change": change}


@login_required
@require_GET
def modelversion(request, name: str, version: int):
    found = found_or_404(model_version_page, name=name, version=version, actor=request.user)
    context = {**_stage_context(found),
               **artifact_browser(request, root_uri=found.storage_location, url_name="modelversion_artifacts",
                                  args=[name, version])}
    return page_or_fragment(request, "models_app/modelversion.html", "models_app/partials/version_stage.html",
                            context)


def _plan(request, version):
    protection = current_governance().protection_of(version.registered_model)
    post = request.POST
    return target_change_plan(version=version, protection=protection, stage=post.get("stage", ""),
                              alias=(post.get("alias") or post.get("remove_alias") or "").strip(),
                              remove_alias=bool(post.get("remove_alias")))


def _apply(request, change) -> str:
    """The confirmed change: a review request when a policy governs it, else the stage or alias service."""
    post, common = request.POST, {"actor": request.user, "entry_point": EntryPoint.PAGE}
    if change.governed:
        return current_governance().review_request_open(
            version=change.version, stage=change.stage, alias=change.alias, remove_alias=change.remove_alias,
            comment=post.get("reason", ""), **common)
    model, number = change.version.registered_model, change.version.version
    if change.stage:
        moved = model_version_transition_stage(version=change.version, to_stage=change.stage,
                                               archive_existing=post.get("archive_existing") == "on",
                                               reason=post.get("reason", ""), **common)
        return f"Version {number} moved to {moved.stage}."
    if change.remove_alias:
        registered_model_alias_delete(registered_model=model, alias=change.alias, **common)
        return f"@{change.alias} removed from version {number}."
    registered_model_alias_set(registered_model=model, alias=change.alias, version_number=number, **common)
    return f"@{change.alias} now points at version {number}."


@login_required
@require_POST
def modelversion_stage(request, name: str, version: int):
    """The stage and alias panel. A first post (step=review) shows what the choice does: a confirmation for a direct
    change, "Request promotion"/"Request removal" for a protected target. The second (step=confirm) makes the change
    through the one stage or alias service, or opens the review request; a refusal is shown with its reason."""
    found = found_or_404(model_version_get, name=name, version=version, actor=request.user)
    change, error = attempt(lambda: _plan(request, found), refused="Not changed")
    notice = ""
    if change is not None and request.POST.get("step") == "confirm":
        notice, error = attempt(lambda: _apply(request, change), refused=f"{change.button} refused")
        change = None if notice else change
    if not request.htmx:
        if change is not None and not error:
            refreshed = model_version_page(name=name, version=version, actor=request.user)
            return render(request, "models_app/modelversion_change.html", _stage_context(refreshed, change=change))
        flash_outcome(request, error=error, notice=notice)
        return redirect("models_app:modelversion", name=name, version=version)
    refreshed = model_version_page(name=name, version=version, actor=request.user)
    context = _stage_context(refreshed, error=error, notice=notice, change=change if not notice else None)
    # The stage node of the lineage strip sits outside the panel: it is updated out of band.
    lineage_stage = render_to_string("models_app/partials/lineage_stage.html", {**context, "oob": True}, request)
    response = HttpResponse(render_to_string("models_app/partials/version_stage.html", context, request)
                            + lineage_stage)
    if notice:
        response["HX-Trigger"] = f"{REVIEW_REQUESTS_CHANGED_EVENT}, {VALIDATION_CHANGED_EVENT}"
    return response


@login_required
@require_GET
def modelversion_artifacts(request, name: str, version: int):
    found = found_or_404(model_version_get, name=name, version=version, actor=request.user)
    context = artifact_browser(request, root_uri=found.storage_location, url_name="modelversion_artifacts",
                               args=[name, version])
    if request.htmx:
        return render_artifact_fragment(request, context)
    # Without JavaScript the folder opens inside the version page.
    url = reverse("models_app:modelversion", args=[name, version])
    return redirect(f"{url}?{urlencode({'path': context['artifact_path']})}#artifacts")


@login_required
@require_GET
def modelversion_artifacts_download(request, name: str, version: int):
    found = found_or_404(model_version_get, name=name, version=version, actor=request.user)
    return artifact_download(root_uri=found.storage_location, path=request.GET.get("path", ""))
