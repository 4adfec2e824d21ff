"""Notification e-mails in Django's outbox: approvers when a request awaits them, requesters when it is decided
or validated; opted-out users, the requester's own request and rolled-back changes e-mail nobody."""
import pytest
from django.core import mail
from django.db import transaction

from approvals.notifications import notification_preference_set
from approvals.services import review_request_approve, review_request_create, review_request_reject
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REGISTRY_BASE_URL = "https://registry.example"


def _ask(version, owner, capture):
    with capture(execute=True):
        return review_request_create(version=version, actor=owner, entry_point=API, stage="Production",
                                     comment="ready for prod")


def _recipients(messages) -> list[str]:
    return sorted(to for message in messages for to in message.to)


def test_approvers_are_emailed_when_a_request_awaits_them(prod_policy, iris, make_version, owner,
                                                          django_capture_on_commit_callbacks):
    _ask(make_version(iris), owner, django_capture_on_commit_callbacks)
    awaiting = [m for m in mail.outbox if m.subject.startswith("Review requested")]
    assert _recipients(awaiting) == ["reviewer2@example.com", "reviewer3@example.com", "reviewer@example.com"]
    assert "owner@example.com" not in _recipients(awaiting)  # the requester may not approve their own request
    assert "https://registry.example/approvals/requests/" in awaiting[0].body and "ready for prod" in awaiting[0].body


def test_an_approver_who_opted_out_gets_no_email(prod_policy, iris, make_version, owner, user_named,
                                                 django_capture_on_commit_callbacks):
    notification_preference_set(user=user_named("reviewer2"), email_enabled=False)
    _ask(make_version(iris), owner, django_capture_on_commit_callbacks)
    assert "reviewer2@example.com" not in _recipients(mail.outbox)
    assert "reviewer@example.com" in _recipients(mail.outbox)


def test_the_requester_hears_of_the_decision(prod_policy, iris, make_version, owner, user_named,
                                             django_capture_on_commit_callbacks):
    request = _ask(make_version(iris), owner, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review_request_reject(request=request, actor=user_named("reviewer"), entry_point=API, comment="no")
    assert [(m.subject, m.to) for m in mail.outbox] == [
        (f"Your request was rejected: iris_classifier {request.target_label}", ["owner@example.com"])]


def test_the_requester_hears_when_it_is_applied(prod_policy, iris, make_version, owner, user_named,
                                                django_capture_on_commit_callbacks):
    request = _ask(make_version(iris), owner, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("reviewer", "reviewer2"):
            review_request_approve(request=request, actor=user_named(name), entry_point=API)
    subjects = [m.subject for m in mail.outbox if m.to == ["owner@example.com"]]
    assert any(s.startswith("Your request was approved") for s in subjects)
    assert any(s.startswith("Your request was applied") for s in subjects)


def test_the_requester_hears_when_validation_finishes(prod_policy, iris, make_version, owner,
                                                      django_capture_on_commit_callbacks):
    _ask(make_version(iris), owner, django_capture_on_commit_callbacks)  # eager Celery runs its validation
    validated = [m for m in mail.outbox if m.subject.startswith("Validation")]
    assert [m.to for m in validated] == [["owner@example.com"]] and "version 1" in validated[0].subject


def test_a_rolled_back_request_emails_nobody(prod_policy, iris, make_version, owner,
                                             django_capture_on_commit_callbacks):
    version = make_version(iris)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
        raise RuntimeError("rolled back")
    assert mail.outbox == []


def test_a_failing_mail_server_does_not_fail_the_change(prod_policy, iris, make_version, owner, settings,
                                                        django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1  # nothing listens
    request = _ask(make_version(iris), owner, django_capture_on_commit_callbacks)
    assert request.pk and request.status == "PENDING"
