"""Model version pages: lineage, source run, artifacts, tags and the stage-change form."""
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ..choices import EntryPoint, Stage
from ..selectors.pages_tracking import model_version_page
from ..selectors.registry import model_version_get
from ..services.stages import model_version_transition_stage
from .artifacts import artifact_browser, artifact_download, render_artifact_fragment
from .common import attempt, flash_outcome, found_or_404, page_or_fragment


def _stage_context(version, *, error: str = "", notice: str = "") -> dict:
    return {"version": version, "stage_choices": [stage for stage in Stage if stage != version.stage],
            "stage_error": error, "stage_notice": notice}


@login_required
@require_GET
def modelversion(request, name: str, version: int):
    found = found_or_404(model_version_page, name=name, version=version, actor=request.user)
    context = {**_stage_context(found),
               **artifact_browser(request, root_uri=found.storage_location, url_name="modelversion_artifacts",
                                  args=[name, version])}
    return page_or_fragment(request, "models_app/modelversion.html", "models_app/partials/version_stage.html",
                            context)


@login_required
@require_POST
def modelversion_stage(request, name: str, version: int):
    """Change the stage through the one stage service; a refusal is shown with its reason, never as a bare 403."""
    found = found_or_404(model_version_get, name=name, version=version, actor=request.user)
    moved, error = attempt(lambda: model_version_transition_stage(
        version=found, to_stage=request.POST.get("stage", ""), actor=request.user, entry_point=EntryPoint.PAGE,
        archive_existing=request.POST.get("archive_existing") == "on", reason=request.POST.get("reason", ""),
    ), refused="Stage change refused")
    notice = f"Version {moved.version} moved to {moved.stage}." if moved else ""
    if not request.htmx:
        flash_outcome(request, error=error, notice=notice)
        return redirect("models_app:modelversion", name=name, version=version)
    refreshed = model_version_page(name=name, version=version, actor=request.user)
    context = _stage_context(refreshed, error=error, notice=notice)
    # The stage node of the lineage strip sits outside the panel: it is updated out of band.
    lineage_stage = render_to_string("models_app/partials/lineage_stage.html", {**context, "oob": True}, request)
    return HttpResponse(render_to_string("models_app/partials/version_stage.html", context, request) + lineage_stage)


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
