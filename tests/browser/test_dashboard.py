"""The dashboard in a real browser: login, search as you type, lineage, a stage change, charts, the graph."""
import re

import pytest
from playwright.sync_api import expect

from models_app.choices import EntryPoint
from models_app.services.registry import registered_model_create
from tests.models_app.views.demo import demo_registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def registry(transactional_db, owner):
    demo = demo_registry(actor=owner, versions=3)
    for name in ("fraud-detector", "churn-model", "HousePricePredictor"):
        registered_model_create(name=name, actor=owner, entry_point=EntryPoint.SYSTEM, description="demo")
    return demo


@pytest.fixture
def logged_in(registry, page, live_server, owner):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("owner-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/models/")
    return page


def test_it_logs_in_and_filters_the_models_list_as_you_type(logged_in, registry, screenshot):
    page = logged_in
    table = page.locator("#registeredmodel-table")
    expect(table.get_by_role("link", name="fraud-detector")).to_be_visible()
    screenshot(page, "models-list")
    page.get_by_label("Search models by name").press_sequentially("iris", delay=30)
    expect(table.get_by_role("link", name="fraud-detector")).to_have_count(0)
    expect(table.get_by_role("link", name="iris_classifier")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=iris"))
    screenshot(page, "models-list-search")


def test_it_opens_a_model_and_a_version_and_changes_the_stage(logged_in, registry, live_server, screenshot):
    page = logged_in
    page.get_by_role("link", name="iris_classifier").click()
    expect(page.get_by_role("heading", name="iris_classifier")).to_be_visible()
    page.get_by_role("link", name="Edit description").click()
    page.get_by_label("Description").fill("Tuned on the full iris set.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#model-description")).to_contain_text("Tuned on the full iris set.")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#version-compare tr.differs").first).to_be_visible()
    screenshot(page, "model")
    page.locator("#version-row-2").get_by_role("link", name="Version 2").click()
    lineage = page.locator("#version-lineage")
    expect(lineage.get_by_role("link", name="train-2")).to_be_visible()
    expect(lineage).to_contain_text("iris_classifier experiment")
    screenshot(page, "version")
    page.get_by_label("Move to stage").select_option("Staging")
    page.get_by_role("button", name="Continue…").click()
    expect(page.locator("#confirm-change")).to_contain_text("Move version 2 from None to Staging?")
    expect(page.locator("#version-stage .current-stage .badge")).to_have_text("None")  # nothing changed yet
    page.get_by_role("button", name="Confirm change").click()
    expect(page.locator("#version-stage .current-stage .badge")).to_have_text("Staging")
    expect(page.locator("#version-stage")).to_contain_text("Version 2 moved to Staging.")
    expect(page.locator("#lineage-stage .badge")).to_have_text("Staging")
    screenshot(page, "version-after-stage-change")


def test_it_draws_metric_charts_on_the_run_page(logged_in, registry, live_server, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/runs/{registry.runs[0].pk}/")
    expect(page.locator(".charts canvas").first).to_be_visible()
    page.locator("#artifact-browser").get_by_role("link", name="model/").click()
    expect(page.locator("#artifact-browser")).to_contain_text("MLmodel")
    screenshot(page, "run")
    page.goto(f"{live_server.url}/experiments/{registry.experiment.pk}/")
    for box in page.locator("input[name=runs]").all()[:2]:
        box.check()
    page.get_by_role("button", name="Compare selected runs").click()
    expect(page.locator(".charts canvas").first).to_be_visible()
    screenshot(page, "run-compare")


def test_it_searches_runs_and_shows_a_bad_filter_inline(logged_in, registry, live_server, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/experiments/{registry.experiment.pk}/")
    screenshot(page, "experiment-runs")
    page.get_by_label("Filter runs").fill("metrics.accuracy >> 1")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#runs-table .message-error")).to_contain_text("Invalid filter")
    screenshot(page, "experiment-runs-bad-filter")


def test_it_draws_the_lineage_graph_and_opens_a_node(logged_in, registry, live_server, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/lineage/?model=iris_classifier")
    graph = page.locator("#lineage-graph")
    expect(graph).to_have_attribute("data-ready", "true")
    expect(graph.locator("canvas").first).to_be_attached()
    screenshot(page, "lineage")
    page.locator("#lineage-nodes").get_by_role("link", name="iris_classifier v1").click()
    expect(page.get_by_role("heading", name="iris_classifier · version 1")).to_be_visible()


def test_it_shows_the_audit_log(logged_in, registry, live_server, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/audit/")
    expect(page.locator("#audit-table")).to_contain_text("alias.set")
    screenshot(page, "audit-log")
