"""Validation in a real browser: requesting a promotion under a policy that requires validation starts a run, and
the version page's Validation section shows its verdict and checks.

The live server has no broker, so eager Celery executes the run in-process once the request's transaction commits:
real scikit-learn models, scored on an uploaded dataset in the scoring sandbox."""
import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from approvals.services import policy_create
from models_app.choices import EntryPoint
from models_app.services.registry import registered_model_create
from models_app.services.stages import model_version_transition_stage
from tests.approvals.validation_support import register_iris_version, upload_iris_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Scoring two models in the sandbox takes seconds, not the 5 s Playwright waits by default.
SCORING_TIMEOUT_MS = 60_000


@pytest.fixture
def validated(transactional_db, owner, reviewer):
    """iris_classifier: v1 (a majority-class baseline) in Production, v2 (logistic regression) a candidate;
    Production needs an approval and a passed validation: accuracy >= 0.9 and 0.05 above the champion's,
    on the source run and on the iris-holdout dataset."""
    model = registered_model_create(name="iris_classifier", actor=owner, entry_point=EntryPoint.PAGE)
    champion = register_iris_version(model.name, actor=owner, good=False)
    model_version_transition_stage(version=champion, to_stage="Production", actor=owner, entry_point=EntryPoint.PAGE)
    candidate = register_iris_version(model.name, actor=owner)
    group = Group.objects.create(name="prod-approvers")
    group.user_set.add(reviewer)
    policy_create(name="prod-gate", model_pattern=model.name, protected_stages=["Production"],
                  required_approvals=1, approver_group=group, require_validation=True,
                  metric_thresholds=[{"metric": "accuracy", "op": ">=", "value": 0.9}],
                  champion_thresholds=[{"metric": "accuracy", "greater_is_better": True,
                                        "min_absolute_change": 0.05}],
                  validation_datasets=[upload_iris_dataset(actor=None)], actor=None, entry_point=EntryPoint.PAGE)
    return candidate


def test_a_promotion_request_validates_the_candidate_and_the_version_page_shows_it_passed(
        validated, log_in, live_server, screenshot):
    page = log_in("owner")
    page.goto(f"{live_server.url}/models/iris_classifier/versions/{validated.version}/")
    validation = page.locator("#version-validation")
    expect(validation).to_contain_text("No validation runs for this version yet.")
    requests = page.locator("#version-review-requests")
    requests.get_by_label("Stage").select_option("Production")
    requests.get_by_label("Comment for the reviewers").fill("Logistic regression beats the baseline")
    requests.get_by_role("button", name="Request promotion").click()
    expect(requests.get_by_role("status")).to_contain_text("opened for Production", timeout=SCORING_TIMEOUT_MS)

    latest = validation.locator("article.validation-run.latest")
    expect(latest.locator(".validation-run-head")).to_contain_text("Passed", timeout=SCORING_TIMEOUT_MS)
    expect(latest).to_contain_text("6/6 checks")
    expect(latest).to_contain_text("All 6 checks passed.")
    expect(latest).to_contain_text("review request #")
    checks = latest.locator("table.validation-checks tbody tr")
    expect(checks).to_have_count(6)
    expect(checks.filter(has_text="Load and score on iris-holdout")).to_contain_text("Passed")
    comparison = checks.filter(has_text="iris-holdout: accuracy against champion")
    expect(comparison).to_contain_text("champion 0.333333 + 0.05")
    expect(validation.get_by_role("button", name="Repeat validation run")).to_be_visible()
    screenshot(page, "validation-version-page")

    latest.get_by_role("link", name="review request #").click()
    evidence = page.locator(".validation-evidence")
    expect(evidence).to_contain_text("Validation passed")
    expect(evidence.locator("table.champion-checks tbody tr")).to_have_count(2)
    screenshot(page, "validation-request-evidence")
