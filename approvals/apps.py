from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Governance: policies, review requests and the promotion gate (filled into models_app's hook)."""

    name = "approvals"
    verbose_name = "Approvals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from models_app.governance import register_governance
        from models_app.signals import demo_seeded

        from . import tasks  # noqa: F401 - registers the tasks in web processes too, where dispatch finds them by name
        from .gate import ApprovalsGovernance
        from .services.review_requests import review_request_on_validation_finished
        from .signals import validation_run_finished

        register_governance(ApprovalsGovernance())
        validation_run_finished.connect(review_request_on_validation_finished, dispatch_uid="approvals-apply")
        demo_seeded.connect(_seed_governance_demo, dispatch_uid="approvals-demo")


def _seed_governance_demo(sender, **kwargs) -> list[str]:
    """seed_demo includes the governance demo (imported here: it trains nothing but needs scikit-learn's data)."""
    from .demo import demo_governance_report, demo_governance_seed

    return demo_governance_report(demo_governance_seed())
