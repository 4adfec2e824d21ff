"""Invariant 1, as an attack: a writer loops artifact writes into a version's folder while a reviewer approves its
promotion. Whatever the interleaving, the version reaches Production only with exactly the approved bytes: every
write lands before the approval's check (and voids the request) or is refused once the version is protected."""
import io
import threading
import time

import pytest
from django.db import connection

from approvals.choices import ReviewRequestStatus as Status
from approvals.models import ReviewRequest
from approvals.selectors import version_content_hash
from approvals.services import policy_update, review_request_approve, review_request_create
from models_app.exceptions import InvalidState, PermissionDenied
from models_app.models import ModelVersion
from models_app.services.artifacts import artifact_uri_to_path, artifact_write
from models_app.services.stages import model_version_transition_stage
from tests.approvals.conftest import API

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 50
APPROVE_AFTER_SECONDS = 0.010
WRITER_GIVES_UP_AFTER_SECONDS = 0.5


def _writer_delay(round_number: int) -> float:
    """Mostly around the approval (before it, during it, right after it); every tenth round well after it."""
    if round_number % 10 == 9:
        return 0.3
    return (round_number % 9) * 0.004


class _Writer(threading.Thread):
    """Writes into the folder until a write is refused (the version became protected) or it gives up."""

    def __init__(self, folder: str, actor, *, delay: float, overwrite: bool):
        super().__init__(daemon=True)
        self.folder, self.actor, self.delay, self.overwrite = folder, actor, delay, overwrite
        self.written = self.refused = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            time.sleep(self.delay)
            deadline = time.monotonic() + WRITER_GIVES_UP_AFTER_SECONDS
            while time.monotonic() < deadline:
                name = "model.pkl" if self.overwrite else f"extra-{self.written}.txt"
                try:
                    artifact_write(path=f"{self.folder}/{name}", stream=io.BytesIO(f"w{self.written}".encode()),
                                   actor=self.actor)
                except PermissionDenied:
                    self.refused += 1
                    return
                self.written += 1
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error
        finally:
            connection.close()


class _Approver(threading.Thread):
    def __init__(self, request_id: int, reviewer):
        super().__init__(daemon=True)
        self.request_id, self.reviewer = request_id, reviewer
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            time.sleep(APPROVE_AFTER_SECONDS)
            review_request_approve(request=ReviewRequest.objects.get(pk=self.request_id), actor=self.reviewer,
                                   entry_point=API)
        except InvalidState:
            pass  # the writer came first: the request no longer applies
        except BaseException as error:
            self.error = error
        finally:
            connection.close()


def test_a_racing_writer_never_changes_the_bytes_that_reach_production(prod_policy, iris, make_version, owner,
                                                                       reviewer, admin_user):
    policy_update(policy=prod_policy, actor=admin_user, entry_point=API, required_approvals=1)
    outcomes = {"promoted": 0, "voided": 0}
    for round_number in range(ROUNDS):
        version = make_version(iris, weights=f"weights-{round_number}".encode())
        request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
        writer = _Writer(artifact_uri_to_path(version.storage_location), owner, delay=_writer_delay(round_number),
                         overwrite=round_number % 2 == 0)
        approver = _Approver(request.pk, reviewer)
        writer.start()
        approver.start()
        writer.join(5)
        approver.join(5)
        assert writer.error is None and approver.error is None, (writer.error, approver.error)

        version = ModelVersion.objects.get(pk=version.pk)
        request.refresh_from_db()
        if version.stage == "Production":
            outcomes["promoted"] += 1
            assert request.status == Status.APPLIED
            assert version_content_hash(version) == request.content_hash, f"round {round_number}"
            assert writer.refused == 1, "the writer must have been stopped once the version was protected"
            version.tags.get(key="approved_by")
        else:
            outcomes["voided"] += 1
            assert request.status == Status.SUPERSEDED, f"round {round_number}: {request.status}"
            assert writer.written >= 1
        # The next round's candidate: the promoted version moves out of the way (with an audited break-glass).
        if version.stage == "Production":
            model_version_transition_stage(version=version, to_stage="Archived", actor=admin_user, entry_point=API,
                                           force_reason="next round")
    # Both interleavings happened, so the invariant was checked against each.
    assert outcomes["promoted"] >= 1 and outcomes["voided"] >= 1, outcomes
