"""Property-based attack on the dashboard: every GET page of the URL conf, with random query parameters.

The routes come from models_app/urls.py and approvals/urls.py (a new page is fuzzed as soon as it is added);
path parameters are filled with real names and ids. The query carries the parameters pages read (q, page,
sort, filter, model, since, until, left, right, path, runs, …) with random text, NUL characters, huge numbers
and long filters. No answer may be a 5xx.
"""
import re

from django.urls import URLPattern, URLResolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals import urls as approvals_urls
from models_app import urls as models_app_urls

from .test_mlflow_fuzz import TEXT, _quoted

EXAMPLES_PER_PAGE = 10
QUERY_NAMES = ["q", "page", "sort", "filter", "model", "actor", "action", "since", "until", "left", "right", "path",
               "runs", "edit", "checks", "status", "stage", "mine"]
QUERY_VALUES = st.one_of(TEXT, st.integers(min_value=-(10**25), max_value=10**25).map(str),
                         st.sampled_from(["1", "2", "-name", "2026-13-45", "9999-12-31T23:59:59Z"]))


def _page_routes(patterns, prefix: str):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _page_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route  # POST-only pages answer a GET with 405, which is fine


PAGES = list(_page_routes(models_app_urls.urlpatterns, "/")) + list(
    _page_routes(approvals_urls.urlpatterns, "/approvals/"))


def test_every_page_of_the_url_conf_is_fuzzed():
    assert "/models/<str:name>/versions/<version:version>/" in PAGES
    assert "/approvals/requests/<id:pk>/" in PAGES
    assert len(PAGES) > 20


def _filled(route: str, registry) -> str:
    values = {"name": "iris", "version": "1", "experiment_id": str(registry["experiment"].pk),
              "run_id": registry["run"].pk, "pk": "1"}
    return re.sub(r"<\w+:(\w+)>", lambda match: values[match.group(1)], route)


def _attack(pages, path: str):
    @settings(max_examples=EXAMPLES_PER_PAGE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(query=st.dictionaries(st.sampled_from(QUERY_NAMES), QUERY_VALUES, max_size=4))
    def attack(query):
        url = path + "?" + "&".join(f"{key}={_quoted(value)}" for key, value in query.items())
        response = pages.get(url)
        assert response.status_code < 500, (url, response.status_code)

    return attack


def test_no_random_query_gets_a_5xx_on_any_page(transactional_db, pages, registry):
    """In autocommit, as a deployment runs: a refused statement does not end a test transaction."""
    for route in PAGES:
        _attack(pages, _filled(route, registry))()
