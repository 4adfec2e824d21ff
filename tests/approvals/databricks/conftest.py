"""The loopback receiver of the webhook tests, for registry webhooks driven by databricks-sdk."""
from tests.approvals.webhooks.conftest import _deliverable_loopback, receiver  # noqa: F401
