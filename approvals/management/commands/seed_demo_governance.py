"""The governance part of the demo on its own (seed_demo runs it too): a policy, a grant, one pending request."""
from django.core.management.base import BaseCommand, CommandError

from models_app.exceptions import RegistryError

from ...demo import demo_governance_report, demo_governance_seed


class Command(BaseCommand):
    help = ("Protect wine_classifier's Production with a 1-approval policy requiring validation and open one pending "
            "request (safe to rerun).")

    def handle(self, *args, **options):
        try:
            result = demo_governance_seed()
        except RegistryError as error:
            raise CommandError(error.message) from None
        for line in demo_governance_report(result):
            self.stdout.write(line)
