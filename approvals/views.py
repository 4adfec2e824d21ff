"""Approvals pages: the reviewer's inbox, a request's evidence, asking for a promotion from a version page, and
the version's validation runs.

Every decision goes through approvals.services; a refusal (RegistryError) is shown with its reason, never as a 403.
"""
from urllib.parse import urlparse

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from models_app.choices import EntryPoint, Stage
from models_app.exceptions import NotFound, RegistryError
from models_app.selectors.registry import model_version_get, registered_model_get
from models_app.services.stages import stage_parse
from models_app.views.common import attempt, flash_outcome, found_or_404

from .models import ReviewRequest
from .page_selectors import (
    VERSION_RUNS_SHOWN,
    policy_panel_of,
    review_requests_mine,
    review_requests_of_version,
    review_requests_recently_decided,
    review_requests_with_evidence,
    validation_run_digest,
    validation_run_of_version,
    validation_runs_of_version,
    validation_targets_of,
)
from .policy_text import policy_terms
from .selectors import review_request_inbox_for
from .services import (
    review_request_approve,
    review_request_cancel,
    review_request_create,
    review_request_reject,
    validation_run_create,
    validation_run_repeat,
)

DECISIONS = {"approve": (review_request_approve, "approved"), "reject": (review_request_reject, "rejected")}
# Sent with a response that created validation runs elsewhere on the page: the version's Validation section reloads.
VALIDATION_CHANGED_EVENT = "validation-runs-changed"
# Sent when this section opened a request: the policy panel reloads (the stage panel's own event reloads both).
POLICY_PANEL_CHANGED_EVENT = "policy-panel-changed"
# htmx stops polling an element whose request is answered with this status.
HTMX_STOP_POLLING = 286


@login_required
@require_GET
def inbox(request):
    context = {
        "inbox": review_requests_with_evidence(review_request_inbox_for(request.user)),
        "mine": review_requests_mine(request.user),
        "decided": review_requests_recently_decided(request.user),
    }
    return render(request, "approvals/inbox.html", context)


@login_required
@require_GET
def inbox_count(request):
    """The nav link with the number of requests awaiting the user (loaded by every page after it renders)."""
    page_path = urlparse(getattr(request.htmx, "current_url", None) or "").path
    context = {"pending_count": review_request_inbox_for(request.user).count(),
               "current": page_path.startswith(reverse("approvals:inbox"))}
    return render(request, "approvals/partials/inbox_count.html", context)


def _readable_request(request, pk: int) -> ReviewRequest:
    """The review request, if its model is readable by the user (otherwise a 404, as for the model itself)."""
    found = get_object_or_404(ReviewRequest.objects.select_related("registered_model"), pk=pk)
    try:
        registered_model_get(name=found.registered_model.name, actor=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    return found


@login_required
@require_GET
def reviewrequest_detail(request, pk: int):
    found = _readable_request(request, pk)
    [evidence] = review_requests_with_evidence(ReviewRequest.objects.filter(pk=found.pk))
    terms = policy_terms(evidence.policy_snapshot) if evidence.policy_snapshot else []
    return render(request, "approvals/reviewrequest_detail.html", {"review_request": evidence, "policy_terms": terms})


@login_required
@require_GET
def reviewrequest_validation(request, pk: int):
    """The request's validation evidence alone, polled by its pages while the run is unfinished."""
    found = _readable_request(request, pk)
    [evidence] = review_requests_with_evidence(ReviewRequest.objects.filter(pk=found.pk))
    finished = evidence.validation is None or evidence.validation.is_finished
    context = {"review_request": evidence, "all_checks": request.GET.get("checks") == "all"}
    return render(request, "approvals/partials/validation_evidence.html", context,
                  status=HTMX_STOP_POLLING if request.htmx and finished else 200)


def _decide(request, pk: int, decision: str):
    """Approve or reject; HTMX gets the row again plus the nav counter and "Recently decided" out of band, a plain
    POST a redirect."""
    found = _readable_request(request, pk)
    decide, verb = DECISIONS[decision]
    _, error = attempt(lambda: decide(request=found, actor=request.user, entry_point=EntryPoint.PAGE,
                                      comment=request.POST.get("comment", "")), refused=f"Not {verb}")
    notice = "" if error else f"Request #{found.pk} {verb}."
    if not request.htmx:
        flash_outcome(request, error=error, notice=notice)
        return redirect("approvals:inbox")
    [evidence] = review_requests_with_evidence(ReviewRequest.objects.filter(pk=found.pk))
    context = {"review_request": evidence, "row_error": error, "row_notice": notice, "oob": True, "current": True,
               "pending_count": review_request_inbox_for(request.user).count(),
               "decided": review_requests_recently_decided(request.user)}
    parts = ("approvals/partials/inbox_row.html", "approvals/partials/inbox_count.html",
             "approvals/partials/inbox_decided.html")
    return HttpResponse("".join(render_to_string(part, context, request) for part in parts))


@login_required
@require_POST
def reviewrequest_approve(request, pk: int):
    return _decide(request, pk, "approve")


@login_required
@require_POST
def reviewrequest_reject(request, pk: int):
    return _decide(request, pk, "reject")


@login_required
@require_POST
def reviewrequest_cancel(request, pk: int):
    found = _readable_request(request, pk)
    try:
        review_request_cancel(request=found, actor=request.user, entry_point=EntryPoint.PAGE,
                              comment=request.POST.get("comment", ""))
        messages.success(request, f"Request #{found.pk} cancelled.")
    except RegistryError as refusal:
        messages.error(request, f"Not cancelled: {refusal.message}")
    return redirect("approvals:reviewrequest_detail", pk=found.pk)


def _version_or_404(request, name: str, version: int):
    return found_or_404(model_version_get, name=name, version=version, actor=request.user)


def _version_requests_context(version, *, error: str = "", notice: str = "", form: dict | None = None) -> dict:
    return {"version": version, "requests": review_requests_of_version(version), "form": form or {},
            "stage_choices": [Stage.STAGING, Stage.PRODUCTION], "request_error": error, "request_notice": notice}


@login_required
def version_requests(request, name: str, version: int):
    """GET: the version's review requests and the "Request promotion" form; POST: open a request."""
    found = _version_or_404(request, name, version)
    if request.method != "POST":
        return _version_requests_render(request, _version_requests_context(found))
    opened, error = attempt(lambda: review_request_create(
        version=found, actor=request.user, entry_point=EntryPoint.PAGE, stage=request.POST.get("stage") or None,
        alias=request.POST.get("alias") or None, comment=request.POST.get("comment", ""),
    ), refused="Request refused")
    notice = f"Review request #{opened.pk} opened for {opened.target_label}." if opened else ""
    if not request.htmx:
        flash_outcome(request, error=error, notice=notice)
        return redirect("approvals:version_requests", name=name, version=version)
    form = request.POST.dict() if error else {}
    response = _version_requests_render(request, _version_requests_context(found, error=error, notice=notice,
                                                                            form=form))
    if opened:
        # Opening a request started a validation run, and the policy panel lists open requests.
        response["HX-Trigger"] = f"{VALIDATION_CHANGED_EVENT}, {POLICY_PANEL_CHANGED_EVENT}"
    return response


def _version_requests_render(request, context: dict) -> HttpResponse:
    htmx = getattr(request, "htmx", None)
    template = "approvals/partials/version_requests.html" if htmx else "approvals/version_requests.html"
    return render(request, template, context)


def _version_readable(request, name: str, version: int, *, refused: str):
    """(version, "") or (None, message): an unknown or unreadable version is refused like the version page refuses
    it (its model stays unnamed to users who may not read it), with the message instead of a bare error page."""
    return attempt(lambda: model_version_get(name=name, version=version, actor=request.user), refused=refused)


def _validation_target(target: str) -> dict:
    """The form's optional target: "" (none), a stage name, or "@alias"."""
    if target.startswith("@"):
        return {"alias": target[1:]}
    return {"stage": stage_parse(target).value} if target else {}


def _version_validation_context(request, version, *, error: str = "", notice: str = "", form: dict | None = None):
    shown = list(validation_runs_of_version(version=version, user=request.user)[:VERSION_RUNS_SHOWN + 1])
    runs = [validation_run_digest(run) for run in shown[:VERSION_RUNS_SHOWN]]
    return {"version": version, "runs": runs, "more_runs": len(shown) > VERSION_RUNS_SHOWN,
            "polling": any(not run.is_finished for run in runs), "targets": validation_targets_of(version),
            "form": form or {}, "validation_error": error, "validation_notice": notice,
            "changed_event": VALIDATION_CHANGED_EVENT}


def _version_validation_render(request, context: dict, *, status: int = 200) -> HttpResponse:
    if not request.htmx:
        return render(request, "approvals/version_validation.html", context, status=status)
    # Polls (and the first load) stop once every shown run has finished; answers to a form post never do.
    if request.method == "GET" and context["version"] is not None and not context["polling"]:
        status = HTMX_STOP_POLLING
    return render(request, "approvals/partials/version_validation.html", context, status=status)


def _validation_refused(request, message: str) -> HttpResponse:
    """The section (HTMX) or the page with the refusal; the page keeps the 404 of an unreadable version."""
    context = {"version": None, "validation_error": message}
    return _version_validation_render(request, context, status=200 if request.htmx else 404)


def _validation_outcome(request, version, *, error: str, notice: str, form: dict | None = None) -> HttpResponse:
    """After a post: HTMX gets the section again with the outcome, a plain form post a redirect to the page."""
    if not request.htmx:
        flash_outcome(request, error=error, notice=notice)
        return redirect("approvals:version_validation", name=version.registered_model.name, version=version.version)
    context = _version_validation_context(request, version, error=error, notice=notice, form=form)
    return _version_validation_render(request, context)


@login_required
@require_http_methods(["GET", "POST"])
def version_validation(request, name: str, version: int):
    """GET: the version's validation runs (polled by HTMX while one is unfinished); POST: run the checks now."""
    found, refusal = _version_readable(
        request, name, version, refused="Validation not started" if request.method == "POST" else "Not shown")
    if found is None:
        return _validation_refused(request, refusal)
    if request.method != "POST":
        return _version_validation_render(request, _version_validation_context(request, found))
    target = request.POST.get("target", "")
    run, error = attempt(lambda: validation_run_create(
        version=found, actor=request.user, entry_point=EntryPoint.PAGE, **_validation_target(target),
    ), refused="Validation not started")
    aimed = f" for {run.target_label}" if run and run.target_label else ""
    notice = f"Validation run #{run.pk} requested{aimed}." if run else ""
    return _validation_outcome(request, found, error=error, notice=notice, form={"target": target} if error else None)


@login_required
@require_POST
def validation_run_repeat_view(request, name: str, version: int, pk: int):
    found, refusal = _version_readable(request, name, version, refused="Not repeated")
    if found is None:
        return _validation_refused(request, refusal)
    repeated, error = attempt(lambda: validation_run_repeat(
        run=validation_run_of_version(version=found, user=request.user, pk=pk), actor=request.user,
        entry_point=EntryPoint.PAGE,
    ), refused="Not repeated")
    notice = f"Validation run #{pk} repeated as run #{repeated.pk}." if repeated else ""
    return _validation_outcome(request, found, error=error, notice=notice)


@login_required
@require_GET
def model_policy(request, name: str):
    """The policy panel of a model's and its versions' pages: what protects the model, who holds each protected
    target, who approves, what must pass, the open requests (reloaded when the page opens a request)."""
    model = found_or_404(registered_model_get, name=name, actor=request.user)
    context = {"model": model, **policy_panel_of(model)}
    template = "approvals/partials/policy_panel.html" if request.htmx else "approvals/model_policy.html"
    return render(request, template, context)
