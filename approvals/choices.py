"""Enumerations of the approvals domain."""
from django.db import models


class ReviewRequestStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    APPROVED = "APPROVED", "Approved"
    APPLIED = "APPLIED", "Applied"
    REJECTED = "REJECTED", "Rejected"
    CANCELLED = "CANCELLED", "Cancelled"
    SUPERSEDED = "SUPERSEDED", "Superseded"


# A request still waiting for something: reviews (PENDING) or its application (APPROVED).
OPEN_REVIEW_STATUSES = (ReviewRequestStatus.PENDING, ReviewRequestStatus.APPROVED)
CLOSED_REVIEW_STATUSES = (
    ReviewRequestStatus.APPLIED,
    ReviewRequestStatus.REJECTED,
    ReviewRequestStatus.CANCELLED,
    ReviewRequestStatus.SUPERSEDED,
)


class ReviewDecision(models.TextChoices):
    APPROVE = "APPROVE", "Approve"
    REJECT = "REJECT", "Reject"


# Version tags only the registry writes, when it applies an approved review request.
RESERVED_TAG_KEYS = frozenset({"approved_by", "approved_at", "review_request"})

