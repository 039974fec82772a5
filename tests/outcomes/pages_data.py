"""A small results chain with measured values, and a large one, for the page and browser tests."""

from datetime import date

from indicators.services import ingest_measurements, recompute_dirty
from outcomes import services
from tests.factories import IndicatorFactory


def _months(count: int) -> list[date]:
    """The first days of the last `count` months, this one last."""
    today = date.today()
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def measured(organisation, code, name, values, *, low=None, high=None, unit="s"):
    """An indicator, lower is better, band low..high, one value a month, the last one this
    month (so nothing is stale)."""
    indicator = IndicatorFactory(
        organisation=organisation,
        code=code,
        name=name,
        unit=unit,
        band_low=low,
        band_high=high,
    )
    ingest_measurements(
        organisation=organisation,
        items=[
            {"indicator": code, "observed_at": month.isoformat(), "value": float(v)}
            for month, v in zip(_months(len(values)), values, strict=True)
        ],
    )
    recompute_dirty()  # a test without transactions never runs the on-commit recompute
    return indicator


def small_chain(organisation) -> dict:
    """Instant online quote: launch (activity) -> quote engine live (output, unmeasured) ->
    customers get a price while still on the page (outcome, Fast Quote 45 s above its band
    10..30: off track) -> new customers (impact, with nothing broke 2 inside 0..5: on track).
    A second initiative trains agents; its output contributes to nothing measured."""
    fast_quote = measured(organisation, "fast_quote", "Fast Quote", [20, 25, 45], low=10, high=30)
    nothing_broke = measured(
        organisation, "nothing_broke", "Nothing Broke", [3, 2], low=0, high=5, unit="%"
    )
    quote = services.create_initiative(
        organisation=organisation, data={"title": "Instant online quote", "state": "running"}
    )
    ftr = services.create_initiative(
        organisation=organisation, data={"title": "First-contact resolution programme"}
    )

    def node(level, title, initiative=None, indicators=(), up=()):
        return services.create_node(
            organisation=organisation,
            data={
                "level": level,
                "title": title,
                "initiative": initiative,
                "indicators": [(i, 1.0) for i in indicators],
                "contributes_to": list(up),
            },
        )

    impact = node("impact", "New customers", indicators=[nothing_broke])
    outcome = node(
        "outcome",
        "Customers get a price while still on the page",
        indicators=[fast_quote],
        up=[impact],
    )
    output = node("output", "Quote engine live", quote, up=[outcome])
    activity = node("activity", "Launch instant online quote", quote, up=[output])
    trained = node("output", "Agents trained", ftr)
    training = node("activity", "Train agents in first-contact resolution", ftr, up=[trained])
    services.refresh_chain_status(organisation=organisation)
    return {
        "impact": impact,
        "outcome": outcome,
        "output": output,
        "activity": activity,
        "trained": trained,
        "training": training,
        "quote": quote,
        "ftr": ftr,
        "fast_quote": fast_quote,
        "nothing_broke": nothing_broke,
    }


def large_chain(organisation, *, activities, outputs, outcomes, impacts, fan=5, indicators=4):
    """A chain with every node measured by one of `indicators` indicators (values included) and
    each node linked up to `fan` nodes of the next level (`fan` links per node at most)."""
    from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator

    measures = [
        measured(organisation, f"big_{n}", f"Big {n}", [10 + n, 12 + n], low=0, high=30)
        for n in range(indicators)
    ]
    initiatives = Initiative.objects.bulk_create(
        Initiative(organisation=organisation, title=f"Initiative {n}") for n in range(4)
    )
    levels = []
    for level, count in (
        ("activity", activities),
        ("output", outputs),
        ("outcome", outcomes),
        ("impact", impacts),
    ):
        levels.append(
            ChainNode.objects.bulk_create(
                ChainNode(
                    organisation=organisation,
                    level=level,
                    title=f"{level} {n}",
                    initiative=initiatives[n % 4] if level in ("activity", "output") else None,
                )
                for n in range(count)
            )
        )
    nodes = [node for level in levels for node in level]
    NodeIndicator.objects.bulk_create(
        NodeIndicator(node=node, indicator=measures[n % indicators], weight=1.0)
        for n, node in enumerate(nodes)
    )
    links = []
    for lower, upper in zip(levels, levels[1:], strict=False):
        for n, node in enumerate(lower):
            for k in range(min(fan, len(upper))):
                links.append(ChainLink(source=node, target=upper[(n * 7 + k) % len(upper)]))
    ChainLink.objects.bulk_create(links, ignore_conflicts=True)
    services.refresh_chain_status(organisation=organisation)
    return nodes, ChainLink.objects.filter(source__organisation=organisation).count()
