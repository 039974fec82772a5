from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_organisation


class Command(BaseCommand):
    help = "Create an organisation: create_organisation <slug> <name> [--time-zone] [--language]"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--time-zone", default="Europe/Stockholm")
        parser.add_argument("--language", default="en", choices=["en", "sv", "fi"])

    def handle(self, *args, slug, name, time_zone, language, **options):
        try:
            organisation = create_organisation(
                slug=slug, name=name, time_zone=time_zone, language=language
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Created organisation {organisation.slug} ({organisation.name}).")
