"""Chain arrows cite the hypothesis that tests them: the citation survives a rewrite of the
node's links, `cite_hypothesis` refuses what does not fit, the chain answer and the arrow's own
route carry the evidence at a flat query count, and the figure colours each arrow by it."""

import pytest
from django.core.exceptions import ValidationError

from cpi import services as cpi_services
from cpi.models import Hypothesis
from outcomes import charts, selectors, services
from outcomes.models import ChainLink
from tests.factories import IndicatorFactory
from tests.outcomes.chain_data import node

pytestmark = pytest.mark.django_db


def hypothesis(organisation, cause, effect, status=None):
    made = cpi_services.create_hypothesis(
        organisation=organisation,
        data={"cause": cause, "effect": effect, "expected_sign": "positive", "max_lag": 2},
    )
    if status is not None:  # as if the evidence had decided it
        Hypothesis.objects.filter(pk=made.pk).update(status=status)
        made.refresh_from_db()
    return made


@pytest.fixture
def arrow(organisation):
    """Price on the page (Fast Quote, a CPI) -> new customers and retention (KPIs)."""
    fast_quote = IndicatorFactory(organisation=organisation, code="fast_quote", kind="cpi")
    new = IndicatorFactory(organisation=organisation, code="new_customers", kind="kpi")
    kept = IndicatorFactory(organisation=organisation, code="retention", kind="kpi")
    customers = node(organisation, "impact", "More new customers", indicators=[(new, 1)])
    retention = node(organisation, "impact", "Customers stay", indicators=[(kept, 1)])
    price = node(
        organisation,
        "outcome",
        "Price on the page",
        indicators=[(fast_quote, 1)],
        contributes_to=[customers, retention],
    )
    return {
        "fast_quote": fast_quote,
        "new_customers": new,
        "retention_kpi": kept,
        "customers": customers,
        "retention": retention,
        "price": price,
        "link": ChainLink.objects.get(source=price, target=customers),
        "hypothesis": hypothesis(organisation, fast_quote, new, "supported"),
    }


def test_a_link_that_stays_keeps_its_row_and_its_citation_when_contributes_to_is_rewritten(
    arrow,
):
    link = services.cite_hypothesis(link=arrow["link"], hypothesis=arrow["hypothesis"])
    services.update_node(
        node=arrow["price"], data={"contributes_to": [arrow["customers"]], "title": "Price now"}
    )
    kept = ChainLink.objects.get(source=arrow["price"], target=arrow["customers"])
    assert (kept.pk, kept.hypothesis_id) == (link.pk, arrow["hypothesis"].pk)
    assert not ChainLink.objects.filter(target=arrow["retention"]).exists()

    services.update_node(
        node=arrow["price"], data={"contributes_to": [arrow["retention"], arrow["customers"]]}
    )
    kept.refresh_from_db()
    assert kept.hypothesis_id == arrow["hypothesis"].pk


def test_an_arrow_whose_hypothesis_no_longer_fits_after_an_indicator_change_cites_none(
    arrow, organisation
):
    services.cite_hypothesis(link=arrow["link"], hypothesis=arrow["hypothesis"])
    services.update_node(node=arrow["price"], data={"indicators": [(arrow["fast_quote"], 2)]})
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id == arrow["hypothesis"].pk
    other = IndicatorFactory(organisation=organisation, code="web_visits")
    services.update_node(node=arrow["customers"], data={"indicators": [(other, 1)]})
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id is None


def test_citing_and_unciting_a_hypothesis_that_fits(arrow):
    link = services.cite_hypothesis(link=arrow["link"], hypothesis=arrow["hypothesis"])
    assert ChainLink.objects.get(pk=link.pk).hypothesis_id == arrow["hypothesis"].pk
    services.cite_hypothesis(link=link, hypothesis=None)
    assert ChainLink.objects.get(pk=link.pk).hypothesis_id is None


def test_deleting_the_hypothesis_leaves_the_arrow_only_drawn(arrow):
    services.cite_hypothesis(link=arrow["link"], hypothesis=arrow["hypothesis"])
    cpi_services.delete_hypothesis(hypothesis=arrow["hypothesis"])
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id is None


def refusal(link, hypothesis) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        services.cite_hypothesis(link=link, hypothesis=hypothesis)
    assert list(caught.value.message_dict) == ["hypothesis"]
    assert ChainLink.objects.get(pk=link.pk).hypothesis_id is None  # nothing changed
    return caught.value.message_dict["hypothesis"]


def test_another_organisations_hypothesis_is_refused(arrow, other_organisation):
    theirs = hypothesis(
        other_organisation,
        IndicatorFactory(organisation=other_organisation, code="fast_quote"),
        IndicatorFactory(organisation=other_organisation, code="new_customers"),
    )
    assert refusal(arrow["link"], theirs) == ["The hypothesis belongs to another organisation."]


def test_a_hypothesis_whose_effect_does_not_measure_the_target_is_refused_in_words(
    arrow, organisation
):
    wrong = hypothesis(organisation, arrow["fast_quote"], arrow["retention_kpi"])
    [message] = refusal(arrow["link"], wrong)
    for words in ("fast_quote", "retention", "Price on the page", "More new customers"):
        assert words in message
    assert "its effect retention does not measure “More new customers”" in message


def test_a_hypothesis_whose_cause_does_not_measure_the_source_is_refused_in_words(
    arrow, organisation
):
    elsewhere = IndicatorFactory(organisation=organisation, code="first_time_resolution")
    wrong = hypothesis(organisation, elsewhere, arrow["new_customers"])
    [message] = refusal(arrow["link"], wrong)
    assert "its cause first_time_resolution does not measure “Price on the page”" in message
    assert "new_customers" in message and "More new customers" in message


def test_a_hypothesis_the_wrong_way_round_fails_on_both_ends(arrow, organisation):
    backwards = hypothesis(organisation, arrow["new_customers"], arrow["fast_quote"])
    assert len(refusal(arrow["link"], backwards)) == 2


# -- the API ------------------------------------------------------------------------------------


def test_the_chain_answers_links_with_their_id_hypothesis_and_evidence(api, arrow):
    services.cite_hypothesis(link=arrow["link"], hypothesis=arrow["hypothesis"])
    other = ChainLink.objects.get(target=arrow["retention"])
    links = api.get("/api/v1/chain/").json()["links"]
    assert sorted(links, key=lambda link: link["id"]) == [
        {
            "id": arrow["link"].pk,
            "source": arrow["price"].pk,
            "target": arrow["customers"].pk,
            "hypothesis": arrow["hypothesis"].pk,
            "evidence": "supported",
        },
        {
            "id": other.pk,
            "source": arrow["price"].pk,
            "target": arrow["retention"].pk,
            "hypothesis": None,
            "evidence": None,
        },
    ]


def test_the_chain_costs_the_same_queries_whatever_the_number_of_cited_links(
    api, organisation, django_assert_max_num_queries
):
    def build(count):
        for n in range(count):
            cause = IndicatorFactory(organisation=organisation, code=f"cpi_{count}_{n}")
            effect = IndicatorFactory(organisation=organisation, code=f"kpi_{count}_{n}")
            top = node(organisation, "impact", f"Impact {n}", indicators=[(effect, 1)])
            low = node(
                organisation,
                "outcome",
                f"Outcome {n}",
                indicators=[(cause, 1)],
                contributes_to=[top],
            )
            status = ("supported", "refuted", "inconclusive", "proposed")[n % 4]
            services.cite_hypothesis(
                link=ChainLink.objects.get(source=low),
                hypothesis=hypothesis(organisation, cause, effect, status),
            )

    build(1)
    with django_assert_max_num_queries(10) as one:
        assert len(api.get("/api/v1/chain/").json()["links"]) == 1
    build(30)
    with django_assert_max_num_queries(len(one.captured_queries)):
        links = api.get("/api/v1/chain/").json()["links"]
    assert len(links) == 31 and all(link["hypothesis"] for link in links)
    assert {link["evidence"] for link in links} == {
        "supported",
        "refuted",
        "inconclusive",
        "proposed",
    }


def test_an_arrow_is_read_and_cites_a_hypothesis_through_its_route(api, arrow):
    url = f"/api/v1/chain/links/{arrow['link'].pk}/"
    assert api.get(url).json() == {
        "id": arrow["link"].pk,
        "source": arrow["price"].pk,
        "target": arrow["customers"].pk,
        "hypothesis": None,
        "evidence": None,
    }
    answer = api.patch(url, {"hypothesis": arrow["hypothesis"].pk}, format="json")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["hypothesis"], answer.json()["evidence"]) == (
        arrow["hypothesis"].pk,
        "supported",
    )
    answer = api.patch(url, {"hypothesis": None}, format="json")
    assert (answer.json()["hypothesis"], answer.json()["evidence"]) == (None, None)
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id is None


def errors_of(response) -> list[dict]:
    assert response.status_code == 400, response.content
    return response.json()["errors"]


def test_a_patch_that_does_not_fit_or_is_unknown_is_a_400_on_hypothesis(
    api, arrow, organisation, other_organisation
):
    url = f"/api/v1/chain/links/{arrow['link'].pk}/"
    wrong = hypothesis(organisation, arrow["fast_quote"], arrow["retention_kpi"])
    theirs = hypothesis(
        other_organisation,
        IndicatorFactory(organisation=other_organisation, code="a"),
        IndicatorFactory(organisation=other_organisation, code="b"),
    )
    for body in (
        {"hypothesis": wrong.pk},
        {"hypothesis": theirs.pk},
        {"hypothesis": 987654},
        {"hypothesis": "1"},
        {"hypothesis": 0},
        {"hypothesis": True},
    ):
        errors = errors_of(api.patch(url, body, format="json"))
        assert {e["field"] for e in errors} == {"hypothesis"}, body
    [error] = errors_of(api.patch(url, {"hypothesis": wrong.pk}, format="json"))
    assert "More new customers" in error["message"] and "retention" in error["message"]
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id is None


def test_another_organisations_arrow_is_not_found(other_api, api, arrow):
    url = f"/api/v1/chain/links/{arrow['link'].pk}/"
    assert other_api.get(url).status_code == 404
    assert other_api.patch(url, {"hypothesis": None}, format="json").status_code == 404
    assert api.get("/api/v1/chain/links/99999999/").status_code == 404
    assert api.delete(url).status_code == 405


# -- the figure ---------------------------------------------------------------------------------


def test_the_figure_colours_each_arrow_by_its_hypothesis_status_and_says_so_on_hover(
    organisation, django_assert_num_queries
):
    made = {}
    for status in ("supported", "refuted", "inconclusive", "proposed", None):
        name = status or "drawn"
        cause = IndicatorFactory(organisation=organisation, code=f"cpi_{name}", name=f"C {name}")
        effect = IndicatorFactory(organisation=organisation, code=f"kpi_{name}", name=f"K {name}")
        top = node(organisation, "impact", f"Impact {name}", indicators=[(effect, 1)])
        low = node(
            organisation,
            "outcome",
            f"Outcome {name}",
            indicators=[(cause, 1)],
            contributes_to=[top],
        )
        if status:
            made[status] = hypothesis(organisation, cause, effect, status)
            services.cite_hypothesis(
                link=ChainLink.objects.get(source=low), hypothesis=made[status]
            )
    chain = selectors.chain(organisation=organisation)
    with django_assert_num_queries(0):
        figure = charts.chain_figure(chain)

    lines = [t for t in figure["data"] if t["mode"] == "lines"]
    drawn = lines[0]  # the arrows that cite nothing: thin and neutral
    assert drawn["x"].count(None) == 1
    assert (drawn["line"]["color"], drawn["line"]["width"]) == (charts.EDGE_COLOUR, 1.2)
    colours = {t["line"]["color"]: t for t in lines[1:]}
    assert set(colours) == {"#2e7d32", "#c62828", "#b26a00", "#8a96a3"}
    assert charts.EVIDENCE_COLOURS == {
        "supported": "#2e7d32",
        "refuted": "#c62828",
        "inconclusive": "#b26a00",
        "proposed": "#8a96a3",
    }
    assert all(t["x"].count(None) == 1 and t["line"]["width"] > 1.2 for t in lines[1:])

    markers = {
        t["marker"]["color"]: t
        for t in figure["data"]
        if t["mode"] == "markers" and t["marker"].get("symbol") == "diamond"
    }
    green = markers["#2e7d32"]
    assert green["customdata"] == [f"/hypotheses/{made['supported'].pk}/"]
    hover = green["hovertext"][0]
    assert "Outcome supported → Impact supported" in hover
    assert "Hypothesis: C supported drives K supported" in hover
    assert "supported by the evidence" in hover
    assert "refuted by the evidence" in markers["#c62828"]["hovertext"][0]
    assert len(markers) == 4  # an arrow only drawn has no marker
