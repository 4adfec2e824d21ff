"""Writes of the approvals domain, one module per entity; import from here."""
from .datasets import validation_dataset_create, validation_dataset_delete
from .experiment_permissions import (
    experiment_level_parse,
    experiment_permission_grant_creator,
    experiment_permission_remove,
    experiment_permission_require,
    experiment_permission_set,
)
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
from .validation import (
    validation_run_create,
    validation_run_execute,
    validation_run_repeat,
    validation_runs_dispatch_pending,
    validation_runs_sweep,
)

__all__ = [
    "RollbackResult",
    "approval_level_for",
    "experiment_level_parse",
    "experiment_permission_grant_creator",
    "experiment_permission_remove",
    "experiment_permission_require",
    "experiment_permission_set",
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
    "validation_dataset_create",
    "validation_dataset_delete",
    "validation_run_create",
    "validation_run_execute",
    "validation_run_repeat",
    "validation_runs_dispatch_pending",
    "validation_runs_sweep",
]
