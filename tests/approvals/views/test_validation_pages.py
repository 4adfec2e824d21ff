"""Validation runs in the dashboard: the version's Validation section (runs, checks, "Run validation", "Repeat",
polling until every run has finished) and the validation evidence of a review request in the inbox and on its page.

Runs stay QUEUED unless a test executes the on-commit callbacks, which run them in-process (eager Celery)."""
import pytest
from django.urls import reverse

from approvals.choices import ValidationStatus
from approvals.models import ValidationRun
from approvals.services import policy_update, review_request_create, validation_run_create, validation_run_execute
from models_app.choices import EntryPoint

pytestmark = pytest.mark.django_db
PAGE = EntryPoint.PAGE
INBOX = reverse("approvals:inbox")
# The demo's v2 logged accuracy 0.91 and v1 (in Production) 0.9: v2 misses the threshold, beats the champion.
ACCURACY_AT_LEAST_95 = [{"metric": "accuracy", "op": ">=", "value": 0.95}]
BEAT_THE_CHAMPION = [{"metric": "accuracy", "greater_is_better": True, "min_absolute_change": 0.005}]


def _url(version=2):
    return reverse("approvals:version_validation", args=["iris_classifier", version])


def _repeat_url(run, version=2):
    return reverse("approvals:validation_run_repeat", args=["iris_classifier", version, run.pk])


@pytest.fixture
def checked_policy(gate_policy, owner):
    """prod-gate with validation required: accuracy >= 0.95 on the source run, and better than the champion."""
    return policy_update(policy=gate_policy, actor=None, entry_point=PAGE, require_validation=True,
                         metric_thresholds=ACCURACY_AT_LEAST_95, champion_thresholds=BEAT_THE_CHAMPION)


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    """Run `create` and execute the validation runs it dispatches, as eager Celery does after the commit."""

    def run(create):
        with django_capture_on_commit_callbacks(execute=True):
            return create()

    return run


def _validate(demo, owner, run_now, **target):
    return run_now(lambda: validation_run_create(version=demo.versions[1], actor=owner, entry_point=PAGE, **target))


def test_it_redirects_anonymous_users_to_login(client, demo, owner, run_now):
    finished = _validate(demo, owner, run_now)
    for response in (client.get(_url()), client.post(_url(), {"target": "Production"}),
                     client.post(_repeat_url(finished))):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert ValidationRun.objects.count() == 1


def test_the_version_page_loads_it_by_htmx_with_a_plain_link_fallback(login, owner, demo):
    body = login(owner).get(reverse("models_app:modelversion", args=["iris_classifier", 2])).content.decode()
    assert f'hx-get="{_url()}" hx-trigger="load"' in body and f'href="{_url()}"' in body


def test_a_user_who_may_not_read_the_model_is_told_so_and_starts_nothing(login, outsider, demo, owner, run_now,
                                                                          settings):
    finished = _validate(demo, owner, run_now)
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"  # outsider holds no grant on iris_classifier
    client = login(outsider)
    fragment = client.get(_url(), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "Not shown: Registered Model with name=iris_classifier not found" in fragment.content.decode()
    assert f"Run #{finished.pk}" not in fragment.content.decode()
    page = client.get(_url())
    assert page.status_code == 404 and "<html" in page.content.decode()
    assert "Not shown: Registered Model with name=iris_classifier not found" in page.content.decode()
    started = client.post(_url(), {"target": "Production"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Validation not started: Registered Model with name=iris_classifier not found" in started
    repeated = client.post(_repeat_url(finished)).content.decode()
    assert "Not repeated: Registered Model with name=iris_classifier not found" in repeated
    assert ValidationRun.objects.count() == 1


def test_it_lists_runs_newest_first_the_latest_open_with_its_checks(login, owner, outsider, demo, checked_policy,
                                                                   run_now):
    older = _validate(demo, owner, run_now)
    latest = _validate(demo, owner, run_now, stage="Production")
    body = login(outsider).get(_url(), HTTP_HX_REQUEST="true").content.decode()
    assert body.index(f'<article class="validation-run latest" id="validation-run-{latest.pk}"') \
        < body.index(f'<details class="validation-run" id="validation-run-{older.pk}">')
    assert body.count("3/3 checks") == 2 and "no target" in body
    assert "1 of 3 checks failed: Run metric accuracy &gt;= 0.95." in body
    assert "→ Production" in body and 'href="/models/iris_classifier/versions/1/">v1</a>' in body
    assert "Requested by owner" in body and ">no champion<" in body  # the run without a target
    for cell in ("Run metric accuracy &gt;= 0.95", "<td class=\"num\">0.91</td>", "&gt;= 0.95",
                 "Run metric accuracy against champion", "&gt;= 0.905 (champion 0.9 + 0.005)",
                 "accuracy = 0.91 does not meet accuracy &gt;= 0.95 (the source run)."):
        assert cell in body
    assert body.count(">Repeat</button>") == 2


def test_it_answers_a_fragment_to_htmx_and_a_page_otherwise(login, owner, demo):
    client = login(owner)
    fragment = client.get(_url(), HTTP_HX_REQUEST="true").content.decode()
    assert '<section class="card" id="version-validation"' in fragment and "<html" not in fragment
    assert "No validation runs for this version yet." in fragment and "Run validation" in fragment
    page = client.get(_url())
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert 'id="version-validation"' in page.content.decode() and "iris_classifier v2</a> / Validation" in \
        page.content.decode()


def test_it_polls_while_a_run_is_unfinished_and_answers_286_once_all_have_finished(login, owner, demo):
    queued = validation_run_create(version=demo.versions[1], actor=owner, entry_point=PAGE)
    client = login(owner)
    running = client.get(_url(), HTTP_HX_REQUEST="true")
    body = running.content.decode()
    assert running.status_code == 200 and 'hx-trigger="every 2s"' in body and 'hx-select="#validation-runs"' in body
    assert "Queued" in body and "0/1 checks" in body and "Waiting for a worker" in body
    assert ">Repeat</button>" not in body
    validation_run_execute(run_id=queued.pk)
    finished = client.get(_url(), HTTP_HX_REQUEST="true")
    assert finished.status_code == 286
    assert 'hx-trigger="every 2s"' not in finished.content.decode() and "Passed" in finished.content.decode()
    assert client.get(_url()).status_code == 200  # without htmx, a page as usual


def test_run_validation_starts_a_run_against_the_chosen_target(login, outsider, checked_policy, run_now):
    client = login(outsider)
    form = client.get(_url(), HTTP_HX_REQUEST="true").content.decode()
    assert '<option value="Production">' in form and '<option value="@champion">' in form
    response = run_now(lambda: client.post(_url(), {"target": "@champion"}, HTTP_HX_REQUEST="true"))
    run = ValidationRun.objects.get()
    assert (run.target_alias, run.champion_version_number, run.requested_by) == ("champion", 1, outsider)
    body = response.content.decode()
    assert response.status_code == 200 and f"Validation run #{run.pk} requested for @champion." in body
    assert 'hx-trigger="every 2s"' in body  # answered before the run executed after the commit
    run.refresh_from_db()
    assert run.status == ValidationStatus.FAILED
    assert f"Run #{run.pk}" in client.get(_url(), HTTP_HX_REQUEST="true").content.decode()


def test_a_refused_run_says_why_and_keeps_the_chosen_target(login, owner, demo):
    response = login(owner).post(_url(), {"target": "Retired"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "Validation not started: Invalid Model Version stage: Retired." in body
    assert not ValidationRun.objects.exists()


def test_a_plain_post_redirects_back_with_a_message(login, owner, demo):
    response = login(owner).post(_url(), {"target": "Production"}, follow=True)
    run = ValidationRun.objects.get()
    assert response.redirect_chain == [(_url(), 302)]
    assert f"Validation run #{run.pk} requested for Production." in response.content.decode()


def test_repeat_runs_a_finished_run_again_as_a_new_run(login, outsider, demo, owner, run_now):
    finished = _validate(demo, owner, run_now, stage="Production")
    response = login(outsider).post(_repeat_url(finished), HTTP_HX_REQUEST="true")
    repeated = ValidationRun.objects.exclude(pk=finished.pk).get()
    assert (repeated.target_stage, repeated.requested_by) == ("Production", outsider)
    body = response.content.decode()
    assert f"Validation run #{finished.pk} repeated as run #{repeated.pk}." in body
    assert body.index(f'id="validation-run-{repeated.pk}"') < body.index(f'id="validation-run-{finished.pk}"')


def test_repeating_an_unfinished_run_shows_the_services_refusal(login, owner, demo):
    queued = validation_run_create(version=demo.versions[1], actor=owner, entry_point=PAGE)
    client = login(owner)
    refused = client.post(_repeat_url(queued), HTTP_HX_REQUEST="true")
    message = f"Not repeated: Validation run #{queued.pk} is still QUEUED; repeat it once it has finished."
    assert refused.status_code == 200 and message in refused.content.decode()
    plain = client.post(_repeat_url(queued), follow=True)
    assert plain.redirect_chain == [(_url(), 302)] and message in plain.content.decode()
    assert ValidationRun.objects.count() == 1


def test_a_run_of_another_version_cannot_be_repeated_from_this_one(login, owner, demo, run_now):
    finished = _validate(demo, owner, run_now)
    body = login(owner).post(_repeat_url(finished, version=1), HTTP_HX_REQUEST="true").content.decode()
    assert f"Not repeated: Validation run #{finished.pk} of iris_classifier v1 does not exist" in body
    assert ValidationRun.objects.count() == 1


def test_opening_a_review_request_makes_the_validation_section_reload(login, owner, gate_policy):
    response = login(owner).post(reverse("approvals:version_requests", args=["iris_classifier", 2]),
                                 {"stage": "Production"}, HTTP_HX_REQUEST="true")
    assert response["HX-Trigger"] == "validation-runs-changed, policy-panel-changed"
    fragment = login(owner).get(_url(), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="validation-runs-changed from:body"' in fragment
    assert "review request #" in fragment and "Queued" in fragment


@pytest.mark.parametrize("count", [1, 30])
def test_it_bounds_the_queries_of_the_section(login, owner, checked_policy, demo, run_now,
                                              django_assert_max_num_queries, count):
    for number in range(count):
        create = lambda: validation_run_create(version=demo.versions[1], actor=owner, entry_point=PAGE,  # noqa: E731
                                               stage="Production")
        run_now(create) if number % 2 else create()  # finished and queued ones
    client = login(owner)
    with django_assert_max_num_queries(10):
        body = client.get(_url(), HTTP_HX_REQUEST="true").content.decode()
    shown = min(count, 20)
    assert body.count('id="validation-run-') == shown
    assert ("Only the 20 newest runs are shown" in body) == (count > 20)


def _requested(demo, owner, run_now):
    return run_now(lambda: review_request_create(version=demo.versions[1], stage="Production", comment="please",
                                                 actor=owner, entry_point=PAGE))


def test_the_inbox_shows_the_verdict_the_failures_and_the_champion_comparison(login, reviewer, owner, demo,
                                                                              checked_policy, run_now):
    request = _requested(demo, owner, run_now)
    run = request.validation_runs.get()
    body = login(reviewer).get(INBOX).content.decode()
    row = body[body.index(f'<tr id="review-request-{request.pk}">'):]
    assert "Validation failed" in row and "3/3 checks" in row and f"run #{run.pk}" in row
    assert "1 of 3 checks failed: Run metric accuracy &gt;= 0.95." in row
    assert "(observed 0.91, expected &gt;= 0.95)</span>: accuracy = 0.91 does not meet" in row  # the failing check
    assert "Against the champion (v1)" in row and "&gt;= 0.905 (champion 0.9 + 0.005)" in row
    assert f'href="{_url()}#validation-run-{run.pk}"' in row


def test_the_inbox_shows_a_queued_validation_as_such(login, reviewer, pending):
    row = login(reviewer).get(INBOX).content.decode()
    assert "Validation queued" in row and "0/1 checks" in row


def test_a_queued_validation_in_the_inbox_and_on_the_request_page_polls_until_it_finishes(login, reviewer,
                                                                                        outsider, pending, settings):
    evidence_url = reverse("approvals:reviewrequest_validation", args=[pending.pk])
    client = login(reviewer)
    row = client.get(INBOX).content.decode()
    assert f'hx-get="{evidence_url}" hx-trigger="every 2s"' in row
    page = client.get(reverse("approvals:reviewrequest_detail", args=[pending.pk])).content.decode()
    assert f'hx-get="{evidence_url}?checks=all" hx-trigger="every 2s"' in page
    queued = client.get(f"{evidence_url}?checks=all", HTTP_HX_REQUEST="true")
    assert queued.status_code == 200 and "Validation queued" in queued.content.decode()
    validation_run_execute(run_id=pending.validation_runs.get().pk)
    finished = client.get(f"{evidence_url}?checks=all", HTTP_HX_REQUEST="true")
    body = finished.content.decode()
    assert finished.status_code == 286 and "Validation passed" in body and "hx-trigger" not in body
    assert "All 1 checks of run" in body and "<html" not in body
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"  # outsider holds no grant on iris_classifier
    assert login(outsider).get(evidence_url).status_code == 404  # as unreadable as the request's page


def test_the_request_page_shows_the_latest_run_with_all_its_checks(login, reviewer, owner, demo, checked_policy,
                                                                  run_now):
    request = _requested(demo, owner, run_now)
    first = request.validation_runs.get()
    latest = run_now(lambda: validation_run_create(version=demo.versions[1], actor=owner, entry_point=PAGE,
                                                   review_request=request))
    body = login(reviewer).get(reverse("approvals:reviewrequest_detail", args=[request.pk])).content.decode()
    assert f"run #{latest.pk}" in body and f"run #{first.pk}" not in body
    assert "Validation failed" in body and f"All 3 checks of run #{latest.pk}" in body
    assert "Artifact integrity" in body and "content hash matches the registration" in body


@pytest.mark.parametrize("count", [1, 30])
def test_the_inbox_queries_stay_bounded_with_validation_evidence(login, reviewer, checked_policy, make_pending,
                                                                 run_now, django_assert_max_num_queries, count):
    run_now(lambda: make_pending(count))
    assert ValidationRun.objects.filter(status=ValidationStatus.FAILED).count() == count
    client = login(reviewer)
    with django_assert_max_num_queries(12):
        body = client.get(INBOX).content.decode()
    assert body.count('<tr id="review-request-') == count
    assert body.count("Validation failed") == count
