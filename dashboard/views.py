"""The home page: a manager's Monday starts here.

Panels come from each app's selectors; this app sits on top of the layers, so it may read every
app below it and no app imports it.
"""

from django.db.models import Exists
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from accounts.pages import page, role_required
from connectors import selectors as connector_selectors
from cpi import selectors as cpi_selectors
from cpi.models import HypothesisStatus
from indicators import charts, selectors
from indicators.compute.status import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, STALE, indicator_status
from indicators.models import Layer
from outcomes import selectors as chain_selectors
from outcomes.models import Level, NodeStatus
from scorecard import selectors as scorecard_selectors
from scorecard.models import Scope
from surveys import selectors as survey_selectors
from surveys.words import HEADLINE_DAYS, headline_windows, score_words

SPARKLINE_PERIODS = 12
STATUS_PILLS = {
    OFF_TRACK: ("worse", gettext_lazy("off track")),
    AT_RISK: ("at-risk", gettext_lazy("at risk")),
}
KINDS = ("corrective", "learning")
# The chain panel: its status columns, worst first, with the pill class of each status.
CHAIN_STATUSES = ((OFF_TRACK, "worse"), (AT_RISK, "at-risk"), (ON_TRACK, "better"), (NO_DATA, ""))
CHAIN_OUTCOMES_SHOWN = 8


def _off_target(indicator) -> bool:
    value, target = indicator.latest_value, indicator.latest_target
    if value is None or target is None:
        return False
    if indicator.direction == "higher_is_better":
        return value < target
    if indicator.direction == "lower_is_better":
        return value > target
    return False


def _value_status(indicator) -> str:
    """The status of the latest value itself, whether or not a newer one is overdue."""
    return indicator_status(
        value=indicator.latest_value,
        assessment=indicator.latest_assessment or None,
        progress=indicator.latest_progress,
    )


def _needs_attention(indicator, status: str) -> bool:
    """Outside the band on either side (its corrective or learning action waits), off track or at
    risk by the shared status rule, or off target where no progress can be computed (a target but
    no baseline)."""
    if indicator.latest_position in ("below", "above") or status in (OFF_TRACK, AT_RISK):
        return True
    return indicator.latest_progress is None and _off_target(indicator)


def _stale_text(indicator) -> str:
    return _("stale: no value since %(since)s") % {
        "since": charts.period_label(indicator.latest_start, indicator.period)
    }


def _card(indicator, results: list[dict]) -> dict:
    value_status = _value_status(indicator)
    pill = STATUS_PILLS.get(value_status)
    if pill is None and indicator.latest_progress is None and _off_target(indicator):
        pill = ("worse", gettext_lazy("off target"))
    stale = indicator.stale  # False without any value: no data is not stale
    return {
        "indicator": indicator,
        # A stale indicator is never shown on track: its tile says so instead.
        "status": STALE if stale else value_status,
        "attention": _needs_attention(indicator, value_status),
        "pill": pill,
        "stale": _stale_text(indicator) if stale else "",
        "figure": charts.small_figure_json(results=results, period=indicator.period),
        "latest_label": charts.latest_label(indicator),
    }


def _inbox(**query) -> str:
    return f"{reverse('deviations')}?{urlencode(query)}"


def _item(deviation) -> dict:
    return {
        "deviation": deviation,
        "label": charts.period_label(deviation.period_start, deviation.period),
        "url": reverse("deviation-detail", args=[deviation.pk]),
    }


def needs_action(organisation, indicators: list) -> dict:
    """The "needs action" panel: deviations to act on, by kind, with the inbox filtered to each;
    the biggest misses and the oldest items; the stale indicators (waiting for data)."""
    counts = selectors.open_deviation_counts(organisation=organisation)
    return {
        "counts": [
            {"kind": kind, "count": counts[kind], "url": _inbox(kind=kind, state="open")}
            for kind in KINDS
        ],
        "biggest": [
            _item(d)
            for d in selectors.deviations_needing_action(organisation=organisation, order="biggest")
        ],
        "oldest": [
            _item(d)
            for d in selectors.deviations_needing_action(organisation=organisation, order="oldest")
        ],
        "waiting": [
            {"indicator": indicator, "stale": _stale_text(indicator)}
            for indicator in selectors.stale_indicators(indicators=indicators)
        ],
    }


def chain_panel(organisation, *, has_chain: bool | None = None) -> dict:
    """The "Results chain" panel: nodes by level and status, the outcomes off track or at risk
    (leading: they can still be steered) and the unmeasured links. Two queries; none when
    `has_chain` (read along with another query) says there is no chain."""
    if has_chain is False:
        return {"total": 0}
    counts = chain_selectors.status_counts(organisation=organisation)
    total = sum(sum(by_status.values()) for by_status in counts.values())
    if not total:
        return {"total": 0}
    attention = chain_selectors.chain_attention(organisation=organisation)
    statuses = [
        {"status": status, "label": NodeStatus(status).label, "pill": pill}
        for status, pill in CHAIN_STATUSES
    ]
    return {
        "total": total,
        "statuses": statuses,
        "levels": [
            {
                "level": level,
                "label": Level(level).label,
                "total": sum(counts[level].values()),
                "cells": [{**s, "count": counts[level][s["status"]]} for s in statuses],
            }
            for level in reversed(Level.values)  # impact on top, as a chain is read upwards
        ],
        "outcomes": [
            {
                "node": node,
                "label": NodeStatus(node.status).label,
                "pill": dict(CHAIN_STATUSES)[node.status],
                "url": reverse("node-detail", args=[node.pk]),
            }
            for node in attention.outcomes[:CHAIN_OUTCOMES_SHOWN]
        ],
        "more_outcomes": max(len(attention.outcomes) - CHAIN_OUTCOMES_SHOWN, 0),
        "unmeasured": attention.unmeasured,
    }


EVIDENCE_PILLS = (
    ("supported", "better"),
    ("refuted", "worse"),
    ("inconclusive", "at-risk"),
    ("proposed", ""),
)
EVIDENCE_ARROWS_SHOWN = 5
EVIDENCE_ARROWS_READ = 100  # the supported and refuted hypotheses ranked for the panel


def _strength(hypothesis) -> float:
    r = (hypothesis.evidence or {}).get("r")
    return abs(r) if isinstance(r, int | float) else 0.0


def has_hypothesis(organisation):
    """An expression, true when `organisation` has a hypothesis: it rides on the indicators'
    query of the home page, so an organisation without any pays no query for the panel."""
    return Exists(cpi_selectors.hypotheses_of(organisation=organisation).prefetch_related(None))


def evidence_panel(organisation, *, has_any: bool | None = None) -> dict:
    """The "Evidence behind the arrows" panel: hypotheses by status, and the arrows that matter
    most: supported ones (an experiment's verdict first, then the strongest correlation) with
    their best lag, then refuted ones. Two queries; none when `has_any` says there is none."""
    if has_any is False:
        return {"total": 0}
    counts = cpi_selectors.status_counts(organisation=organisation)
    total = sum(counts.values())
    if not total:
        return {"total": 0}
    rank = {"supported": 0, "refuted": 1}
    rows = list(
        cpi_selectors.hypotheses_of(organisation=organisation)
        .prefetch_related(None)
        .filter(status__in=list(rank))
        .order_by("-status", "pk")[:EVIDENCE_ARROWS_READ]  # descending: supported, then refuted
    )
    rows.sort(key=lambda h: (rank[h.status], h.status_source != "experiment", -_strength(h), h.pk))
    labels = dict(HypothesisStatus.choices)
    return {
        "total": total,
        "counts": [
            {"status": status, "label": labels[status], "pill": pill, "count": counts[status]}
            for status, pill in EVIDENCE_PILLS
        ],
        "arrows": [
            {
                "hypothesis": h,
                "label": labels[h.status],
                "pill": dict(EVIDENCE_PILLS)[h.status],
                "best_lag": (h.evidence or {}).get("best_lag") if h.status == "supported" else None,
                "by_experiment": h.status_source == "experiment",
                "url": reverse("hypothesis-detail", args=[h.pk]),
            }
            for h in rows[:EVIDENCE_ARROWS_SHOWN]
        ],
    }


SCORECARDS_SHOWN = 5


def has_scorecard(organisation):
    """An expression, true when `organisation` has a scorecard: it rides on the indicators'
    query of the home page, so an organisation without any pays no query for the panel."""
    return Exists(scorecard_selectors.scorecards_of(organisation=organisation))


def _percent(score: float | None) -> int | None:
    return None if score is None else round(100 * score)


def _scorecard_row(detail) -> dict:
    scorecard = detail.scorecard
    maturity = detail.maturity
    url = reverse("scorecard-detail", args=[scorecard.pk])
    return {
        "scorecard": scorecard,
        "url": url,
        "period": charts.period_label(detail.period_start, scorecard.period),
        "percent": _percent(detail.total.score),
        # The trend in percentage points, its sign shown apart from its size.
        "change": None if detail.total.change is None else round(100 * detail.total.change),
        "change_size": None
        if detail.total.change is None
        else abs(round(100 * detail.total.change)),
        "previous_period": charts.period_label(detail.previous_start, scorecard.period),
        "status": detail.total.status,
        "label": NodeStatus(detail.total.status).label,
        "perspectives": [
            {
                "label": row.obj.display_label,
                "percent": _percent(row.score),
                "status": row.status,
                "status_label": NodeStatus(row.status).label,
            }
            for row in detail.perspectives
        ],
        "level": maturity.level,
        "predictive": maturity.predictive,
        "next_layer": Layer(maturity.next_layer).label if maturity.next_layer else None,
        "warnings": detail.warnings_count,
        "warnings_url": f"{url}#warnings",
    }


def scorecard_panel(organisation) -> dict:
    """The "Balanced scorecards" panel (company scorecards first): each scorecard's score and
    status in its latest complete period, its perspectives' scores coloured by status, its
    maturity level and warnings count. A fixed number of queries whatever the number of
    scorecards, objectives and measures (`scorecard_summaries`)."""
    summaries = scorecard_selectors.scorecard_summaries(organisation=organisation)
    if not summaries:
        return {"total": 0}
    # Company scorecards first, then units and teams, each by name.
    rank = {scope: n for n, scope in enumerate(Scope.values)}
    summaries.sort(
        key=lambda s: (rank.get(s.scorecard.scope, 9), s.scorecard.name.lower(), s.scorecard.pk)
    )
    return {
        "total": len(summaries),
        "rows": [_scorecard_row(summary) for summary in summaries[:SCORECARDS_SHOWN]],
        "more": len(summaries) > SCORECARDS_SHOWN,
    }


SURVEYS_SHOWN = 4


def has_survey(organisation):
    """An expression, true when `organisation` has a survey: it rides on the indicators' query
    of the home page, so an organisation without any pays no query for the panel."""
    return Exists(survey_selectors.survey_rows(organisation))


def survey_panel(organisation, *, has_any: bool | None = None) -> dict:
    """The "Surveys" panel: up to four surveys, each with its headline score of the last 90 days
    (its first NPS question, else its first CSAT question), the interval and the too-few flag.
    A fixed number of queries; none when `has_any` says there is no survey."""
    if has_any is False:
        return {"total": 0}
    surveys = list(survey_selectors.surveys_of(organisation))
    if not surveys:
        return {"total": 0}
    shown = surveys[:SURVEYS_SHOWN]
    windows = headline_windows(shown, organisation.tz)
    scores = survey_selectors.headline_scores(shown, windows=windows)
    rows = []
    for survey in shown:
        question, score = scores.get(survey.pk, (None, None))
        rows.append(
            {
                "survey": survey,
                "question": question,
                "words": score_words(score, survey.min_n) if score else None,
                "url": reverse("survey-results", args=[survey.code]),
            }
        )
    return {
        "total": len(surveys),
        "rows": rows,
        "more": len(surveys) > SURVEYS_SHOWN,
        "days": HEADLINE_DAYS,
    }


FAILING_SHOWN = 5


def connectors_panel(organisation, *, has_any: bool | None = None) -> dict:
    """The "Automatic measurement" panel: how many connectors work, fail and are paused, the
    failing ones with their owner and last message, and when data last arrived. One query;
    none when `has_any` (read along with the indicators) says there is no connector."""
    if has_any is False:
        return {"total": 0}
    health = connector_selectors.health_summary(organisation)
    if not health.total:
        return {"total": 0}
    return {
        "total": health.total,
        "ok": health.ok,
        "failing": health.failing,
        "paused": health.paused,
        "failing_rows": [
            {
                "connector": connector,
                "owner": (connector.owner.get_full_name() or connector.owner.get_username())
                if connector.owner
                else "",
                "message": connector.last_message or "",
            }
            for connector in health.failing_connectors[:FAILING_SHOWN]
        ],
        "more_failing": max(health.failing - FAILING_SHOWN, 0),
        "last_delivered_at": health.last_delivered_at,
    }


@role_required(Role.VIEWER)
def scorecards_panel(request):
    """The scorecards' panel alone, which the dashboard loads after the page."""
    panel = scorecard_panel(request.membership.organisation)
    return page(request, "dashboard/_scorecard.html", {"panel": panel})


@role_required(Role.VIEWER)
def home(request):
    """Dashboard: what needs action, indicators that need attention, then the rest, by name."""
    organisation = request.membership.organisation
    indicators = list(
        selectors.indicators_with_latest_detail(organisation=organisation)
        .select_related("owner_user")
        .annotate(has_chain=chain_selectors.has_chain(organisation=organisation))
        .annotate(has_hypothesis=has_hypothesis(organisation))
        .annotate(has_scorecard=has_scorecard(organisation))
        .annotate(has_survey=has_survey(organisation))
        .annotate(has_connector=connector_selectors.has_connector(organisation))
    )
    recent = selectors.recent_values_with_limits(indicators=indicators, count=SPARKLINE_PERIODS)
    cards = [_card(indicator, recent.get(indicator.pk, [])) for indicator in indicators]
    cards.sort(key=lambda card: card["indicator"].name.lower())
    return page(
        request,
        "dashboard/home.html",
        {
            "attention": [card for card in cards if card["attention"]],
            "rest": [card for card in cards if not card["attention"]],
            "has_indicators": bool(cards),
            "needs_action": needs_action(organisation, indicators) if cards else None,
            # The scorecards' panel reads whole scorecards: it loads after the page (htmx), so the
            # Monday page stays fast. Without scorecards its empty state is drawn here; a
            # scorecard may come before its first indicator (created from a preset), so without
            # indicators the panel asks.
            "scorecards": {"total": 0}
            if indicators and not indicators[0].has_scorecard
            else {"lazy": True},
            "chain": chain_panel(
                organisation, has_chain=indicators[0].has_chain if indicators else None
            ),
            # A hypothesis links two indicators: without indicators there is none to count.
            "evidence": evidence_panel(organisation, has_any=indicators[0].has_hypothesis)
            if cards
            else {"total": 0},
            "surveys": survey_panel(
                organisation, has_any=indicators[0].has_survey if indicators else None
            ),
            "connectors": connectors_panel(
                organisation, has_any=indicators[0].has_connector if indicators else None
            ),
        },
    )
