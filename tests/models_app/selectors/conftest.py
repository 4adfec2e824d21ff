"""Builders for search tests: every row is written through the services, as the API would."""
import pytest

from models_app.choices import EntryPoint
from models_app.models import RegisteredModel
from models_app.models.base import now_ms
from models_app.services.experiments import experiment_create
from models_app.services.registry import model_version_create, registered_model_create
from models_app.services.runs import MetricPoint, run_create, run_log_batch


def wait_next_ms() -> None:
    """Timestamps are in ms; waiting for the next one makes "last updated" orders strict."""
    start = now_ms()
    while now_ms() == start:
        pass


@pytest.fixture
def experiment(owner):
    return experiment_create(name="search-tests", actor=owner, entry_point=EntryPoint.SYSTEM)


@pytest.fixture
def make_run(experiment, owner):
    def make(*, name="", start_time=None, metrics=None, params=None, tags=None, in_experiment=None):
        run = run_create(experiment=in_experiment or experiment, actor=owner, user_id="owner", run_name=name,
                         start_time=start_time)
        points = [MetricPoint(key=k, value=v, timestamp=1) for k, v in (metrics or {}).items()]
        run_log_batch(actor=None,
                      run=run, metrics=points, params=list((params or {}).items()), tags=list((tags or {}).items()))
        return run
    return make


@pytest.fixture
def register(owner, experiment):
    """register(name, tags=...) creates the model if needed and registers a new version of it."""
    def make(name, *, tags=(), run=None):
        if not RegisteredModel.objects.filter(name=name).exists():
            registered_model_create(name=name, actor=owner, entry_point=EntryPoint.SYSTEM)
        return model_version_create(name=name, source=f"mlflow-artifacts:/{experiment.pk}/{name}", actor=owner,
                                    entry_point=EntryPoint.SYSTEM, run_id=run.pk if run else None, tags=list(tags))
    return make

