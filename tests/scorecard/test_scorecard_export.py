"""The XLSX export opens, and its numbers and colours match the hand-worked test scorecard."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from scorecard import charts, selectors
from tests.scorecard.scorecard_data import VALUES, months, progress_of, small_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(organisation, api):
    return small_scorecard(organisation, api)[0]


@pytest.fixture
def book(client, viewer, card):
    client.force_login(viewer)
    response = client.get(f"/scorecards/{card.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    latest = months(4)[-2]
    assert response["Content-Disposition"] == (
        f'attachment; filename="company-scorecard-{latest.isoformat()}.xlsx"'
    )
    return load_workbook(BytesIO(response.content))


def rows_of(sheet, first: int = 1) -> list[list]:
    return [list(r) for r in sheet.iter_rows(min_row=first, values_only=True)]


def test_the_workbook_has_the_scorecard_history_advice_and_maturity_sheets(book):
    assert book.sheetnames == ["Scorecard", "History", "Advice", "Maturity"]


def test_the_scorecard_sheet_holds_each_part_with_its_hand_worked_score(book):
    sheet = book["Scorecard"]
    assert sheet["A1"].value == "Company scorecard"
    rows = rows_of(sheet, 5)
    p = {code: progress_of(code, values[-2]) for code, values in VALUES.items()}
    customer = (2 * p["fast_quote"] + p["nps"]) / 3
    by_part = {(r[0], r[1], r[2], r[3]): r for r in rows}
    assert by_part[("perspective", "Customer", None, None)][9] == pytest.approx(customer)
    measure = by_part[("measure", "Customer", "Price while still on the page", "NPS (nps)")]
    assert measure[9] == pytest.approx(p["nps"])
    assert measure[5] == "what customers say"
    assert measure[8] == 1.0
    total = by_part[("scorecard", None, None, None)]
    assert total[9] == pytest.approx((p["premium_revenue"] + customer + p["engine_up"]) / 3)
    assert by_part[("objective", "Customer", "Price while still on the page", None)][4] == (
        "I get a price while I am still on the page"
    )


def test_scores_are_percentages_coloured_by_status(book, card):
    sheet = book["Scorecard"]
    detail = selectors.scorecard_detail(scorecard=card)
    for row in sheet.iter_rows(min_row=5):
        score, status = row[9], row[10]
        if row[0].value == "scorecard":
            assert status.value == charts.status_label(detail.total.status)
            expected = charts.STATUS_FILLS[detail.total.status][1:].upper()
            assert score.fill.fgColor.rgb.upper().endswith(expected)
            assert score.number_format == "0%"
        if row[0].value == "perspective" and row[1].value == "Learning and growth":
            assert score.value is None and status.value == "no data"


def test_the_history_sheet_has_one_column_per_period_with_stored_scores(book, card):
    sheet = book["History"]
    header = rows_of(sheet)[0]
    assert len(header) == 2 + 12
    detail = selectors.scorecard_detail(scorecard=card)
    history = selectors.score_history(scorecard=card, end=detail.period_start)
    first_row = rows_of(sheet, 2)[0]
    assert first_row[:2] == ["scorecard", "Company scorecard"]
    stored = [score for _start, score in history[("scorecard", card.pk)]]
    assert [v for v in first_row[2:] if v is not None] == pytest.approx(stored)
    assert len(stored) == 3  # three complete months of values


def test_the_advice_sheet_lists_every_warning(book, card):
    detail = selectors.scorecard_detail(scorecard=card)
    rows = rows_of(book["Advice"], 2)
    assert [r[0] for r in rows] == [w.code for w in detail.warnings]
    assert "Agents know the offer" in {r[1] for r in rows}


def test_the_maturity_sheet_has_the_level_the_layers_and_the_counts(book):
    sheet = book["Maturity"]
    assert sheet["B2"].value == 3
    layers = {r[0]: r[1] for r in rows_of(sheet, 5)[:4]}
    assert layers == {"impact": "yes", "execution": "yes", "prerequisite": "yes", "choice": "no"}
    values = {r[0]: r[1] for r in rows_of(sheet) if r[0]}
    assert values["CPI indicators"] == 1 and values["KPI indicators"] == 3
    assert values["Next layer to measure: choice"] is None


def test_a_past_period_exports_that_periods_scores(client, viewer, card):
    client.force_login(viewer)
    first = months(4)[0]
    response = client.get(f"/scorecards/{card.pk}/export.xlsx?period={first.isoformat()}")
    sheet = load_workbook(BytesIO(response.content))["Scorecard"]
    rows = {(r[0], r[1]): r for r in rows_of(sheet, 5) if r[0] == "perspective"}
    premium = progress_of("premium_revenue", VALUES["premium_revenue"][0])
    assert rows[("perspective", "Financial")][9] == pytest.approx(premium)


def test_an_empty_scorecard_exports_too(client, viewer, organisation):
    from scorecard import services

    scorecard = services.create_scorecard(organisation=organisation, data={"name": "Blank"})
    client.force_login(viewer)
    response = client.get(f"/scorecards/{scorecard.pk}/export.xlsx")
    book = load_workbook(BytesIO(response.content))
    assert book["Maturity"]["B2"].value == 0
