"""Run a pull connector now, in this process: `run_connector <org-slug> <code> [--dry-run]`.

For cron in the embedded mode (no worker), and for trying a connector from a shell. Prints the
run's counts and message; exits 1 when the run failed (nothing was written), 0 otherwise
(a run skipped because another was still going is not a failure). Never retried here: the next
cron line is the retry.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import Organisation
from connectors import selectors, services
from connectors.models import ConnectorKind, RunStatus, RunTrigger
from core.errors import NotFound

ERRORS_SHOWN = 10


class Command(BaseCommand):
    help = "Run a pull connector now and print what it did: run_connector <org-slug> <code>"

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("code")
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and check everything, write nothing."
        )

    def handle(self, *args, org_slug, code, dry_run, **options):
        organisation = Organisation.objects.filter(slug=org_slug).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug '{org_slug}'.")
        try:
            connector = selectors.connector_by_code(organisation, code)
        except NotFound:
            raise CommandError(f"No connector '{code}' in {org_slug}.") from None
        if connector.kind == ConnectorKind.WEBHOOK:
            raise CommandError(f"'{code}' is a webhook: it runs when it is called.")
        run = services.run_connector(
            connector, trigger=RunTrigger.MANUAL, dry_run=dry_run, retry=False
        )
        self.stdout.write(self._summary(run))
        for error in run.errors[:ERRORS_SHOWN]:
            self.stdout.write(
                "  item {index}, {field}: {message}".format(
                    index=error.get("index", "?"),
                    field=error.get("field") or "-",
                    message=error.get("message", ""),
                )
            )
        if run.error_count > ERRORS_SHOWN:
            self.stdout.write(f"  ... and {run.error_count - ERRORS_SHOWN} more")
        if run.status == RunStatus.FAILED:
            raise CommandError(run.message or _("The run failed."), returncode=1)

    def _summary(self, run) -> str:
        duration = run.duration_seconds or 0.0
        words = (
            f"{run.get_status_display()}{' (dry run)' if run.dry_run else ''}: {run.rows} read, "
            f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
            f"{run.error_count} errors in {duration:.1f} s"
        )
        return f"{words}. {run.message}" if run.message else words
