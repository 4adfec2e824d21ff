from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Governance: policies, review requests and the promotion gate (filled into models_app's hook)."""

    name = "approvals"
    verbose_name = "Approvals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from models_app.governance import register_governance

        from .gate import ApprovalsGovernance

        register_governance(ApprovalsGovernance())
