from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation, Role
from accounts.services import create_user


class Command(BaseCommand):
    help = "Create a person in an organisation: create_user <org-slug> <username> --role ROLE"

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("username")
        parser.add_argument("--role", choices=list(Role.values), default=Role.VIEWER)
        parser.add_argument("--password")

    def handle(self, *args, org_slug, username, role, password, **options):
        organisation = Organisation.objects.filter(slug=org_slug).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug '{org_slug}'.")
        create_user(organisation=organisation, username=username, role=role, password=password)
        self.stdout.write(f"{username} is {role} in {organisation.slug}.")
