"""`manage.py recompute --all | --indicator CODE [--organisation SLUG]`: rebuild period values now.

Marks every day with data of the chosen indicators dirty, then works the marks off in rounds,
drawing a progress bar. Uses the same services as the workers, so it is safe beside them.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from indicators.metrics import observe_recompute
from indicators.models import DirtyMark, Indicator
from indicators.services import mark_indicator_dirty, recompute_dirty

BAR_WIDTH = 30
ROUND_LIMIT = 500


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """`[#####     ]  50% 5/10`: the share of `total` that is `done`, clamped to 0..100 %."""
    share = 1.0 if total <= 0 else min(max(done / total, 0.0), 1.0)
    filled = round(share * width)
    return f"[{'#' * filled}{' ' * (width - filled)}] {share:4.0%} {min(done, total)}/{total}"


class Command(BaseCommand):
    help = "Recompute the period values of all indicators, or of one indicator, now."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every indicator")
        which.add_argument("--indicator", metavar="CODE", help="one indicator, by code")
        parser.add_argument("--organisation", metavar="SLUG", help="only this organisation")

    def handle(self, *args, **options):
        indicators = self._indicators(options)
        if not indicators:
            self.stdout.write("No indicators to recompute.")
            return
        self.stdout.write(f"Marking {len(indicators)} indicator(s) dirty.")
        days = 0
        for n, indicator in enumerate(indicators, start=1):
            days += mark_indicator_dirty(indicator=indicator)
            self._draw(n, len(indicators))
        self.stdout.write("")
        total = DirtyMark.objects.count()
        self.stdout.write(f"Recomputing {total} dirty day(s) ({days} from this command).")
        done = 0
        self._draw(done, total)
        while True:
            started = time.perf_counter()
            count = recompute_dirty(limit=ROUND_LIMIT, max_rounds=1)
            if not count:
                break
            observe_recompute(time.perf_counter() - started, count)
            done += count
            self._draw(done, max(total, done))
        self._draw(max(total, done), max(total, done))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Recomputed {done} dirty day(s)."))

    def _indicators(self, options) -> list[Indicator]:
        queryset = Indicator.objects.select_related("organisation").order_by(
            "organisation__slug", "code"
        )
        slug = options.get("organisation")
        if slug:
            if not Organisation.objects.filter(slug=slug).exists():
                raise CommandError(f"No organisation '{slug}'.")
            queryset = queryset.filter(organisation__slug=slug)
        code = options.get("indicator")
        if code:
            queryset = queryset.filter(code=code)
            found = list(queryset)
            if not found:
                raise CommandError(f"No indicator '{code}'.")
            if len(found) > 1:
                slugs = ", ".join(i.organisation.slug for i in found)
                raise CommandError(
                    f"Indicator '{code}' exists in several organisations ({slugs});"
                    " name one with --organisation."
                )
            return found
        return list(queryset)

    def _draw(self, done: int, total: int) -> None:
        self.stdout.write(f"\r{progress_bar(done, total)}", ending="")
        self.stdout.flush()
