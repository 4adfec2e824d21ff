"""The governance part of the demo (run after seed_demo): a policy, a reviewer's grant and one pending request."""
from django.core.management.base import BaseCommand, CommandError

from models_app.exceptions import RegistryError

from ...demo import demo_governance_seed


class Command(BaseCommand):
    help = "Protect iris_classifier's Production with a 1-approval policy and open one pending request (safe to rerun)."

    def handle(self, *args, **options):
        try:
            result = demo_governance_seed()
        except RegistryError as error:
            raise CommandError(error.message) from None
        policy, request = result.policy, result.review_request
        verb = "Created" if result.policy_created else "Kept"
        self.stdout.write(self.style.SUCCESS(f"{verb} policy '{policy.name}' on {policy.registered_model.name} "
                                             f"(protects Production and @champion; requires validation)"))
        self.stdout.write(f"Granted rita CAN_MANAGE_PRODUCTION_VERSIONS on {policy.registered_model.name}")
        if request is None:
            self.stdout.write(f"{policy.registered_model.name} v2 is already in Production: no request opened")
            return
        verb = "Opened" if result.request_created else "Kept"
        validation = request.validation_runs.first()
        verdict = f"; validation run #{validation.pk}: {validation.status}" if validation else ""
        self.stdout.write(self.style.SUCCESS(
            f"{verb} review request #{request.pk} by {request.requester_name}: {request} ({request.status}{verdict}); "
            "log in as rita / rita-pass and approve it at /approvals/"))
