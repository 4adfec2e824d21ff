"""Check that the audit log's hash chain is intact (no event edited, removed or appended out of band)."""
from django.core.management.base import BaseCommand, CommandError

from models_app.models import AuditEvent
from models_app.services.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit event hash chain; exits non-zero and names the first bad event if it is broken."

    def handle(self, *args, **options):
        problem = audit_chain_verify()
        if problem is not None:
            raise CommandError(f"Audit chain broken at {problem}")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {AuditEvent.objects.count()} events"))
