"""The Django admin for the registry: mostly read-only; writes that matter go through the services.

Stage changes are admin actions calling model_version_transition_stage; deleting models and
versions calls the registry services, so each is authorised and audited like any other entry point.
History, audit events and the chain head cannot be added, changed or deleted here.
"""
from . import records, registry, tracking

__all__ = ["records", "registry", "tracking"]
