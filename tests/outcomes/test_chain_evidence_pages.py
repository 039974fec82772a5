"""The evidence of the arrows on the pages: the chain page's legend and list, the node page's
evidence pill per arrow up and the analyst's form that cites or uncites a fitting hypothesis."""

import pytest

from cpi import services as cpi_services
from cpi.models import Hypothesis
from outcomes import services
from outcomes.models import ChainLink
from tests.factories import IndicatorFactory
from tests.outcomes.chain_data import node

pytestmark = pytest.mark.django_db


def hypothesis(organisation, cause, effect, status):
    made = cpi_services.create_hypothesis(
        organisation=organisation,
        data={"cause": cause, "effect": effect, "expected_sign": "positive", "max_lag": 2},
    )
    Hypothesis.objects.filter(pk=made.pk).update(status=status)
    made.refresh_from_db()
    return made


@pytest.fixture
def arrow(organisation):
    fast_quote = IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote")
    new = IndicatorFactory(organisation=organisation, code="new_customers", name="New customers")
    other = IndicatorFactory(organisation=organisation, code="retention", name="Retention")
    customers = node(organisation, "impact", "More new customers", indicators=[(new, 1)])
    price = node(
        organisation,
        "outcome",
        "Price on the page",
        indicators=[(fast_quote, 1)],
        contributes_to=[customers],
    )
    return {
        "price": price,
        "customers": customers,
        "link": ChainLink.objects.get(source=price),
        "fits": hypothesis(organisation, fast_quote, new, "supported"),
        "unfit": hypothesis(organisation, fast_quote, other, "refuted"),
    }


@pytest.fixture
def as_analyst(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


def cite_url(arrow) -> str:
    return f"/chain/links/{arrow['link'].pk}/cite/"


def test_the_node_page_offers_an_analyst_only_the_hypotheses_that_fit_the_arrow(as_analyst, arrow):
    html = as_analyst.get(f"/chain/nodes/{arrow['price'].pk}/").content.decode()
    assert f'action="{cite_url(arrow)}"' in html
    assert f'<option value="{arrow["fits"].pk}"' in html
    assert f'<option value="{arrow["unfit"].pk}"' not in html
    assert "only drawn: no hypothesis tests it" in html


def test_the_form_cites_then_uncites_and_the_page_shows_the_evidence_pill(as_analyst, arrow):
    response = as_analyst.post(cite_url(arrow), {"hypothesis": arrow["fits"].pk})
    assert response.status_code == 302
    assert response["Location"] == f"/chain/nodes/{arrow['price'].pk}/"
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id == arrow["fits"].pk
    html = as_analyst.get(response["Location"]).content.decode()
    assert "supported by the evidence" in html
    assert f'href="/hypotheses/{arrow["fits"].pk}/"' in html
    assert "Fast Quote drives New customers" in html
    assert f'<option value="{arrow["fits"].pk}" selected>' in html

    response = as_analyst.post(cite_url(arrow), {"hypothesis": ""})
    assert response.status_code == 302
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id is None


def test_a_hypothesis_that_does_not_fit_is_refused_at_the_arrow_with_a_400(as_analyst, arrow):
    response = as_analyst.post(cite_url(arrow), {"hypothesis": arrow["unfit"].pk})
    assert response.status_code == 400
    assert "Choose one of the hypotheses that fit the arrow." in response.content.decode()
    for junk in ("abc", "999999", "1.0"):
        assert as_analyst.post(cite_url(arrow), {"hypothesis": junk}).status_code == 400
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id is None


def test_a_viewer_sees_the_evidence_but_cannot_cite(as_viewer, arrow):
    services.cite_hypothesis(link=arrow["link"], hypothesis=arrow["fits"])
    html = as_viewer.get(f"/chain/nodes/{arrow['price'].pk}/").content.decode()
    assert "supported by the evidence" in html and "cite-form" not in html
    assert as_viewer.post(cite_url(arrow), {"hypothesis": ""}).status_code == 403
    assert ChainLink.objects.get(pk=arrow["link"].pk).hypothesis_id == arrow["fits"].pk


def test_another_organisations_arrow_is_not_found(as_analyst, other_organisation):
    top = node(other_organisation, "impact", "Theirs")
    low = node(other_organisation, "outcome", "Low", contributes_to=[top])
    link = ChainLink.objects.get(source=low)
    assert as_analyst.post(f"/chain/links/{link.pk}/cite/", {"hypothesis": ""}).status_code == 404


def test_the_chain_page_has_an_arrow_legend_and_lists_the_evidence_by_each_target(as_viewer, arrow):
    services.cite_hypothesis(link=arrow["link"], hypothesis=arrow["fits"])
    html = as_viewer.get("/chain/").content.decode()
    assert "Arrows:" in html
    for words in (
        "supported by the evidence",
        "refuted by the evidence",
        "tested, inconclusive",
        "proposed, not tested yet",
        "only drawn: no hypothesis tests it",
    ):
        assert words in html
    assert "1 of 1 arrow cites a hypothesis." in html
    assert html.count("pill evidence ev-supported small") == 1  # in the written list
