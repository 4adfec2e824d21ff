"""Approvals in a real browser: request a promotion, approve it from the inbox, and a refusal that says why."""
import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from approvals.services import policy_create, review_request_create
from models_app.choices import EntryPoint
from tests.approvals.conftest import grant_approvers
from tests.models_app.views.demo import demo_registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def governed(transactional_db, owner, reviewer):
    """iris_classifier (v1 in Production, v2 in None) whose Production needs 1 approval from prod-approvers."""
    demo = demo_registry(actor=owner)
    group = Group.objects.create(name="prod-approvers")
    group.user_set.add(reviewer)
    grant_approvers(demo.model, group)
    policy_create(name="prod-gate", model_pattern=demo.model.name, protected_stages=["Production"],
                  required_approvals=1, approver_group=group, actor=None, entry_point=EntryPoint.PAGE)
    return demo


@pytest.fixture
def pending(governed, owner):
    return review_request_create(version=governed.versions[1], stage="Production", comment="v2 is more accurate",
                                 actor=owner, entry_point=EntryPoint.PAGE)


def test_a_data_scientist_requests_a_promotion_from_the_version_page(governed, log_in, live_server, screenshot):
    page = log_in("owner")
    page.goto(f"{live_server.url}/models/iris_classifier/versions/2/")
    panel = page.locator("#version-review-requests")
    expect(panel.get_by_role("button", name="Request promotion")).to_be_visible()
    panel.get_by_label("Stage").select_option("Production")
    panel.get_by_label("Comment for the reviewers").fill("Better accuracy on the held-out set")
    panel.get_by_role("button", name="Request promotion").click()
    expect(panel.get_by_role("status")).to_contain_text("opened for Production")
    expect(panel.locator("table")).to_contain_text("Pending")
    screenshot(page, "approvals-request-promotion")


def test_a_reviewer_approves_from_the_inbox_and_sees_the_stage_change(pending, log_in, live_server, screenshot):
    page = log_in("reviewer")
    expect(page.locator("#approvals-pending-count")).to_have_text("1")
    page.get_by_role("link", name="Approvals").click()
    row = page.locator(f"#review-request-{pending.pk}")
    expect(row).to_contain_text("v2 is more accurate")
    expect(row).to_contain_text("0 / 1")
    screenshot(page, "approvals-inbox")
    row.get_by_label("Comment").fill("Numbers check out")
    row.get_by_role("button", name="Approve").click()
    expect(row).to_contain_text("approved")
    expect(page.locator("#approvals-pending-count")).to_have_text("0")
    decided = page.locator("#inbox-decided")  # without a reload
    expect(decided.get_by_role("link", name=f"#{pending.pk}")).to_be_visible()
    expect(decided).to_contain_text("Applied")
    screenshot(page, "approvals-inbox-approved")
    page.goto(f"{live_server.url}/models/iris_classifier/")
    expect(page.locator("#version-row-2")).to_contain_text("Production")
    screenshot(page, "approvals-model-after-approval")


def test_a_non_approver_sees_why_approval_is_refused(pending, outsider, log_in, live_server, screenshot):
    page = log_in("outsider")
    page.goto(f"{live_server.url}/approvals/requests/{pending.pk}/")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".message-error")).to_contain_text("Not approved:")
    expect(page.locator(".message-error")).to_contain_text("prod-approvers")
    screenshot(page, "approvals-refused")
