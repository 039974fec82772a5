"""Reading pages of scorecards: the list, a scorecard in one period, its strategy map and an
objective.

Views read through `selectors` (already scoped to the organisation) and draw with `charts`;
each page costs a fixed number of queries whatever the number of objectives and measures (the
list: a fixed number per scorecard).
"""

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.models import Role
from accounts.pages import page, role_required
from indicators import charts as indicator_charts
from indicators import selectors as indicator_selectors
from indicators.compute.periods import previous_period_start
from indicators.models import Evidence, Kind, Layer

from .. import charts, selectors
from ..compute import LAYER_ORDER
from ..models import Part

HISTORY_PERIODS = 12
LAYER_NOTES = {
    "impact": gettext_lazy("the results: what customers finally do, and what the business earns"),
    "execution": gettext_lazy("the touchpoints: how the service works while it is delivered"),
    "prerequisite": gettext_lazy("the capabilities that make good execution possible"),
    "choice": gettext_lazy("the strategic choices that set you apart from competitors"),
}
EVIDENCE_TAGS = {
    "say": gettext_lazy("say"),
    "do": gettext_lazy("do"),
}


def chosen_period(request) -> tuple[date | None, bool]:
    """The `?period=YYYY-MM-DD` asked for (None: the default) and whether it was unreadable."""
    raw = request.GET.get("period", "").strip()
    if not raw:
        return None, False
    try:
        return date.fromisoformat(raw), False
    except ValueError:
        return None, True


def period_starts(end: date, period: str, count: int = HISTORY_PERIODS) -> list[date]:
    """The starts of the `count` periods up to `end`, oldest first."""
    starts = [end]
    for _step in range(count - 1):
        starts.append(previous_period_start(starts[-1], period))
    return starts[::-1]


def change_of(row, previous_label: str) -> dict | None:
    """The change of a row's score since the period before, in points of percentage, as words."""
    change = row.change
    if change is None:
        return None
    points = round(change * 100)
    if points > 0:
        words = gettext("up %(points)s points from %(period)s") % {
            "points": points,
            "period": previous_label,
        }
        return {"direction": "up", "points": points, "words": words, "arrow": "▲"}
    if points < 0:
        words = gettext("down %(points)s points from %(period)s") % {
            "points": -points,
            "period": previous_label,
        }
        return {"direction": "down", "points": points, "words": words, "arrow": "▼"}
    words = gettext("no change from %(period)s") % {"period": previous_label}
    return {"direction": "flat", "points": 0, "words": words, "arrow": "▶"}


def _sparkline(history, starts: list[date]) -> dict | None:
    by_start = dict(history)
    scores = [by_start.get(start) for start in starts]
    if sum(score is not None for score in scores) < 2:
        return None
    label = ngettext(
        "Score over the last period", "Score over the last %(count)s periods", len(scores)
    ) % {"count": len(scores)}
    return {"points": charts.sparkline_points(scores), "count": len(scores), "label": label}


def indicator_url_pattern() -> str:
    """The indicator page's URL with `{}` for the code (one `reverse` for a whole page)."""
    marker = "code987654321"
    return reverse("indicator-detail", args=[marker]).replace(marker, "{}")


class Words:
    """The labels a page repeats on every card, translated once per request."""

    def __init__(self):
        self.status = {status: charts.status_label(status) for status in charts.STATUS_COLOURS}
        self.kind = {value: str(label) for value, label in Kind.choices}
        self.evidence = {value: str(label) for value, label in Evidence.choices}
        self.evidence_tag = {value: str(label) for value, label in EVIDENCE_TAGS.items()}
        self.layer = {value: str(label) for value, label in Layer.choices}
        self.indicator_url = indicator_url_pattern()


def _measure_card(row, words: Words | None = None) -> dict:
    words = words or Words()
    indicator = row.obj.indicator
    return {
        "url": words.indicator_url.format(indicator.code),
        "kind_label": words.kind.get(indicator.kind, indicator.kind),
        "row": row,
        "measure": row.obj,
        "indicator": indicator,
        "percent": charts.percent(row.score),
        "status": row.status,
        "status_label": words.status[row.status],
        "evidence": indicator.evidence,
        "evidence_tag": words.evidence_tag.get(indicator.evidence, ""),
        "evidence_words": words.evidence.get(indicator.evidence, ""),
        "layer_label": words.layer.get(indicator.layer, ""),
    }


def warning_rows(detail) -> list[dict]:
    """The warnings of `detail`, each with the objective it names (a measure's: its objective)."""
    objectives = {row.obj.pk: row.obj for row in detail.objectives()}
    measure_objective = {m.obj.pk: row.obj for row in detail.objectives() for m in row.children}
    pattern = charts.objective_url_pattern()
    found = []
    for warning in detail.warnings:
        objective = None
        if warning.type == "objective":
            objective = objectives.get(warning.id)
        elif warning.type == "measure":
            objective = measure_objective.get(warning.id)
        found.append(
            {
                "code": warning.code,
                "message": warning.message,
                "objective": objective,
                "url": pattern.format(objective.pk) if objective else "",
            }
        )
    return found


def warning_groups(warnings: list[dict]) -> list[dict]:
    """`warning_rows` grouped by the objective they name, in order (the scorecard's first)."""
    groups: dict[object, dict] = {}
    for warning in warnings:
        objective = warning["objective"]
        key = objective.pk if objective else None
        group = groups.setdefault(
            key, {"objective": objective, "url": warning["url"], "warnings": []}
        )
        group["warnings"].append(warning)
    return list(groups.values())


def maturity_of(detail) -> dict:
    """The maturity panel: level k of 4, each layer ticked, the next layer to measure."""
    maturity = detail.maturity
    return {
        "level": maturity.level,
        "of": len(LAYER_ORDER),
        "predictive": maturity.predictive,
        "layers": [
            {
                "layer": layer,
                "label": Layer(layer).label,
                "note": LAYER_NOTES[layer],
                "measured": maturity.layers[layer],
            }
            for layer in LAYER_ORDER
        ],
        "next_layer": Layer(maturity.next_layer).label if maturity.next_layer else None,
        "next_note": LAYER_NOTES[maturity.next_layer] if maturity.next_layer else None,
        "steps": range(1, len(LAYER_ORDER) + 1),
    }


def centricity_of(detail) -> dict:
    counts = detail.customer_centricity
    total = counts["cpi"] + counts["kpi"]
    return {
        **counts,
        "total": total,
        "cpi_share": round(100 * counts["cpi"] / total) if total else 0,
    }


def _period_choices(scorecard, detail) -> list[dict]:
    starts = selectors.scored_periods(scorecard=scorecard)
    if detail.period_start not in starts:
        starts = sorted([*starts, detail.period_start], reverse=True)
    return [
        {
            "value": start.isoformat(),
            "label": indicator_charts.period_label(start, scorecard.period),
            "selected": start == detail.period_start,
        }
        for start in starts
    ]


def scorecard_bands(detail, history) -> list[dict]:
    """Each perspective in order, with its objectives as cards (score, status, change,
    sparkline, measures, warnings)."""
    scorecard = detail.scorecard
    previous_label = indicator_charts.period_label(detail.previous_start, scorecard.period)
    starts = period_starts(detail.period_start, scorecard.period)
    warned: dict[int, list[dict]] = {}
    for warning in warning_rows(detail):
        if warning["objective"] is not None:
            warned.setdefault(warning["objective"].pk, []).append(warning)
    objective_url = charts.objective_url_pattern() + f"?period={detail.period_start.isoformat()}"
    words = Words()
    bands = []
    for perspective in detail.perspectives:
        cards = []
        for row in perspective.children:
            objective = row.obj
            warnings = warned.get(objective.pk, [])
            initiative_count = len(detail.initiatives.get(objective.pk, []))
            cards.append(
                {
                    "url": objective_url.format(objective.pk),
                    "advice_title": "\n".join(w["message"] for w in warnings),
                    "advice_words": ngettext(
                        "%(count)s point of advice", "%(count)s points of advice", len(warnings)
                    )
                    % {"count": len(warnings)},
                    "initiative_words": ngettext(
                        "%(count)s initiative", "%(count)s initiatives", initiative_count
                    )
                    % {"count": initiative_count},
                    "row": row,
                    "objective": objective,
                    "percent": charts.percent(row.score),
                    "status": row.status,
                    "status_label": words.status[row.status],
                    "change": change_of(row, previous_label),
                    "sparkline": _sparkline(
                        history.get((Part.OBJECTIVE, objective.pk), []), starts
                    ),
                    "measures": [_measure_card(m, words) for m in row.children],
                    "warnings": warnings,
                    "initiative_count": initiative_count,
                }
            )
        bands.append(
            {
                "row": perspective,
                "perspective": perspective.obj,
                "label": perspective.obj.display_label,
                "kind": perspective.obj.kind,
                "percent": charts.percent(perspective.score),
                "status": perspective.status,
                "status_label": words.status[perspective.status],
                "change": change_of(perspective, previous_label),
                "objectives": cards,
            }
        )
    return bands


def _summary(detail, history) -> dict:
    scorecard = detail.scorecard
    previous_label = indicator_charts.period_label(detail.previous_start, scorecard.period)
    starts = period_starts(detail.period_start, scorecard.period)
    return {
        "percent": charts.percent(detail.total.score),
        "status": detail.total.status,
        "status_label": charts.status_label(detail.total.status),
        "change": change_of(detail.total, previous_label),
        "sparkline": _sparkline(history.get((Part.SCORECARD, scorecard.pk), []), starts),
        "period_label": indicator_charts.period_label(detail.period_start, scorecard.period),
        "previous_label": previous_label,
    }


def thresholds_of(scorecard) -> dict:
    return {
        "on_track": charts.percent(scorecard.on_track_from),
        "at_risk": charts.percent(scorecard.at_risk_from),
    }


def _detail_of(request, scorecard):
    asked, unreadable = chosen_period(request)
    detail = selectors.scorecard_detail(scorecard=scorecard, period_start=asked)
    return detail, unreadable


@role_required(Role.VIEWER)
def scorecard_list(request):
    """Every scorecard of the organisation with its score, status, maturity and warnings."""
    organisation = request.membership.organisation
    rows = []
    for summary in selectors.scorecard_summaries(organisation=organisation):
        scorecard = summary.scorecard
        rows.append(
            {
                "scorecard": scorecard,
                "percent": charts.percent(summary.total.score),
                "status": summary.total.status,
                "status_label": charts.status_label(summary.total.status),
                "period_label": indicator_charts.period_label(
                    summary.period_start, scorecard.period
                ),
                "perspectives": [
                    {
                        "label": p.obj.display_label,
                        "percent": charts.percent(p.score),
                        "status": p.status,
                        "status_label": charts.status_label(p.status),
                    }
                    for p in summary.perspectives
                ],
                "maturity": summary.maturity.level,
                "warning_count": summary.warnings_count,
                "objective_count": sum(len(p.obj.objectives.all()) for p in summary.perspectives),
            }
        )
    return page(request, "scorecard/scorecard_list.html", {"rows": rows})


@role_required(Role.VIEWER)
def scorecard_detail(request, pk):
    """The scorecard in one period: four bands of objectives, warnings, maturity."""
    organisation = request.membership.organisation
    scorecard = selectors.scorecard_by_id(organisation=organisation, pk=pk)
    detail, unreadable = _detail_of(request, scorecard)
    history = selectors.score_history(
        scorecard=scorecard, end=detail.period_start, count=HISTORY_PERIODS
    )
    summary = _summary(detail, history)
    context = {
        "scorecard": scorecard,
        "detail": detail,
        "summary": summary,
        # said once, shown on many cards
        "words": {
            "no_voice": gettext("Not yet said in the customer's voice."),
            "no_score": gettext(
                "No score in %(period)s: its measures have no value there with a target and a "
                "baseline."
            )
            % {"period": summary["period_label"]},
            "no_measures": gettext("No measures yet, so it has no score."),
            "add_measure": gettext("Add a measure"),
        },
        "bands": scorecard_bands(detail, history),
        "periods": _period_choices(scorecard, detail),
        "period_value": detail.period_start.isoformat(),
        "warnings": warning_rows(detail),
        "warning_groups": warning_groups(warning_rows(detail)),
        "maturity": maturity_of(detail),
        "centricity": centricity_of(detail),
        "thresholds": thresholds_of(scorecard),
        "objective_count": len(detail.objectives()),
        "unreadable_period": unreadable,
        "status_colours": charts.STATUS_COLOURS,
    }
    return page(request, "scorecard/scorecard_detail.html", context)


@role_required(Role.VIEWER)
def scorecard_map(request, pk):
    """The strategy map: perspectives as rows, objectives by status, cause-effect arrows."""
    organisation = request.membership.organisation
    scorecard = selectors.scorecard_by_id(organisation=organisation, pk=pk)
    detail, unreadable = _detail_of(request, scorecard)
    objectives = {row.obj.pk: row for row in detail.objectives()}
    links = [
        {"source": objectives[s], "target": objectives[t]}
        for s, t in detail.links
        if s in objectives and t in objectives
    ]
    context = {
        "scorecard": scorecard,
        "detail": detail,
        "figure": indicator_charts.figure_json(charts.strategy_map_figure(detail))
        if objectives
        else None,
        "links": links,
        "bands": scorecard_bands(detail, {}),
        "summary": _summary(detail, {}),
        "periods": _period_choices(scorecard, detail),
        "period_value": detail.period_start.isoformat(),
        "unreadable_period": unreadable,
        "status_colours": charts.STATUS_COLOURS,
        "thresholds": thresholds_of(scorecard),
    }
    return page(request, "scorecard/scorecard_map.html", context)


def _measure_charts(rows) -> list[dict]:
    """The objective's measures with their indicators' recent values as small charts."""
    indicators = [row.obj.indicator for row in rows]
    recent = indicator_selectors.recent_values_by_indicator(
        indicators=indicators, count=HISTORY_PERIODS
    )
    total = sum(row.obj.weight for row in rows) or 1.0
    cards = []
    words = Words()
    for row in rows:
        indicator = row.obj.indicator
        values = recent.get(indicator.pk, [])
        latest = next((v for v in reversed(values) if v["value"] is not None), None)
        cards.append(
            {
                **_measure_card(row, words),
                "share": charts.percent(row.obj.weight / total),
                "latest": latest,
                "latest_label": indicator_charts.period_label(
                    latest["period_start"], indicator.period
                )
                if latest
                else "",
                "figure": indicator_charts.small_figure_json(
                    results=values, period=indicator.period
                ),
            }
        )
    return cards


def _linked(row) -> dict:
    return {
        "objective": row.obj,
        "percent": charts.percent(row.score),
        "status": row.status,
        "status_label": charts.status_label(row.status),
    }


@role_required(Role.VIEWER)
def objective_detail(request, pk):
    """An objective: its score trend, its measures' charts, initiatives, links in and out."""
    organisation = request.membership.organisation
    objective = selectors.objective_by_id(organisation=organisation, pk=pk)
    scorecard = objective.perspective.scorecard
    detail, unreadable = _detail_of(request, scorecard)
    objectives = {row.obj.pk: row for row in detail.objectives()}
    row = objectives[objective.pk]
    perspective = next(p for p in detail.perspectives if row in p.children)
    history = selectors.score_history(
        scorecard=scorecard, end=detail.period_start, count=HISTORY_PERIODS
    ).get((Part.OBJECTIVE, objective.pk), [])
    previous_label = indicator_charts.period_label(detail.previous_start, scorecard.period)
    warnings = [w for w in warning_rows(detail) if w["objective"] and w["objective"].pk == pk]
    context = {
        "scorecard": scorecard,
        "objective": row.obj,
        "perspective": perspective.obj,
        "row": row,
        "detail": detail,
        "percent": charts.percent(row.score),
        "status": row.status,
        "status_label": charts.status_label(row.status),
        "change": change_of(row, previous_label),
        "period_label": indicator_charts.period_label(detail.period_start, scorecard.period),
        "figure": indicator_charts.figure_json(
            charts.score_trend_figure(
                history=history,
                period=scorecard.period,
                on_track_from=scorecard.on_track_from,
                at_risk_from=scorecard.at_risk_from,
            )
        )
        if history
        else None,
        "measures": _measure_charts(row.children),
        "initiatives": list(row.obj.initiatives.all()),
        "causes": [_linked(objectives[s]) for s, t in detail.links if t == pk and s in objectives],
        "effects": [_linked(objectives[t]) for s, t in detail.links if s == pk and t in objectives],
        "warnings": warnings,
        "warning_groups": warning_groups(warnings),
        "is_customer": perspective.obj.kind == "customer",
        "periods": _period_choices(scorecard, detail),
        "period_value": detail.period_start.isoformat(),
        "unreadable_period": unreadable,
        "thresholds": thresholds_of(scorecard),
    }
    return page(request, "scorecard/objective_detail.html", context)
