"""Listings filled by the approvals app: validation verdicts on the model page, pending requests on the models list."""
import pytest
from django.urls import reverse

from approvals.models import ValidationRun
from approvals.services import validation_run_create
from tests.approvals.views.conftest import PAGE

pytestmark = pytest.mark.django_db


def _model_page(login, user, demo):
    return login(user).get(reverse("models_app:registeredmodel", args=[demo.model.name]))


def test_each_version_shows_its_newest_verdict(login, owner, demo):
    v1, v2 = demo.versions[0], demo.versions[1]
    older = validation_run_create(version=v2, actor=owner, entry_point=PAGE)
    ValidationRun.objects.filter(pk=older.pk).update(status="FAILED")
    validation_run_create(version=v2, actor=owner, entry_point=PAGE)  # newest: still queued
    ValidationRun.objects.filter(pk=validation_run_create(version=v1, actor=owner, entry_point=PAGE).pk).update(
        status="PASSED")
    page = _model_page(login, owner, demo).content.decode()
    row_v1 = page.split('id="version-row-1"')[1].split("</tr>")[0]
    row_v2 = page.split('id="version-row-2"')[1].split("</tr>")[0]
    assert '<span class="badge verdict-passed">Passed</span>' in row_v1
    assert '<span class="badge verdict-queued">Queued</span>' in row_v2


def test_the_verdicts_cost_one_query_whatever_the_number_of_runs(login, owner, demo, django_assert_max_num_queries):
    client = login(owner)
    url = reverse("models_app:registeredmodel", args=[demo.model.name])
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for version in demo.versions:
        for _ in range(10):
            validation_run_create(version=version, actor=owner, entry_point=PAGE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_models_list_counts_open_review_requests(login, owner, pending):
    page = login(owner).get(reverse("models_app:registeredmodel_list")).content.decode()
    assert '<span class="badge verdict-queued">1 pending</span>' in page
