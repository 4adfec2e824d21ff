"""Writes of the approvals domain, one module per entity; import from here."""
from .permissions import permission_level_parse, permission_remove, permission_require, permission_set
from .policies import policy_create, policy_delete, policy_update
from .review_requests import (
    approval_level_for,
    review_request_apply,
    review_request_approve,
    review_request_cancel,
    review_request_create,
    review_request_reject,
)
from .rollback import RollbackResult, rollback

__all__ = [
    "RollbackResult",
    "approval_level_for",
    "permission_level_parse",
    "permission_remove",
    "permission_require",
    "permission_set",
    "policy_create",
    "policy_delete",
    "policy_update",
    "review_request_apply",
    "review_request_approve",
    "review_request_cancel",
    "review_request_create",
    "review_request_reject",
    "rollback",
]
