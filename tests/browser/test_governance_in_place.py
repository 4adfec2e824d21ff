"""Governance you can see, in a real browser: a protected target shown with its lock and requested in place, one
request for Production and @champion applied together, and a reviewer approving with the keyboard alone."""
import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from approvals.models import ReviewRequest
from approvals.services import permission_set, policy_create, review_request_create
from models_app.choices import EntryPoint
from tests.models_app.views.demo import demo_registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VERSION_2 = "/models/iris_classifier/versions/2/"


@pytest.fixture
def governed(transactional_db, owner, reviewer):
    """iris_classifier: v1 in Production behind @champion, v2 in None; both protected, 1 approval from
    prod-approvers."""
    demo = demo_registry(actor=owner)
    group = Group.objects.create(name="prod-approvers")
    group.user_set.add(reviewer)
    # The registry's default lets the approvers only read the model; reviewing Production needs the level.
    permission_set(registered_model=demo.model, level="CAN_MANAGE_PRODUCTION_VERSIONS", group=group, actor=None,
                   entry_point=EntryPoint.PAGE)
    policy_create(name="prod-gate", model_pattern=demo.model.name, protected_stages=["Production"],
                  protected_aliases=["champion"], required_approvals=1, approver_group=group, actor=None,
                  entry_point=EntryPoint.PAGE)
    return demo


def _switch_user(page, log_in, username):
    page.get_by_role("button", name="Log out").click()
    return log_in(username)


def test_a_protected_target_is_shown_with_its_lock_and_requested_in_place(governed, log_in, live_server,
                                                                          screenshot):
    page = log_in("owner")
    page.goto(f"{live_server.url}{VERSION_2}")
    policy = page.locator("#policy-panel")
    expect(policy).to_contain_text("Policy “prod-gate” protects Production @champion of iris_classifier")
    expect(policy.locator(".protected-targets")).to_contain_text("v1")
    expect(policy).to_contain_text("1 approval from members of group “prod-approvers”")
    panel = page.locator("#version-stage")
    expect(panel.locator("option", has_text="Production (protected: needs approval)")).to_have_count(1)
    expect(panel.get_by_label("Move to stage")).to_have_value("")  # nothing preselected
    screenshot(page, "governance-version-page")

    panel.get_by_label("Move to stage").select_option("Production")
    panel.get_by_role("button", name="Continue…").click()
    confirm = page.locator("#confirm-change")
    expect(confirm).to_contain_text("is protected by policy “prod-gate”: it needs approval")
    expect(confirm.locator(".lock")).to_be_visible()
    confirm.get_by_label("Also move @champion").uncheck()
    confirm.get_by_label("Comment for the reviewers").fill("Better accuracy")
    screenshot(page, "governance-request-in-place")
    confirm.get_by_role("button", name="Request promotion").click()

    expect(panel.get_by_role("status")).to_contain_text("opened for Production: it waits for 1 approval")
    expect(page.locator("#version-review-requests table")).to_contain_text("Pending")  # reloaded by the event
    expect(policy.locator(".open-requests")).to_contain_text("v2 → Production")
    expect(panel.locator(".current-stage .badge")).to_have_text("None")
    assert ReviewRequest.objects.get().target_label == "Production"


def test_a_stage_and_alias_request_is_applied_together(governed, log_in, live_server, screenshot):
    page = log_in("owner")
    page.goto(f"{live_server.url}{VERSION_2}")
    panel = page.locator("#version-stage")
    panel.get_by_label("Move to stage").select_option("Production")
    panel.get_by_role("button", name="Continue…").click()
    expect(page.locator("#confirm-change").get_by_label("Also move @champion")).to_be_checked()
    page.locator("#confirm-change").get_by_role("button", name="Request promotion").click()
    expect(panel.get_by_role("status")).to_contain_text("opened for Production + @champion")
    request = ReviewRequest.objects.get()

    page = _switch_user(page, log_in, "reviewer")
    page.goto(f"{live_server.url}/approvals/requests/{request.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Production + @champion")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(f"Request #{request.pk} approved.")
    page.goto(f"{live_server.url}/approvals/requests/{request.pk}/")
    expect(page.locator("#request-status")).to_have_text("Applied")
    screenshot(page, "governance-stage-and-alias-applied")

    page.goto(f"{live_server.url}/models/iris_classifier/")
    expect(page.locator("#version-row-2")).to_contain_text("Production")
    expect(page.locator("#version-row-2")).to_contain_text("@champion")
    expect(page.locator("#version-row-1")).to_contain_text("Archived")
    expect(page.locator(".alias-warnings")).to_have_count(0)  # @champion moved with the stage
    expect(page.locator("#policy-panel .protected-targets")).to_contain_text("v2")
    screenshot(page, "governance-model-page")


def test_a_reviewer_approves_with_the_keyboard_alone(governed, owner, log_in, live_server, screenshot):
    request = review_request_create(version=governed.versions[1], stage="Production", alias="champion",
                                    comment="v2 is more accurate", actor=owner, entry_point=EntryPoint.PAGE)
    page = log_in("reviewer")
    page.goto(f"{live_server.url}/approvals/requests/{request.pk}/")
    for _ in range(80):  # Tab through the page to the comment field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "decision-comment":
            break
    else:
        pytest.fail("Tab never reached the decision comment")
    page.keyboard.type("Numbers check out")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Approve"
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Request #{request.pk} approved.")
    page.goto(f"{live_server.url}/approvals/requests/{request.pk}/")
    expect(page.locator("#request-status")).to_have_text("Applied")
    expect(page.locator(".timeline")).to_contain_text("Numbers check out")
    screenshot(page, "governance-request-applied")
