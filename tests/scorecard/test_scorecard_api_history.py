"""`/api/v1/scorecards/{id}/history/`: the stored scores of every part, period by period."""

import pytest

from tests.scorecard.scorecard_data import MONTHS, VALUES, months, progress_of, small_scorecard

pytestmark = pytest.mark.django_db


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


def total(index: int) -> float:
    """The scorecard's score in month `index` of VALUES, worked by hand."""

    def p(code):
        return progress_of(code, VALUES[code][index])

    customer = (2 * p("fast_quote") + p("nps")) / 3
    return (p("premium_revenue") + customer + p("engine_up")) / 3


def test_the_history_lists_each_months_scores_oldest_first(api, organisation):
    scorecard, _found = small_scorecard(organisation, api)
    starts = [start.isoformat() for start in months(MONTHS)]

    answer = api.get(f"/api/v1/scorecards/{scorecard.pk}/history/", {"count": 6}).json()

    assert set(answer) == {
        "id",
        "period",
        "periods",
        "scores",
        "perspectives",
        "objectives",
        "measures",
    }
    assert (answer["id"], answer["period"]) == (scorecard.pk, "month")
    assert len(answer["periods"]) == 6 and answer["periods"][-1] == starts[-2]
    # Up to the latest complete month: the three complete months with values.
    assert [s["period_start"] for s in answer["scores"]] == starts[:-1]
    assert [s["score"] for s in answer["scores"]] == pytest.approx(
        [total(i) for i in range(MONTHS - 1)]
    )
    assert [p["kind"] for p in answer["perspectives"]] == [
        "financial",
        "customer",
        "internal",
        "learning",
    ]
    financial = answer["perspectives"][0]["scores"]
    assert [s["score"] for s in financial] == pytest.approx(
        [progress_of("premium_revenue", v) for v in VALUES["premium_revenue"][:-1]]
    )
    assert financial[0]["status"] == "off_track"  # 0.1
    assert answer["perspectives"][3]["scores"] == []
    nps = next(m for m in answer["measures"] if m["indicator"] == "nps")
    assert [s["score"] for s in nps["scores"]] == pytest.approx(
        [progress_of("nps", v) for v in VALUES["nps"][:-1]]
    )
    assert [o["title"] for o in answer["objectives"]] == [
        "Premium grows",
        "Price while still on the page",
        "Quote engine always up",
        "Agents know the offer",
    ]


def test_end_and_count_choose_the_window(api, organisation):
    scorecard, _found = small_scorecard(organisation, api)
    starts = [start.isoformat() for start in months(MONTHS)]

    answer = api.get(
        f"/api/v1/scorecards/{scorecard.pk}/history/", {"end": starts[-1], "count": 2}
    ).json()

    assert answer["periods"] == starts[-2:]
    assert [s["period_start"] for s in answer["scores"]] == starts[-2:]
    assert answer["scores"][-1]["score"] == pytest.approx(total(MONTHS - 1))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"count": "0"}, "count"),
        ({"count": "121"}, "count"),
        ({"count": "x"}, "count"),
        ({"end": "2026-02-30"}, "end"),
    ],
)
def test_a_bad_window_is_refused(api, organisation, query, field):
    scorecard, _found = small_scorecard(organisation, api, push_data=False)

    assert fields_of(api.get(f"/api/v1/scorecards/{scorecard.pk}/history/", query)) == [field]
