import time
import uuid

from django.db import models


def now_ms() -> int:
    """Milliseconds since the epoch: MLflow's time unit on the wire."""
    return int(time.time() * 1000)


def new_run_id() -> str:
    return uuid.uuid4().hex


def new_logged_model_id() -> str:
    return f"m-{uuid.uuid4().hex}"


class KeyValue(models.Model):
    """A key/value pair (tag or param) belonging to one owner row."""

    key = models.CharField(max_length=250)
    value = models.TextField(blank=True, default="")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
