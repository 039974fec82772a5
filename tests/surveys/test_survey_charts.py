"""The survey figures are drawn from the numbers they show: bar lengths are the answers' shares,
whiskers the intervals, colours the verdict of each difference."""

import pytest

from surveys import charts, compute


def nps_score(counts: dict[int, int]):
    return compute.score("nps", (0, 10), counts, 30)


def trace(figure, name):
    return next(t for t in figure["data"] if t.get("name") == name)


def test_nps_bars_are_the_shares_of_promoters_passives_and_detractors():
    # 50 answers: 20 promoters (9-10), 10 passives (7-8), 20 detractors (0-6), worked by hand.
    overall = nps_score({10: 12, 9: 8, 8: 6, 7: 4, 5: 10, 2: 10})
    web = nps_score({10: 30, 6: 10})
    figure = charts.nps_figure([("Everyone", overall), ("web", web)])
    assert trace(figure, "Promoters (9-10)")["x"] == pytest.approx([40.0, 75.0])
    assert trace(figure, "Passives (7-8)")["x"] == pytest.approx([20.0, 0.0])
    assert trace(figure, "Detractors (0-6)")["x"] == pytest.approx([40.0, 25.0])
    nps = trace(figure, "NPS ± margin of error")
    assert nps["x"] == pytest.approx([0.0, 50.0])
    # MoE95 = 1.96 * 100 * sqrt(((p + d) - (p - d)^2) / n): overall p = d = 0.4, n = 50.
    moe = 1.96 * 100 * ((0.8 - 0.0) / 50) ** 0.5
    assert nps["error_x"]["array"][0] == pytest.approx(moe)
    assert nps["error_x"]["arrayminus"][0] == pytest.approx(moe)
    assert figure["layout"]["barmode"] == "stack"


def test_a_row_with_too_few_answers_is_faint_and_labelled():
    few = nps_score({10: 3, 3: 2})
    figure = charts.nps_figure([("partner", few)])
    bars = trace(figure, "Promoters (9-10)")
    assert bars["marker"]["opacity"] == [charts.FAINT]
    assert "(n = 5)" in bars["y"][0] and "too few" in bars["y"][0]


def test_diverging_bars_put_disagreement_left_agreement_right_and_split_the_middle():
    # 1..5 scale, 40 answers: 4 × 1, 6 × 2, 10 × 3, 12 × 4, 8 × 5.
    score = compute.score("likert", (1, 5), {1: 4, 2: 6, 3: 10, 4: 12, 5: 8}, 30)
    figure = charts.diverging_figure([("Everyone", score)], (1, 5))
    by_point: dict[str, float] = {}
    for bar in figure["data"]:
        by_point[bar["name"]] = by_point.get(bar["name"], 0.0) + abs(bar["x"][0])
        if bar["name"] in ("1", "2"):
            assert bar["x"][0] < 0
        if bar["name"] in ("4", "5"):
            assert bar["x"][0] > 0
    assert by_point == pytest.approx({"1": 10.0, "2": 15.0, "3": 25.0, "4": 30.0, "5": 20.0})
    middle = [bar["x"][0] for bar in figure["data"] if bar["name"] == "3"]
    assert middle == pytest.approx([-12.5, 12.5])  # half of 25 % to each side of zero
    # Stacked outwards from zero: the middle first, then 2 / 4, then 1 / 5.
    assert [bar["name"] for bar in figure["data"]] == ["3", "3", "2", "4", "1", "5"]
    assert figure["layout"]["barmode"] == "relative"


def test_an_even_scale_has_no_middle_bar():
    score = compute.score("likert", (1, 4), {1: 1, 2: 1, 3: 1, 4: 1}, 1)
    figure = charts.diverging_figure([("Everyone", score)], (1, 4))
    assert sorted(bar["name"] for bar in figure["data"]) == ["1", "2", "3", "4"]
    assert [bar["x"][0] for bar in figure["data"]] == pytest.approx([-25.0, 25.0, -25.0, 25.0])


def test_comparison_marks_the_reference_and_colours_real_differences():
    big = compute.score("csat", (1, 5), {5: 80, 1: 20}, 30)
    low = compute.score("csat", (1, 5), {5: 40, 1: 60}, 30)
    same = compute.score("csat", (1, 5), {5: 39, 1: 11}, 30)
    differences = {
        "low": compute.difference("csat", (1, 5), {5: 40, 1: 60}, {5: 80, 1: 20}),
        "same": compute.difference("csat", (1, 5), {5: 39, 1: 11}, {5: 80, 1: 20}),
    }
    figure = charts.comparison_figure(
        [("big", big), ("low", low), ("same", same)],
        reference="big",
        differences=differences,
        unit="%",
    )
    points = figure["data"][0]
    assert points["x"] == pytest.approx([80.0, 40.0, 78.0])
    assert points["marker"]["color"] == [charts.REFERENCE, charts.WORSE, charts.QUIET]
    assert points["marker"]["symbol"][0] == "diamond"
    assert points["error_x"]["array"][0] == pytest.approx(big.ci_high - big.score)
    assert points["error_x"]["arrayminus"][0] == pytest.approx(big.score - big.ci_low)
    assert figure["layout"]["shapes"][0]["x0"] == pytest.approx(80.0)


def test_difference_class_follows_the_interval():
    clear = compute.difference("nps", (0, 10), {10: 90, 0: 10}, {10: 10, 0: 90})
    noise = compute.difference("nps", (0, 10), {10: 6, 0: 4}, {10: 5, 0: 5})
    assert charts.difference_class(clear) == "better"
    assert charts.difference_class(noise) == "expected"
    assert charts.difference_class(None) == "expected"
