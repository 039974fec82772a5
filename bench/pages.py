"""Pages bench: server time of the pages a manager opens, against a minimal authenticated page.

    .venv/bin/python bench/pages.py

BENCH_PAGES_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oc_bench_pages) is created,
migrated and emptied here. The demo organisation is loaded (`indicators.demo.load_demo`), its
results chain is replaced by a generated one of 200 nodes and 1,000 links (`build_chain`), pages
and the chain endpoint are timed, then 1,000,000 more measurements (BENCH_PAGES_ROWS) are copied into two demo indicators, the
period values are rebuilt, and the pages are timed again. Requests go through Django's test client
in this process, so the times are server time (middleware, views, queries, templates) without
HTTP or a browser.
"""

from __future__ import annotations

import io
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec  # noqa: E402

from bench import common  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/oc_bench_pages"
ROWS = int(os.environ.get("BENCH_PAGES_ROWS", "1000000"))
RUNS = int(os.environ.get("BENCH_PAGES_RUNS", "60"))
WARM_UP = 5
DEMO_TODAY = date(2026, 11, 30)
# Where the extra rows go: the demo's busiest indicator (weekly, by channel) and a monthly one.
EXTRA = (("fast_quote", 0.8), ("quote_turnaround", 0.2))
DETAIL_CODE = "fast_quote"
DASHBOARD_GOAL_MS = 100
DASHBOARD_MAX_QUERIES = 12
# The results chain of the bench: nodes per level, links, initiatives (issue 11's "Speed").
CHAIN_LEVELS = (("activity", 80), ("output", 60), ("outcome", 40), ("impact", 20))
CHAIN_LINKS = 1000
CHAIN_INITIATIVES = 10
CHAIN_GOAL_RATIO = 3.0
CHAIN_MAX_QUERIES = 10
CHAIN_ENDPOINT = "chain endpoint (GET /api/v1/chain/)"
CHAIN_PAGE = "chain page"
# The chain page's folded outputs, read when the manager opens them (htmx partial).
CHAIN_GROUP = "chain page's outputs (loaded when opened)"
HTMX = {"HX-Request": "true"}
# The scorecard of the bench (issue 13's "Speed"): perspectives x objectives x measures, and a
# small one of the same shape to show that queries do not grow with the measures.
SCORECARD_SHAPE = (4, 10, 3)
SMALL_SCORECARD_SHAPE = (4, 1, 1)
SCORECARD_LINKS = 60
SCORECARD_GOAL_RATIO = 3.0
SCORECARD_ENDPOINT = "scorecard endpoint (GET /api/v1/scorecards/{id}/)"
SCORECARD_PAGE = "scorecard page"
SMALL_SCORECARD_ENDPOINT = "small scorecard endpoint"
SMALL_SCORECARD_PAGE = "small scorecard page"
COPY_COLUMNS = (
    "indicator_id, natural_key, key, segment, observed_at, local_date, value, numerator,"
    " denominator, comment, created_at, updated_at"
)


def pages() -> list[tuple[str, str]]:
    from django.urls import reverse

    return [
        ("baseline (minimal page)", reverse("bench-baseline")),
        ("dashboard", reverse("home")),
        ("dashboard's scorecard panel (loaded after it)", reverse("home-scorecards")),
        ("indicator list", reverse("indicator-list")),
        ("indicator detail", reverse("indicator-detail", args=[DETAIL_CODE])),
        ("deviations", reverse("deviations")),
        (CHAIN_ENDPOINT, reverse("chain-api")),
        (CHAIN_PAGE, reverse("chain")),
        (CHAIN_GROUP, reverse("chain-group", args=["output"])),
        *scorecard_pages(),
    ]


def scorecard_pages() -> list[tuple[str, str]]:
    from django.urls import reverse

    from scorecard.models import Scorecard

    found = []
    for name, endpoint, page in (
        ("Bench scorecard", SCORECARD_ENDPOINT, SCORECARD_PAGE),
        ("Small bench scorecard", SMALL_SCORECARD_ENDPOINT, SMALL_SCORECARD_PAGE),
    ):
        scorecard = Scorecard.objects.filter(name=name).first()
        if scorecard is not None:
            found.append((endpoint, f"/api/v1/scorecards/{scorecard.pk}/"))
            found.append((page, reverse("scorecard-detail", args=[scorecard.pk])))
    return found


def build_scorecard(organisation, name: str, shape: tuple[int, int, int], links: int) -> tuple:
    """A scorecard of `shape` (perspectives, objectives per perspective, measures per
    objective) on the demo's indicators, with `links` cause-effect links upwards (no cycle) and
    one initiative on every fifth objective; written in bulk, then one score refresh. Returns
    (objectives, measures, scores, seconds)."""
    from indicators.models import Indicator
    from outcomes.models import Initiative
    from scorecard.models import Measure, Objective, ObjectiveLink, Perspective, Scorecard
    from scorecard.services import refresh_scores

    started = time.perf_counter()
    rng = random.Random(13)
    kinds, per_perspective, per_objective = (
        ("financial", "customer", "internal", "learning"),
        *shape[1:],
    )
    indicators = list(Indicator.objects.filter(organisation=organisation).order_by("code"))
    initiatives = list(Initiative.objects.filter(organisation=organisation))
    scorecard = Scorecard.objects.create(organisation=organisation, name=name)
    perspectives = Perspective.objects.bulk_create(
        Perspective(scorecard=scorecard, kind=kind, position=n)
        for n, kind in enumerate(kinds[: shape[0]])
    )
    objectives = Objective.objects.bulk_create(
        Objective(perspective=p, title=f"{p.kind.title()} objective {n + 1}", position=n)
        for p in perspectives
        for n in range(per_perspective)
    )
    Measure.objects.bulk_create(
        Measure(objective=o, indicator=indicator, weight=rng.choice((1.0, 2.0)), position=n)
        for o in objectives
        for n, indicator in enumerate(rng.sample(indicators, per_objective))
    )
    for n, objective in enumerate(objectives):
        if n % 5 == 0 and initiatives:
            objective.initiatives.add(initiatives[n % len(initiatives)])
    row = {p.pk: r for r, p in enumerate(perspectives)}
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(links, len(objectives) * (len(objectives) - 1) // 4):
        source, target = rng.sample(objectives, 2)
        if row[source.perspective_id] > row[target.perspective_id]:
            pairs.add((source.pk, target.pk))
    ObjectiveLink.objects.bulk_create(
        ObjectiveLink(source_id=s, target_id=t) for s, t in sorted(pairs)
    )
    scores = refresh_scores(scorecard=scorecard)
    measures = len(objectives) * per_objective
    return len(objectives), measures, scores, time.perf_counter() - started


def build_chain(organisation) -> tuple[int, int, float]:
    """Replace the organisation's results chain with CHAIN_LEVELS nodes in CHAIN_INITIATIVES
    initiatives and CHAIN_LINKS distinct upward links; four nodes in five are measured by one to
    three of the demo's indicators. Written in bulk, then one status refresh; returns (nodes,
    links, seconds)."""
    from indicators.models import Indicator
    from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator
    from outcomes.services import refresh_chain_status

    started = time.perf_counter()
    rng = random.Random(11)
    ChainNode.objects.filter(organisation=organisation).delete()
    Initiative.objects.filter(organisation=organisation).delete()
    initiatives = Initiative.objects.bulk_create(
        Initiative(organisation=organisation, title=f"Initiative {n + 1}", state="running")
        for n in range(CHAIN_INITIATIVES)
    )
    indicators = list(Indicator.objects.filter(organisation=organisation).order_by("code"))
    nodes = ChainNode.objects.bulk_create(
        ChainNode(
            organisation=organisation,
            level=level,
            title=f"{level.title()} {n + 1}",
            initiative=initiatives[n % CHAIN_INITIATIVES] if rank < 2 else None,
        )
        for rank, (level, count) in enumerate(CHAIN_LEVELS)
        for n in range(count)
    )
    NodeIndicator.objects.bulk_create(
        NodeIndicator(node=node, indicator=indicator, weight=rng.choice((1.0, 2.0)))
        for n, node in enumerate(nodes)
        if n % 5
        for indicator in rng.sample(indicators, rng.randint(1, 3))
    )
    rank = {level: r for r, (level, _count) in enumerate(CHAIN_LEVELS)}
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < CHAIN_LINKS:
        source, target = rng.sample(nodes, 2)
        if rank[source.level] < rank[target.level]:
            pairs.add((source.pk, target.pk))
    ChainLink.objects.bulk_create(ChainLink(source_id=s, target_id=t) for s, t in sorted(pairs))
    refresh_chain_status(organisation=organisation)
    return len(nodes), len(pairs), time.perf_counter() - started


def fetch(client, name: str, url: str):
    """GET `url`; a partial the page loads with htmx is asked for as htmx asks."""
    return client.get(url, headers=HTMX if name == CHAIN_GROUP else None)


def missing_pages(client, urls) -> list[str]:
    """Pages that do not answer 200 here (a page a branch has not built yet), so the
    bench times what exists and says what it left out."""
    return [name for name, url in urls if fetch(client, name, url).status_code != 200]


def copy_extra_measurements(organisation, start: date, end: date) -> float:
    """COPY ROWS measurements into the EXTRA indicators, spread over the demo's days, around each
    indicator's own mean (so the pictures stay plausible); returns seconds."""
    from django.db import connection
    from django.db.models import Avg

    from indicators.compute.periods import local_date
    from indicators.demo import CHANNELS
    from indicators.models import Indicator
    from indicators.services.items import natural_key_of

    rng = random.Random(11)
    now = datetime.now(UTC).isoformat()
    first = datetime.combine(start, clock(), tzinfo=organisation.tz)
    span = (datetime.combine(end, clock(23, 59), tzinfo=organisation.tz) - first).total_seconds()
    out = io.StringIO()
    for code, share in EXTRA:
        indicator = Indicator.objects.get(organisation=organisation, code=code)
        mean = indicator.measurements.aggregate(mean=Avg("value"))["mean"]
        count = int(ROWS * share)
        for n in range(count):
            observed_at = (first + timedelta(seconds=span * n / count)).astimezone(UTC)
            segment = {"channel": CHANNELS[n % len(CHANNELS)]}
            out.write(
                f"{indicator.pk}\t{natural_key_of(None, segment, observed_at)}\t\\N\t"
                f"{msgspec.json.encode(segment).decode()}\t{observed_at.isoformat()}\t"
                f"{local_date(observed_at, organisation.tz)}\t{mean * rng.uniform(0.7, 1.3)!r}"
                f"\t\\N\t\\N\t\t{now}\t{now}\n"
            )
    elapsed = common.copy_text_into("indicators_measurement", COPY_COLUMNS, out.getvalue().encode())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE indicators_measurement")
    return elapsed


def rebuild(organisation) -> float:
    from indicators.models import Indicator
    from indicators.services import mark_indicator_dirty, recompute_dirty

    started = time.perf_counter()
    for code, _share in EXTRA:
        mark_indicator_dirty(indicator=Indicator.objects.get(organisation=organisation, code=code))
    recompute_dirty()
    return time.perf_counter() - started


def query_count(client, name: str, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = fetch(client, name, url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def time_pages(client, urls: list[tuple[str, str]]) -> dict[str, dict]:
    """RUNS timed requests per page, interleaved page by page so load on the machine spreads
    evenly, after WARM_UP untimed ones; p50/p95 in ms and the query count of one request."""
    for name, url in urls:
        for _ in range(WARM_UP):
            assert fetch(client, name, url).status_code == 200, url
    samples: dict[str, list[float]] = {name: [] for name, _url in urls}
    for _ in range(RUNS):
        for name, url in urls:
            started = time.perf_counter()
            fetch(client, name, url)
            samples[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {
            "p50": common.median(samples[name]),
            "p95": common.percentile(samples[name], 95),
            "queries": query_count(client, name, url),
        }
        for name, url in urls
    }


def table_rows(before: dict, after: dict) -> list[tuple]:
    base_before, base_after = before["baseline (minimal page)"], after["baseline (minimal page)"]
    rows = [
        (
            "page",
            "demo p50 ms",
            "demo p95 ms",
            "+1M p50 ms",
            "+1M p95 ms",
            "p95 / baseline",
            "+1M / demo (p95)",
            "queries demo / +1M",
        )
    ]
    for name in before:
        b, a = before[name], after[name]
        rows.append(
            (
                name,
                f"{b['p50']:.1f}",
                f"{b['p95']:.1f}",
                f"{a['p50']:.1f}",
                f"{a['p95']:.1f}",
                f"{a['p95'] / base_after['p95']:.1f}x",
                f"{a['p95'] / b['p95']:.2f}x",
                f"{b['queries']} / {a['queries']}",
            )
        )
    del base_before
    return rows


def main() -> int:
    database_url = os.environ.get("BENCH_PAGES_DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("bench/pages.py needs a PostgreSQL BENCH_PAGES_DATABASE_URL")
        return 2
    redis_url = os.environ.get("BENCH_REDIS_URL", common.DEFAULT_REDIS_URL)
    queue = common.new_queue_name()
    overall = time.perf_counter()
    common.ensure_database(database_url)
    common.setup_django(database_url=database_url, redis_url=redis_url, queue=queue)
    common.reset_measurements()
    try:
        return run()
    finally:
        common.purge_queue(redis_url, queue)
        print(f"\ntotal {time.perf_counter() - overall:.0f} s")


def run() -> int:
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from indicators.demo import load_demo
    from indicators.models import Measurement, PeriodValue

    loaded = load_demo(today=DEMO_TODAY)
    organisation = loaded.organisation
    print(
        f"demo loaded in {loaded.seconds:.1f} s: {loaded.measurements:,} measurements,"
        f" {loaded.period_values:,} period values"
    )
    nodes, links, chain_seconds = build_chain(organisation)
    print(f"results chain of {nodes} nodes and {links:,} links built in {chain_seconds:.1f} s")
    for name, shape, scorecard_links in (
        ("Bench scorecard", SCORECARD_SHAPE, SCORECARD_LINKS),
        ("Small bench scorecard", SMALL_SCORECARD_SHAPE, 2),
    ):
        objectives, measures, scores, seconds = build_scorecard(
            organisation, name, shape, scorecard_links
        )
        print(
            f"{name}: {shape[0]} perspectives, {objectives} objectives, {measures} measures,"
            f" {scores:,} scores of its history built in {seconds:.1f} s"
        )
    client = Client()
    client.force_login(get_user_model().objects.get(username="viewer"))
    with override_settings(ROOT_URLCONF="bench.pages_urls"):
        skipped = missing_pages(client, pages())
        for name in skipped:
            print(f"{name}: no 200 answer on this branch, left out of the timings")
        urls = [(name, url) for name, url in pages() if name not in skipped]
        before = time_pages(client, urls)
        copy_seconds = copy_extra_measurements(organisation, loaded.demo.start, loaded.demo.end)
        rebuild_seconds = rebuild(organisation)
        measurements = Measurement.objects.filter(indicator__organisation=organisation).count()
        values = PeriodValue.objects.filter(indicator__organisation=organisation).count()
        print(
            f"+{ROWS:,} measurements copied in {copy_seconds:.1f} s, rebuilt in"
            f" {rebuild_seconds:.1f} s: {measurements:,} measurements, {values:,} period values"
        )
        after = time_pages(client, urls)
    common.print_table(
        f"server time per page, {RUNS} requests each after {WARM_UP} warm-up (test client,"
        " in-process, viewer role)",
        table_rows(before, after),
    )
    dashboard = after["dashboard"]
    ok = dashboard["p95"] <= DASHBOARD_GOAL_MS and dashboard["queries"] <= DASHBOARD_MAX_QUERIES
    print(
        f"\ndashboard with demo + {ROWS:,}: p95 {dashboard['p95']:.1f} ms (goal <= "
        f"{DASHBOARD_GOAL_MS} ms), {dashboard['queries']} queries (goal <= "
        f"{DASHBOARD_MAX_QUERIES}), {dashboard['p95'] / before['dashboard']['p95']:.2f}x its p95"
        f" on the demo alone: {common.verdict(ok)}"
    )
    for label, run in (("demo", before), (f"demo + {ROWS:,}", after)):
        print_chain_verdicts(label, run, nodes, links)
        print_scorecard_verdicts(label, run)
    return 0


def print_scorecard_verdicts(label: str, run: dict) -> None:
    """The scorecard endpoint and page against their goals: p95 <= 3x the minimal page, and the
    same queries for 120 measures as for 4 (flat in the number of measures)."""
    base = run["baseline (minimal page)"]["p95"]
    for name, small in (
        (SCORECARD_ENDPOINT, SMALL_SCORECARD_ENDPOINT),
        (SCORECARD_PAGE, SMALL_SCORECARD_PAGE),
    ):
        if name not in run or small not in run:
            continue
        row, flat = run[name], run[name]["queries"] <= run[small]["queries"]
        ok = flat and row["p95"] <= SCORECARD_GOAL_RATIO * base
        print(
            f"{label}: {name}, 40 objectives / 120 measures: p50 {row['p50']:.1f} ms, p95"
            f" {row['p95']:.1f} ms = {row['p95'] / base:.1f}x the minimal page's p95 (goal <="
            f" {SCORECARD_GOAL_RATIO:g}x), {row['queries']} queries vs {run[small]['queries']} for"
            f" 4 objectives / 4 measures (goal: flat): {common.verdict(ok)}"
        )


def print_chain_verdicts(label: str, run: dict, nodes: int, links: int) -> None:
    """The chain endpoint against its goal (p95 <= 3x the minimal page, <= 10 queries); the
    chain page against its query goal, with its time ratio printed (it has no time goal)."""
    base = run["baseline (minimal page)"]["p95"]
    for name in (CHAIN_ENDPOINT, CHAIN_PAGE, CHAIN_GROUP):
        if name not in run:
            continue
        row = run[name]
        timed = name == CHAIN_ENDPOINT
        ok = row["queries"] <= CHAIN_MAX_QUERIES and (
            not timed or row["p95"] <= CHAIN_GOAL_RATIO * base
        )
        goal = f" (goal <= {CHAIN_GOAL_RATIO:g}x)" if timed else ""
        print(
            f"{label}: {name}, {nodes} nodes / {links:,} links: p50 {row['p50']:.1f} ms, p95"
            f" {row['p95']:.1f} ms = {row['p95'] / base:.1f}x the minimal page's p95{goal},"
            f" {row['queries']} queries (goal <= {CHAIN_MAX_QUERIES}): {common.verdict(ok)}"
        )


if __name__ == "__main__":
    sys.exit(main())
