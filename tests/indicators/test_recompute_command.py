"""`manage.py recompute` rebuilds period values with a progress bar."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.services import create_organisation
from indicators.management.commands.recompute import progress_bar
from indicators.models import DirtyMark, PeriodValue
from indicators.services import recompute_dirty
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("recompute", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def pushed(api, organisation):
    IndicatorFactory(organisation=organisation, code="fast_quote", period="day")
    IndicatorFactory(organisation=organisation, code="nothing_broke", period="month")
    items = [
        {"indicator": "fast_quote", "observed_at": f"2026-03-0{d}", "value": 10 * d}
        for d in range(1, 6)
    ] + [{"indicator": "nothing_broke", "observed_at": "2026-03-02", "value": 97}]
    assert push(api, items).status_code == 200
    recompute_dirty()  # on_commit never fires inside a test transaction: work the marks off
    assert not DirtyMark.objects.exists()
    return items


def test_progress_bar_shows_the_share_done():
    assert progress_bar(5, 10, width=10) == "[#####     ]  50% 5/10"
    assert progress_bar(0, 0, width=4) == "[####] 100% 0/0"
    assert progress_bar(12, 10, width=4) == "[####] 100% 10/10"


def test_recompute_all_rebuilds_lost_values_and_draws_a_progress_bar(pushed):
    PeriodValue.objects.all().delete()
    output = run("--all")
    assert "\r[" in output
    assert "100%" in output
    assert not DirtyMark.objects.exists()
    day_values = dict(
        PeriodValue.objects.filter(
            indicator__code="fast_quote", period="day", segment=""
        ).values_list("period_start__day", "value")
    )
    assert day_values == {1: 10.0, 2: 20.0, 3: 30.0, 4: 40.0, 5: 50.0}
    month = PeriodValue.objects.get(indicator__code="fast_quote", period="month", segment="")
    assert (month.value, month.count) == (30.0, 5)
    assert PeriodValue.objects.get(indicator__code="nothing_broke", period="month").value == 97


def test_recompute_one_indicator_leaves_the_others_alone(pushed):
    PeriodValue.objects.all().delete()
    run("--indicator", "nothing_broke")
    assert PeriodValue.objects.filter(indicator__code="nothing_broke").exists()
    assert not PeriodValue.objects.filter(indicator__code="fast_quote").exists()


def test_recompute_fixes_a_stale_value(pushed):
    month = PeriodValue.objects.get(indicator__code="fast_quote", period="month", segment="")
    PeriodValue.objects.filter(pk=month.pk).update(value=-1)
    run("--indicator", "fast_quote", "--organisation", "acme")
    month.refresh_from_db()
    assert month.value == 30.0


def test_an_unknown_indicator_is_an_error(organisation):
    with pytest.raises(CommandError, match="No indicator 'nope'"):
        run("--indicator", "nope")


def test_a_code_in_two_organisations_needs_the_organisation(organisation):
    rival = create_organisation(slug="rival2", name="Rival")
    IndicatorFactory(organisation=organisation, code="nps")
    IndicatorFactory(organisation=rival, code="nps")
    with pytest.raises(CommandError, match="--organisation"):
        run("--indicator", "nps")
    assert "Recomputed" in run("--indicator", "nps", "--organisation", "rival2")


def test_an_unknown_organisation_is_an_error(db):
    with pytest.raises(CommandError, match="No organisation 'ghost'"):
        run("--all", "--organisation", "ghost")


def test_all_or_indicator_is_required(db):
    with pytest.raises(CommandError):
        run()
