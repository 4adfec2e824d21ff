"""Check the audit log's keyed hash chain against the key and the checkpoint; re-key it once when asked."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from models_app.services.audit import (
    RECHAIN_SOURCES,
    AuditChainBroken,
    audit_chain_rechain,
    audit_chain_status,
    audit_chain_verify,
)


class Command(BaseCommand):
    help = ("Verify the audit event chain with AUDIT_HMAC_KEY and the checkpoint outside the database; exits "
            "non-zero and names the first event that differs. --rechain re-keys the chain once (upgrade from "
            "unkeyed hashes, or key rotation) after verifying it under its previous scheme.")

    def add_arguments(self, parser):
        parser.add_argument("--rechain", action="store_true",
                            help="re-key every event under AUDIT_HMAC_KEY and write a fresh checkpoint")
        parser.add_argument("--from", dest="source", choices=RECHAIN_SOURCES,
                            help="the scheme the chain is written in now: legacy (unkeyed SHA-256, before keyed "
                                 "hashing) or previous-key (AUDIT_HMAC_PREVIOUS_KEY); default: previous-key if "
                                 "that is set, else legacy")
        parser.add_argument("--force", action="store_true",
                            help="with --rechain: re-key even a chain that does not verify (recorded in the event)")

    def handle(self, *args, rechain=False, source=None, force=False, **options):
        if rechain:
            self._rechain(source or ("previous-key" if settings.AUDIT_HMAC_PREVIOUS_KEY else "legacy"), force)
        elif source or force:
            raise CommandError("--from and --force only apply to --rechain")
        problem = audit_chain_verify()
        if problem is not None:
            raise CommandError(f"Audit chain broken: {problem}")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {audit_chain_status()}"))

    def _rechain(self, source: str, force: bool) -> None:
        try:
            event = audit_chain_rechain(source=source, force=force)
        except (AuditChainBroken, ValueError) as error:
            raise CommandError(f"Not re-chained: {error}") from None
        self.stdout.write(f"Re-keyed {event.details['events']} events from {source} (event #{event.pk})")
