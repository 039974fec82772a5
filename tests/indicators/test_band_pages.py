"""The indicator form edits band versions like targets, with the pipe's owner and settings; the
indicator page shows the band in force, its owner and the earlier versions."""

import re
from datetime import date

import pytest
from django.urls import reverse

from accounts.services import create_user
from indicators.models import FROM_THE_START, Band, DirtyMark, Indicator
from indicators.services import create_indicator
from tests.indicators.test_views import indicator_post

pytestmark = pytest.mark.django_db


def band_rows(*rows: dict, initial: int = 0) -> dict:
    data = {"bands-TOTAL_FORMS": str(len(rows)), "bands-INITIAL_FORMS": str(initial)}
    for n, row in enumerate(rows):
        data |= {f"bands-{n}-{k}": v for k, v in row.items()}
    return data


FIRST = {
    "valid_from": "",
    "low": "20",
    "high": "50",
    "action_below": "learn",
    "action_above": "fix",
}
TIGHTER = {**FIRST, "valid_from": "2026-03-01", "high": "45", "action_above": "fix sooner"}


@pytest.fixture
def signed_in(client, analyst):
    client.force_login(analyst)
    return client


def test_an_analyst_creates_band_versions_with_an_owner_and_the_pipe_settings(
    signed_in, organisation, analyst
):
    post = indicator_post(
        owner_user=str(analyst.pk),
        spc_baseline_from="2026-01-01",
        spc_baseline_points="12",
        spc_two_of_three="on",
        stale_grace_days="3",
        **band_rows(FIRST, {**TIGHTER, "owner": str(analyst.pk)}),
    )
    response = signed_in.post(reverse("indicator-create"), post)
    assert response.status_code == 302, response.content.decode()
    indicator = Indicator.objects.get(organisation=organisation, code="fast_quote")
    versions = indicator.bands.values_list("valid_from", "low", "high", "action_above", "owner")
    assert list(versions) == [
        (FROM_THE_START, 20, 50, "fix", None),
        (date(2026, 3, 1), 20, 45, "fix sooner", analyst.pk),
    ]
    assert (indicator.owner_user, indicator.spc_baseline_points, indicator.stale_grace_days) == (
        analyst,
        12,
        3,
    )
    assert indicator.spc_two_of_three and indicator.spc_baseline_from == date(2026, 1, 1)


def row_errors(body: str) -> list[str]:
    """The error texts inside each band version's row, in order."""
    rows = re.findall(r'<li class="band-version[^"]*">(.*?)</li>', body, re.S)
    return [" ".join(re.findall(r'class="field-error"[^>]*>(.*?)</p>', r, re.S)) for r in rows]


def test_a_version_without_the_action_of_its_worse_side_is_shown_on_its_row(
    signed_in, organisation
):
    # lower is better: above the band is worse
    post = indicator_post(**band_rows(FIRST, {**TIGHTER, "action_above": ""}))
    response = signed_in.post(reverse("indicator-create"), post)
    assert response.status_code == 400
    errors = row_errors(response.content.decode())
    assert errors[0] == ""
    assert "Values above this band are worse: give the corrective action" in errors[1]
    assert "bands[1]" not in errors[1]  # the row says where; the API's message names the index
    assert not Indicator.objects.exists() and not Band.objects.exists()


def test_low_above_high_and_two_versions_of_one_day_are_form_errors(signed_in):
    post = indicator_post(**band_rows({**FIRST, "low": "60"}))
    body = signed_in.post(reverse("indicator-create"), post).content.decode()
    assert "The low limit is above the high limit." in row_errors(body)[0]
    post = indicator_post(**band_rows(TIGHTER, TIGHTER))
    body = signed_in.post(reverse("indicator-create"), post).content.decode()
    assert "Two band versions from the same day (2026-03-01)." in row_errors(body)[1]
    assert not Indicator.objects.exists()


def test_a_baseline_window_of_one_point_is_a_form_error(signed_in):
    response = signed_in.post(reverse("indicator-create"), indicator_post(spc_baseline_points="1"))
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(
        r'id="id_spc_baseline_points".*?A baseline window needs at least 2 and at most 1000',
        body,
        re.S,
    )
    assert not Indicator.objects.exists()


def make_banded(organisation, analyst) -> Indicator:
    return create_indicator(
        organisation=organisation,
        data={
            "code": "fast_quote",
            "name": "Fast Quote",
            "kind": "cpi",
            "direction": "lower_is_better",
            "aggregation": "mean",
            "period": "month",
            "owner_user": analyst,
            "bands": [
                {"from": None, "low": 20.0, "high": 50.0, "action_below": "learn",
                 "action_above": "fix"},
                {"from": date(2026, 3, 1), "low": 20.0, "high": 45.0, "action_below": "learn",
                 "action_above": "fix sooner"},
            ],
        },
    )  # fmt: skip


def test_saving_the_edit_form_unchanged_keeps_the_versions_and_recomputes_nothing(
    signed_in, organisation, analyst
):
    indicator = make_banded(organisation, analyst)
    page = signed_in.get(reverse("indicator-edit", args=["fast_quote"])).content.decode()
    assert 'name="bands-1-valid_from" value="2026-03-01"' in page
    assert re.search(r'name="bands-0-valid_from"(?![^>]*value=)', page)  # from the start
    before = list(indicator.bands.values_list("pk", flat=True))
    post = indicator_post(
        code="fast_quote",
        owner_user=str(analyst.pk),
        **band_rows(FIRST, TIGHTER, initial=2),
    )
    response = signed_in.post(reverse("indicator-edit", args=["fast_quote"]), post)
    assert response.status_code == 302, response.content.decode()
    assert list(indicator.bands.values_list("pk", flat=True)) == before
    assert not DirtyMark.objects.exists()


def test_the_indicator_page_shows_the_band_in_force_its_owner_and_earlier_versions(
    client, organisation, analyst
):
    person = create_user(organisation=organisation, username="bo", role="viewer")
    person.first_name, person.last_name = "Bo", "Berg"
    person.save()
    make_banded(organisation, person)
    client.force_login(analyst)
    page = client.get(reverse("indicator-detail", args=["fast_quote"])).content.decode()
    aside = page[page.index('class="card definition"') :]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", aside))
    assert "Tolerance band 20 … 45" in text and "(from 1 Mar 2026)" in text
    assert "from the start: 20 … 50" in text
    assert "Told about deviations Bo Berg" in text
    assert "fix sooner" in text
