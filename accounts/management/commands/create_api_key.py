from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from accounts.services import create_api_key


class Command(BaseCommand):
    help = (
        "Create an API key for an organisation and print it once: create_api_key <org-slug> <name>"
    )

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("name")

    def handle(self, *args, org_slug, name, **options):
        organisation = Organisation.objects.filter(slug=org_slug).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug '{org_slug}'.")
        _api_key, secret = create_api_key(organisation=organisation, name=name)
        self.stdout.write(secret)
