"""Celery tasks of the approvals app: executing validation runs, and the beat-driven dispatcher and sweeper.

The tasks only call services; claims make them idempotent, so a duplicated or redelivered message is harmless.
"""
from celery import shared_task

from .services.validation import (
    EXECUTE_VALIDATION_RUN_TASK,
    validation_run_execute,
    validation_runs_dispatch_pending,
    validation_runs_sweep,
)
from .services.webhook_delivery import (
    SEND_WEBHOOK_DELIVERY_TASK,
    webhook_deliveries_dispatch_pending,
    webhook_delivery_send,
)


@shared_task(name=EXECUTE_VALIDATION_RUN_TASK, acks_late=True, reject_on_worker_lost=True)
def execute_validation_run(run_id: int) -> str | None:
    run = validation_run_execute(run_id=run_id)
    return run.status if run is not None else None


@shared_task(name="approvals.dispatch_validation_runs")
def dispatch_validation_runs() -> dict:
    return validation_runs_dispatch_pending()


@shared_task(name="approvals.sweep_validation_runs")
def sweep_validation_runs() -> int:
    return validation_runs_sweep()


@shared_task(name=SEND_WEBHOOK_DELIVERY_TASK, acks_late=True, reject_on_worker_lost=True)
def send_webhook_delivery(delivery_id: int) -> str | None:
    delivery = webhook_delivery_send(delivery_id)
    return delivery.status if delivery is not None else None


@shared_task(name="approvals.webhook_deliveries_dispatch_pending")
def dispatch_webhook_deliveries() -> int:
    return webhook_deliveries_dispatch_pending()
