"""Small things in a real browser: long words wrap instead of widening pages, the favicon loads, error pages and the
audit log and lineage read well."""
import pytest
from playwright.sync_api import expect

from approvals.services import policy_create, review_request_create
from models_app.choices import EntryPoint
from models_app.services.common import MAX_COMMENT_LENGTH, MAX_DESCRIPTION_LENGTH
from models_app.services.registry import model_version_update, registered_model_update
from tests.models_app.views.demo import demo_registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAGE = EntryPoint.PAGE


@pytest.fixture
def wordy(transactional_db, owner, django_user_model):
    """iris_classifier with the longest descriptions and comment the limits allow, each one unbroken word."""
    demo = demo_registry(actor=owner)
    registered_model_update(registered_model=demo.model, description="m" * MAX_DESCRIPTION_LENGTH, actor=owner,
                            entry_point=PAGE)
    model_version_update(version=demo.versions[1], description="v" * MAX_DESCRIPTION_LENGTH, actor=owner,
                         entry_point=PAGE)
    approvers = django_user_model.objects.create_user("rita", "rita@example.com", "rita-pass")
    group = approvers.groups.create(name="prod-approvers")
    policy_create(name="prod-gate", model_pattern=demo.model.name, protected_stages=["Production"],
                  required_approvals=1, approver_group=group, actor=None, entry_point=PAGE)
    request = review_request_create(version=demo.versions[1], stage="Production", comment="c" * MAX_COMMENT_LENGTH,
                                    actor=owner, entry_point=PAGE)
    return demo, request


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_long_words_wrap_on_every_page_that_shows_them(wordy, log_in, live_server, screenshot):
    demo, request = wordy
    page = log_in("owner")
    viewport = page.viewport_size["width"]
    for path, word in (("/models/iris_classifier/", "m" * 50), ("/models/iris_classifier/versions/2/", "v" * 50),
                       (f"/approvals/requests/{request.pk}/", "c" * 50), ("/audit/", "m" * 50)):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main")).to_contain_text(word)
        assert _page_width(page) <= viewport, f"{path} is {_page_width(page)} px wide"
    screenshot(page, "long-words-audit-log")


def test_the_audit_log_links_a_review_request_event_to_the_request(transactional_db, owner, django_user_model,
                                                                    log_in, live_server, screenshot):
    demo = demo_registry(actor=owner)
    group = django_user_model.objects.create_user("rita", "rita@example.com", "rita-pass").groups.create(name="ap")
    policy_create(name="prod-gate", model_pattern=demo.model.name, protected_stages=["Production"],
                  required_approvals=1, approver_group=group, actor=None, entry_point=PAGE)
    request = review_request_create(version=demo.versions[1], stage="Production", comment="v2 is better",
                                    actor=owner, entry_point=PAGE)
    page = log_in("owner")
    page.goto(f"{live_server.url}/audit/")
    row = page.locator("tr", has_text="review_request.created")
    expect(row.locator("dl.audit-details")).to_contain_text("prod-gate")
    screenshot(page, "audit-log")
    row.get_by_role("link", name=f"review request #{request.pk}").click()
    expect(page).to_have_url(f"{live_server.url}/approvals/requests/{request.pk}/")


def test_the_favicon_loads_and_a_missing_page_is_styled(wordy, log_in, live_server, screenshot):
    page = log_in("owner")
    with page.expect_response(lambda response: "favicon" in response.url) as favicon:
        page.goto(f"{live_server.url}/models/")
    assert favicon.value.status == 200 and favicon.value.url.endswith("/static/favicon.svg")
    response = page.goto(f"{live_server.url}/models/no-such-model/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    expect(page.get_by_role("link", name="Models").first).to_be_visible()
    screenshot(page, "not-found")


def test_the_lineage_legend_shows_the_kinds_drawn(wordy, log_in, live_server, screenshot):
    page = log_in("owner")
    page.goto(f"{live_server.url}/lineage/?model=iris_classifier")
    legend = page.locator("#lineage-legend")
    expect(legend).to_contain_text("alias")
    expect(legend).not_to_contain_text("logged model")
    page.wait_for_function("document.querySelector('#lineage-graph canvas') !== null")
    screenshot(page, "lineage")
