"""The Celery app.

With a broker configured (CELERY_BROKER_URL or REDIS_URL) tasks are sent to it and executed by
`celery -A registry_site worker`. Without one, settings turn on eager mode and tasks run in the
calling process, which is what the embedded `make run` uses.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_site.settings")

app = Celery("registry_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
