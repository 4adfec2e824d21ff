"""The pages work under the Content-Security-Policy, and a violation would be caught (conftest.csp_violations)."""
import pytest
from playwright.sync_api import expect

from tests.models_app.views.demo import demo_registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def logged_in(log_in, owner):
    demo_registry(actor=owner)
    return log_in("owner")


def test_an_inline_style_or_script_added_to_a_page_is_refused_and_reported(logged_in, csp_violations):
    page = logged_in
    page.evaluate("""() => {
        const style = document.createElement("style");
        style.textContent = "body { display: none; }";
        document.head.appendChild(style);
        const script = document.createElement("script");
        script.textContent = "window.injected = true;";
        document.body.appendChild(script);
    }""")

    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("() => window.injected === undefined")
    page.wait_for_function("() => true")
    assert any("style-src" in text for text in csp_violations), csp_violations
    assert any("script-src" in text for text in csp_violations), csp_violations
    csp_violations.clear()


def test_htmx_swaps_and_indicators_work_under_the_policy(logged_in, live_server):
    page = logged_in
    page.get_by_role("searchbox").fill("iris")

    expect(page.locator("table")).to_contain_text("iris_classifier")
    assert page.evaluate("() => htmx.config.includeIndicatorStyles === false && htmx.config.allowEval === false"
                         " && !htmx.config.attributesToSettle.includes('style')")
