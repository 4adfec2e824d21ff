"""Every page and fragment is served under the Content-Security-Policy and satisfies it: no inline code.

The policy (registry_site/settings.py) allows scripts and styles from this origin only, so an inline
<script>, an on*= handler, a javascript: URL, a <style> element or a style="" attribute would be refused by the
browser. The list of routes is checked against the URL conf, so a new page must be added here to pass.
"""
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import get_resolver, reverse

pytestmark = pytest.mark.django_db

# Routes answered with POST only (their fragments are the GET pages' partials, rendered below).
POST_ONLY = {
    "models_app:modelversion_stage", "approvals:reviewrequest_approve", "approvals:reviewrequest_reject",
    "approvals:reviewrequest_cancel", "approvals:validation_run_repeat",
}


class InlineCodeFinder(HTMLParser):
    """Collects everything in a document that a script-src/style-src 'self' policy would refuse."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._open_script = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style=...> (inline style)")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            # JSON data islands ({{ value|json_script }}) are never executed, so the policy does not apply to them.
            is_data = attributes.get("type") == "application/json"
            self._open_script = None if ("src" in attributes or is_data) else ""

    def handle_data(self, data):
        if self._open_script is not None:
            self._open_script += data

    def handle_endtag(self, tag):
        if tag == "script" and self._open_script is not None:
            self.problems.append(f"inline <script>: {self._open_script.strip()[:60]!r}")
            self._open_script = None


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


def _page_urls(demo, pending) -> dict[str, str]:
    """A URL for every GET route of the dashboard, on the demo registry's objects."""
    model, run = demo.model.name, demo.runs[1].pk
    version = [model, 2]
    return {
        "models_app:home": reverse("models_app:home"),
        "models_app:registeredmodel_list": reverse("models_app:registeredmodel_list"),
        "models_app:registeredmodel": reverse("models_app:registeredmodel", args=[model]),
        "models_app:registeredmodel_description": reverse("models_app:registeredmodel_description", args=[model]),
        "models_app:registeredmodel_compare": reverse("models_app:registeredmodel_compare", args=[model])
        + "?left=1&right=2",
        "models_app:modelversion": reverse("models_app:modelversion", args=version),
        "models_app:modelversion_artifacts": reverse("models_app:modelversion_artifacts", args=version),
        "models_app:modelversion_artifacts_download": reverse("models_app:modelversion_artifacts_download",
                                                              args=version) + "?path=MLmodel",
        "models_app:experiment_list": reverse("models_app:experiment_list"),
        "models_app:experiment": reverse("models_app:experiment", args=[demo.experiment.pk]),
        "models_app:run_compare": reverse("models_app:run_compare") + f"?runs={demo.runs[0].pk}&runs={run}",
        "models_app:run": reverse("models_app:run", args=[run]),
        "models_app:run_artifacts": reverse("models_app:run_artifacts", args=[run]) + "?path=model",
        "models_app:run_artifacts_download": reverse("models_app:run_artifacts_download", args=[run])
        + "?path=model/MLmodel",
        "models_app:lineage": reverse("models_app:lineage"),
        "models_app:lineage_graph": reverse("models_app:lineage_graph"),
        "models_app:auditevent_list": reverse("models_app:auditevent_list"),
        "models_app:auditevent_export": reverse("models_app:auditevent_export"),
        "approvals:inbox": reverse("approvals:inbox"),
        "approvals:inbox_count": reverse("approvals:inbox_count"),
        "approvals:reviewrequest_detail": reverse("approvals:reviewrequest_detail", args=[pending.pk]),
        "approvals:reviewrequest_validation": reverse("approvals:reviewrequest_validation", args=[pending.pk]),
        "approvals:version_requests": reverse("approvals:version_requests", args=version),
        "approvals:model_policy": reverse("approvals:model_policy", args=[model]),
        "approvals:version_validation": reverse("approvals:version_validation", args=version),
    }


def _dashboard_route_names() -> set[str]:
    names = set()
    for namespace in ("models_app", "approvals"):
        _prefix, resolver = get_resolver().namespace_dict[namespace]
        names |= {f"{namespace}:{pattern.name}" for pattern in resolver.url_patterns if pattern.name}
    return names


def test_the_list_below_names_every_dashboard_route(demo, pending):
    assert set(_page_urls(demo, pending)) | POST_ONLY == _dashboard_route_names()


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_every_dashboard_page_carries_the_policy_and_no_inline_code(login, owner, demo, pending, htmx):
    client = login(owner)
    headers = {"HX-Request": "true"} if htmx else {}
    for name, url in _page_urls(demo, pending).items():
        response = client.get(url, headers=headers, follow=True)
        assert response.status_code == 200, (name, response.status_code)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, (name, policy)
        if response.headers["Content-Type"].startswith("text/html"):
            assert inline_code(response.content.decode()) == [], name


def test_the_policy_refuses_inline_scripts_styles_plugins_and_framing(client):
    policy = client.get(reverse("login")).headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())

    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_login_pages_have_no_inline_code(client, url):
    response = client.get(url)

    assert response.status_code == 200 and "Content-Security-Policy" in response.headers
    assert inline_code(response.content.decode()) == []


def test_the_admin_has_no_inline_code(client, admin_user, demo):
    client.force_login(admin_user)
    for url in ("/admin/", "/admin/models_app/registeredmodel/",
                f"/admin/models_app/registeredmodel/{demo.model.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url


def test_the_api_docs_load_their_start_up_script_as_a_file(login, owner):
    owner_client = login(owner)
    page = owner_client.get("/api/docs/")
    script = owner_client.get("/api/docs/?script=")

    assert page.status_code == 200 and "/api/docs/?script=" in page.content.decode()
    assert [problem for problem in inline_code(page.content.decode()) if "<style>" not in problem] == []
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    redoc = owner_client.get("/api/redoc/")
    assert [problem for problem in inline_code(redoc.content.decode()) if "<style>" not in problem] == []


def test_htmx_is_told_not_to_insert_its_inline_indicator_style(login, owner):
    owner_client = login(owner)
    body = owner_client.get(reverse("models_app:registeredmodel_list")).content.decode()

    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', body)
    assert json.loads(config[1]) == {"includeIndicatorStyles": False, "allowEval": False,
                                     "attributesToSettle": ["class", "width", "height"]}
    stylesheet = Path(finders.find("css/registry.css")).read_text()
    assert ".htmx-request .htmx-indicator" in stylesheet
