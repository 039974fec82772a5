import zoneinfo
from datetime import date, datetime, time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from indicators import demo


class Command(BaseCommand):
    help = (
        "Replace the organisation 'demo' (Nordic Mutual Insurance) with 18 months of generated "
        "indicator data, and print the logins, an API key and example requests. Resets the "
        "passwords of the users admin, analyst and viewer to 'demo-password'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="Random seed (default 7).")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            help="Last day of the data, YYYY-MM-DD (default: today in Europe/Stockholm).",
        )
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load the demo even with DJANGO_ENV=production.",
        )

    def handle(self, *args, seed, today, base_url, allow_production, **options):
        if getattr(settings, "PRODUCTION", False) and not allow_production:
            raise CommandError(
                "load_demo makes 'admin' a superuser with the password "
                f"'{demo.PASSWORD}'; refusing with DJANGO_ENV=production "
                "(pass --allow-production to do it anyway)."
            )
        today = today or timezone.localdate(timezone=zoneinfo.ZoneInfo(demo.TIME_ZONE))
        try:
            loaded = demo.load_demo(today=today, seed=seed)
        except (ProtectedError, RestrictedError) as error:
            raise CommandError(
                f"The existing organisation '{demo.SLUG}' has objects that block its deletion: "
                f"{error}"
            ) from error
        self.stdout.write(_report(loaded, base_url.rstrip("/")))


def _report(loaded: demo.LoadedDemo, base: str) -> str:
    organisation, data = loaded.organisation, loaded.demo
    formulas = sum(1 for i in data.indicators if i["formula"])
    kinds = {kind: sum(1 for i in data.indicators if i["kind"] == kind) for kind in ("cpi", "kpi")}
    action = (
        "Deleted the existing demo organisation and created it again"
        if loaded.replaced
        else "Created the demo organisation"
    )
    key = loaded.api_key
    parts = "".join(f"{line}\n" for line in loaded.parts.values())
    observed_at = datetime.combine(data.today, time(10, 15), tzinfo=organisation.tz).isoformat()
    example = (
        '{"measurements": [{"indicator": "fast_quote", '
        f'"observed_at": "{observed_at}", "value": 24.5, "segment": {{"channel": "web"}}}}]}}'
    )
    users = "\n".join(
        f"  {username:<8} / {demo.PASSWORD}   ({role})" for username, role in demo.USERS
    )
    return f"""{action}: {organisation.slug} ({organisation.name}), time zone \
{organisation.time_zone}, language {organisation.language}.
Indicators: {len(data.indicators)} ({kinds["cpi"]} CPIs, {kinds["kpi"]} KPIs, {formulas} formula).
Measurements: {loaded.measurements} from {data.start} to {data.end}, pushed in \
{loaded.batches} batches.
Period values: {loaded.period_values}. Deviations: {loaded.deviations["corrective"]} corrective, \
{loaded.deviations["learning"]} learning (those older than a quarter handled, the rest in the inbox).
{parts}The mails above are what the owners got for this backfill: one per person, however many \
deviations it opened (the console mail backend of the embedded mode).
Loaded in {loaded.seconds:.1f} s.

Log in at {base}/ with
{users}
Django admin (user admin): {base}/admin/
API docs: {base}/api/docs/

API key (shown once, a new one on every load): {key}

Push measurements:
  curl -X POST {base}/api/v1/measurements/ \\
    -H "Authorization: Api-Key {key}" -H "Content-Type: application/json" \\
    -d '{example}'

Read monthly values:
  curl -H "Authorization: Api-Key {key}" \\
    "{base}/api/v1/indicators/fast_quote/values/?period=month"
"""
