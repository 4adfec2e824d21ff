"""Issue an API token for a user, for MLflow scripts (MLFLOW_TRACKING_TOKEN) and the native API."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it is stored hashed and cannot be shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="a label to recognise the token by, e.g. 'ci'")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named '{username}'.")
        if not user.is_active:
            raise CommandError(f"User '{username}' is inactive; an API token would not authenticate.")
        raw, _token = api_token_create(user=user, name=name, entry_point=EntryPoint.COMMAND)
        self.stdout.write(raw)
