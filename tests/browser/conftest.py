"""Browser tests drive Debian's chromium through Playwright against pytest-django's live server."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


# Reported through the console by an init script (init scripts are not subject to the page's policy).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content-Security-Policy violation: ${event.violatedDirective} blocked ${event.blockedURI} `
                + `at ${event.sourceFile}:${event.lineNumber} (${event.sample})`);
});
"""


@pytest.fixture(autouse=True)
def csp_violations(request):
    """Every browser test fails if the page breaks the Content-Security-Policy (an inline script, style, eval…).

    A test that provokes a violation on purpose empties the list before it ends.
    """
    violations: list[str] = []
    if "page" not in request.fixturenames:
        yield violations
        return
    page = request.getfixturevalue("page")
    page.add_init_script(_REPORT_VIOLATIONS)
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    yield violations
    assert violations == [], violations


@pytest.fixture
def screenshot():
    """Save a full-page screenshot of `page` as test-output/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def log_in(page, live_server):
    def as_user(username: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(f"{username}-pass")
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server.url}/models/")
        return page

    return as_user
