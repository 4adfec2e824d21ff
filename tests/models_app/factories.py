"""factory_boy factories for the registry domain.

Versions are registered through `model_version_create`, so their numbers come from the model's
counter exactly as in production; the other rows are plain inserts.
"""
import factory
from django.contrib.auth import get_user_model

from models_app.choices import EntryPoint
from models_app.models import Experiment, LoggedModel, RegisteredModel, Run
from models_app.models.base import new_logged_model_id, new_run_id
from models_app.services.registry import model_version_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("user-pass")


class ExperimentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Experiment
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"experiment-{n}")

    @factory.post_generation
    def artifact_location(experiment, create, extracted, **kwargs):
        # The default location names the experiment's id, known only after the insert.
        experiment.artifact_location = extracted or f"mlflow-artifacts:/{experiment.pk}"
        if create:
            experiment.save(update_fields=["artifact_location"])


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    run_uuid = factory.LazyFunction(new_run_id)
    experiment = factory.SubFactory(ExperimentFactory)
    artifact_uri = factory.LazyAttribute(lambda run: f"{run.experiment.artifact_location}/{run.run_uuid}/artifacts")
    start_time = 1_700_000_000_000


class LoggedModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoggedModel

    model_id = factory.LazyFunction(new_logged_model_id)
    experiment = factory.SubFactory(ExperimentFactory)
    name = "model"
    source_run = factory.SubFactory(RunFactory, experiment=factory.SelfAttribute("..experiment"))
    artifact_location = factory.LazyAttribute(
        lambda model: f"mlflow-artifacts:/{model.experiment.pk}/models/{model.model_id}/artifacts"
    )


class RegisteredModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegisteredModel

    name = factory.Sequence(lambda n: f"model-{n}")


class ModelVersionFactory(factory.Factory):
    """Registers a version through the service; pass `registered_model` and optionally `source`, `actor`."""

    class Meta:
        model = dict

    registered_model = factory.SubFactory(RegisteredModelFactory)
    source = "mlflow-artifacts:/0/unused-model"
    actor = None
    entry_point = EntryPoint.SYSTEM

    @classmethod
    def _create(cls, model_class, *, registered_model, **kwargs):
        return model_version_create(name=registered_model.name, **kwargs)
