"""Demo users and data for `make run`: real scikit-learn models, registered and staged through the services."""
from django.core.management.base import BaseCommand

from models_app.demo.seed import demo_seed
from models_app.signals import demo_seeded


class Command(BaseCommand):
    help = "Create demo users and train, register and stage the demo models (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--address", default="http://127.0.0.1:8000",
                            help="where the server will listen, for the printed MLFLOW_TRACKING_URI")

    def handle(self, *args, **options):
        result = demo_seed()
        for name in result.seeded_models:
            self.stdout.write(self.style.SUCCESS(f"Seeded model {name}: v1 in Production (@champion), v2 in Staging"))
        for name in result.skipped_models:
            self.stdout.write(f"Model {name} already has versions; left as it is")
        for _receiver, lines in demo_seeded.send(sender=self.__class__):
            for line in lines:
                self.stdout.write(line)
        self.stdout.write("\nDemo users (username / password: role):")
        for user in result.users:
            self.stdout.write(f"  {user.username} / {user.password}: {user.role}")
        self.stdout.write(
            "\nAPI token for alice (replaces the previous demo token), for MLflow scripts against this server:\n"
            f"  export MLFLOW_TRACKING_URI={options['address']}\n  export MLFLOW_TRACKING_TOKEN={result.token}"
        )
