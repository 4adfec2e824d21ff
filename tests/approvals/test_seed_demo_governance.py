"""The governance demo (seed_demo, or seed_demo_governance alone): a 1-approval Production policy on wine_classifier
that requires validation, and one pending request whose validation passed; idempotent."""
import pytest
from django.core.management import CommandError, call_command

from approvals.choices import ReviewRequestStatus
from approvals.models import ApprovalPolicy, ModelPermission, ReviewRequest
from approvals.selectors import review_request_inbox_for
from models_app.governance import PermissionLevel

pytestmark = pytest.mark.django_db


def test_it_seeds_one_policy_and_one_pending_request_however_often_it_runs(capsys, user_named,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")  # includes the governance demo
    call_command("seed_demo_governance")

    policy = ApprovalPolicy.objects.get()
    assert (policy.model_pattern, policy.required_approvals, policy.approver_group.name) == (
        "wine_classifier", 1, "prod-approvers")
    assert policy.protected_stages == ["Production"] and policy.protected_aliases == ["champion"]
    assert policy.require_validation and [dataset.name for dataset in policy.validation_datasets.all()] == [
        "wine-holdout"]
    request = ReviewRequest.objects.get()
    # The request's validation ran in-process when it was opened (no broker: the embedded default).
    run = request.validation_runs.get()
    assert (run.status, run.champion_version_number) == ("PASSED", 1), run.summary
    assert list(run.checks.values_list("name", flat=True)) == [
        "Artifact integrity", "Load and score on wine-holdout", "wine-holdout: accuracy >= 0.9",
        "wine-holdout: f1 >= 0.9", "wine-holdout: accuracy against champion"]
    assert (request.status, request.version_number, request.target_stage, request.requester_name) == (
        ReviewRequestStatus.PENDING, 2, "Production", "alice")
    assert request.comment
    rita = user_named("rita")
    assert ModelPermission.objects.get(user=rita).level == PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS
    assert list(review_request_inbox_for(rita)) == [request]
    output = capsys.readouterr().out
    assert "Created policy" in output and "Kept policy" in output and "validation run" in output
    assert f"review request #{request.pk}" in output


def test_it_says_to_run_seed_demo_first():
    with pytest.raises(CommandError, match="run `manage.py seed_demo` first"):
        call_command("seed_demo_governance")
