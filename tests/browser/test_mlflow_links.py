"""The links the mlflow client prints (MLflow UI hash routes) land on the matching pages of the registry."""
import pytest
from playwright.sync_api import expect

from tests.models_app.views.demo import demo_registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def registry(transactional_db, owner):
    return demo_registry(actor=owner)


def test_a_run_link_printed_by_the_client_lands_on_the_run_page(registry, log_in, live_server, screenshot):
    page = log_in("owner")
    run = registry.runs[1]

    page.goto(f"{live_server.url}/#/experiments/{registry.experiment.pk}/runs/{run.pk}")

    expect(page).to_have_url(f"{live_server.url}/runs/{run.pk}/")
    expect(page.get_by_role("heading", name="train-2")).to_be_visible()
    screenshot(page, "mlflow-link-run")


@pytest.mark.parametrize(("route", "landing"), [
    ("#/experiments/{experiment}", "/experiments/{experiment}/"),
    ("#/experiments/{experiment}/runs/{run}/artifacts", "/runs/{run}/"),
    ("#/models/iris_classifier", "/models/iris_classifier/"),
    ("#/models/iris_classifier/versions/2", "/models/iris_classifier/versions/2/"),
    ("#/models", "/models/"),
])
def test_each_mlflow_ui_route_lands_on_its_page(registry, log_in, live_server, route, landing):
    page = log_in("owner")
    ids = {"experiment": registry.experiment.pk, "run": registry.runs[0].pk}

    page.goto(f"{live_server.url}/{route.format(**ids)}")

    expect(page).to_have_url(f"{live_server.url}{landing.format(**ids)}")


def test_a_link_opened_before_logging_in_lands_on_the_run_after_the_login(registry, page, live_server):
    run = registry.runs[0]
    page.goto(f"{live_server.url}/#/experiments/{registry.experiment.pk}/runs/{run.pk}")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/runs/{run.pk}/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("owner-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/runs/{run.pk}/")
