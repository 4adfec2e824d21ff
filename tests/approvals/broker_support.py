"""The test process's Celery app publishing to a real broker instead of running tasks in-process (eager)."""
import contextlib
from pathlib import Path

from kombu import pools

from registry_site.celery import app as celery_app

EMBEDDED_BROKER_URL = "filesystem://"


def filesystem_broker_options(folder: Path) -> dict:
    """Transport options of the embedded broker in `folder`, as settings.py derives them from CELERY_BROKER_FOLDER."""
    queue, control = folder / "queue", folder / "control"
    queue.mkdir(parents=True, exist_ok=True)
    control.mkdir(parents=True, exist_ok=True)
    return {"data_folder_in": str(queue), "data_folder_out": str(queue), "control_folder": str(control)}


@contextlib.contextmanager
def celery_publishing_to(broker_url: str, transport_options: dict | None = None):
    keys = ("task_always_eager", "broker_url", "broker_transport_options")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(task_always_eager=False, broker_url=broker_url,
                           broker_transport_options={**saved["broker_transport_options"], **(transport_options or {})})
    _forget_broker_connections()
    try:
        yield
    finally:
        _forget_broker_connections()
        celery_app.conf.update(saved)  # later tests in this process run eager again


def _forget_broker_connections() -> None:
    """Drop pooled broker connections (as Celery does after a fork): the next publish uses the current broker_url."""
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")  # a cached property: absent until something published
    if amqp is not None:
        amqp._producer_pool = None
    pools.reset()  # closes kombu's pools, which are kept per broker URL for the whole process
