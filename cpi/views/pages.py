"""Reading pages of the CPI evidence: the CPIs and customer-centricity, a CPI, the arrows
overview, a hypothesis and an experiment.

Views read through `selectors` (scoped to the organisation; another organisation's object is a
404) and draw with `charts`; the numbers are turned into plain sentences here, so templates only
place them. Every page costs a fixed number of queries.
"""

from datetime import date

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.pages import page, role_required
from indicators import charts as indicator_charts
from indicators import selectors as indicator_selectors

from .. import charts, selectors
from ..compute.experiments import reason_text
from ..compute.status import ALPHA, MIN_N, STATUSES, adjusted_p
from ..models import Hypothesis, HypothesisStatus, StatusSource

STATUS_ORDER = ("supported", "refuted", "inconclusive", "proposed")


def _n(value, digits: str = "-2g") -> str:
    return floatformat(value, digits)


def _p(value: float) -> str:
    """A p-value as people read it: "p < 0.001" for a tiny one, else "p = 0.023"."""
    if value < 0.001:
        return "p < " + floatformat(0.001, "3")
    return "p = " + floatformat(value, "3")


def _url_pattern(name: str) -> str:
    """The URL of `name` with `{}` for the id: one `reverse` for a page of many links."""
    marker = 987654321
    return reverse(name, args=[marker]).replace(str(marker), "{}")


def _status_notes() -> list[dict]:
    notes = {
        "supported": _("the evidence backs the arrow"),
        "refuted": _("the evidence goes against it"),
        "inconclusive": _("not enough evidence either way"),
        "proposed": _("no evidence computed yet"),
    }
    return [
        {
            "status": status,
            "label": HypothesisStatus(status).label,
            "note": notes[status],
            "colour": charts.STATUS_COLOURS[status],
        }
        for status in STATUS_ORDER
    ]


# --- CPIs ------------------------------------------------------------------------------------


@role_required(Role.VIEWER)
def cpi_list(request):
    """The customer-centricity headline with the list behind it, per team, then every CPI."""
    organisation = request.membership.organisation
    centricity = selectors.customer_centricity(organisation=organisation)
    cpis = selectors.cpis_of(organisation=organisation)
    whole = centricity["organisation"]
    for cpi in cpis:
        cpi.latest_label = indicator_charts.latest_label(cpi)
    context = {
        "whole": whole,
        "teams": centricity["teams"],
        "tracked": [i for i in whole.indicators if i.tracked],
        "untracked": [i for i in whole.indicators if not i.tracked],
        "cpis": cpis,
        "named_teams": any(t.team for t in centricity["teams"]),
    }
    return page(request, "cpi/cpi_list.html", context)


@role_required(Role.VIEWER)
def cpi_detail(request, code: str):
    """A CPI: its profile, the customer evidence, warnings, chart and the hypotheses it causes."""
    organisation = request.membership.organisation
    cpi = selectors.cpi_by_code(organisation=organisation, code=code)
    values = indicator_selectors.indicator_values(indicator=cpi, period=cpi.period, segment="")
    hypotheses = [h for h in selectors.hypotheses_of(organisation=organisation).filter(cause=cpi)]
    known = [row for row in values["results"] if row.get("value") is not None]
    context = {
        "cpi": cpi,
        "latest": known[-1] if known else None,
        "latest_label": indicator_charts.period_label(
            date.fromisoformat(known[-1]["period_start"]), cpi.period
        )
        if known
        else "",
        "profile": cpi.profile,
        "notes": cpi.notes,
        "warnings": cpi.warnings,
        "figure": indicator_charts.figure_json(
            indicator_charts.indicator_figure(values=values, unit=cpi.unit)
        )
        if values["results"]
        else None,
        "hypotheses": hypotheses,
    }
    return page(request, "cpi/cpi_detail.html", context)


# --- the arrows overview ---------------------------------------------------------------------


def decided_by(hypothesis: Hypothesis):
    """The experiment whose verdict decides the status (the finished one that ended last)."""
    if hypothesis.status_source != StatusSource.EXPERIMENT:
        return None
    finished = [
        e
        for e in hypothesis.experiments.all()
        if (e.result or {}).get("final") and (e.result or {}).get("verdict")
    ]
    return max(finished, key=lambda e: (e.end, e.pk)) if finished else None


def evidence_line(hypothesis: Hypothesis) -> str:
    """best lag, r and n in a few words; what is missing otherwise."""
    evidence = hypothesis.evidence or {}
    if evidence.get("r") is None:
        return _("no correlation yet: not enough data")
    return _("best lag %(lag)s · r = %(r)s · n = %(n)s") % {
        "lag": evidence["best_lag"],
        "r": _n(evidence["r"], "2"),
        "n": evidence["n"],
    }


@role_required(Role.VIEWER)
def arrows(request):
    """Every CPI -> KPI arrow coloured by status, with counts, a legend and the list by status."""
    organisation = request.membership.organisation
    everything = list(selectors.hypotheses_of(organisation=organisation))
    counts = dict.fromkeys(STATUSES, 0)
    for hypothesis in everything:
        counts[hypothesis.status] += 1
    chosen = request.GET.get("status", "")
    chosen = chosen if chosen in STATUSES else ""
    shown = [h for h in everything if not chosen or h.status == chosen]
    pattern = _url_pattern("hypothesis-detail")
    for hypothesis in shown:
        hypothesis.url = pattern.format(hypothesis.pk)
        hypothesis.line = evidence_line(hypothesis)
        hypothesis.decider = decided_by(hypothesis)
    groups = [
        {**note, "hypotheses": [h for h in shown if h.status == note["status"]]}
        for note in _status_notes()
    ]
    figure = None
    if shown:
        figure = indicator_charts.figure_json(
            charts.arrows_figure(
                shown,
                url_of=lambda h: h.url,
                indicator_url_of=lambda i: reverse(
                    "cpi-detail" if i.kind == "cpi" else "indicator-detail", args=[i.code]
                ),
            )
        )
    context = {
        "counts": [{**note, "count": counts[note["status"]]} for note in _status_notes()],
        "total": len(everything),
        "chosen": chosen,
        "chosen_label": HypothesisStatus(chosen).label if chosen else "",
        "groups": [g for g in groups if g["hypotheses"]],
        "figure": figure,
        "legend": _status_notes(),
    }
    return page(request, "cpi/arrows.html", context)


# --- a hypothesis ----------------------------------------------------------------------------


def forecast_state(hypothesis: Hypothesis) -> dict:
    """{"shown": bool, "reason": why not}: the fan is drawn only for a supported hypothesis with
    a lag of 1 or more whose forecast beats "same as last period" in the backtest."""
    evidence = hypothesis.evidence or {}
    backtest = hypothesis.backtest or {}
    lag = evidence.get("best_lag")
    if lag is None:
        reason = _("No forecast: there is not enough data for a correlation yet.")
    elif lag == 0:
        reason = _(
            "No forecast: the best lag is 0, so the cause does not move before the effect "
            "and cannot tell what comes next."
        )
    elif hypothesis.status != HypothesisStatus.SUPPORTED:
        reason = _(
            "No forecast: a forecast is shown only for a supported hypothesis, and this one is "
            "%(status)s."
        ) % {"status": HypothesisStatus(hypothesis.status).label}
    elif not hypothesis.forecast or not backtest:
        reason = _("No forecast: the history is too short to fit and backtest one.")
    elif not backtest.get("beats_naive"):
        reason = _(
            "The forecast is hidden: in the backtest it does not beat the simple guess "
            "“same as last period”."
        )
    else:
        return {"shown": True, "reason": ""}
    return {"shown": False, "reason": reason}


def backtest_words(hypothesis: Hypothesis) -> str:
    backtest = hypothesis.backtest or {}
    if not backtest.get("origins"):
        return ""
    return _(
        "Backtest over %(origins)s periods of history: the forecast was off by %(mae)s %(unit)s "
        "on average (mean absolute error), against %(naive)s for “same as last period”."
    ) % {
        "origins": backtest["origins"],
        "mae": _n(backtest["mae"]),
        "naive": _n(backtest["naive_mae"]),
        "unit": hypothesis.effect.unit,
    }


def granger_words(hypothesis: Hypothesis) -> str:
    granger = hypothesis.granger or {}
    names = {"cause": hypothesis.cause.name, "effect": hypothesis.effect.name}
    if not granger:
        return ""
    if granger.get("reason") == "perfect_fit":
        return (
            _(
                "Granger test: %(effect)s is predicted exactly by its own past, so the test cannot "
                "tell what %(cause)s adds."
            )
            % names
        )
    if granger.get("reason") == "constant_series":
        return _("Granger test: one of the two series is constant over the periods in common.")
    if granger.get("p_value") is None:
        return _(
            "Granger test: not enough consecutive periods in common to run it "
            "(%(n)s at lag %(lag)s)."
        ) % {"n": granger.get("n", 0), "lag": granger.get("lag")}
    facts = {
        **names,
        "lag": granger["lag"],
        "f": _n(granger["f"], "2"),
        "p": _p(granger["p_value"]),
        "n": granger["n"],
    }
    if granger["p_value"] < ALPHA:
        return (
            _(
                "Granger test: past values of %(cause)s help predict %(effect)s beyond its own "
                "past, at lag %(lag)s (F = %(f)s, %(p)s, %(n)s periods)."
            )
            % facts
        )
    return (
        _(
            "Granger test: past values of %(cause)s do not clearly help predict %(effect)s "
            "beyond its own past, at lag %(lag)s (F = %(f)s, %(p)s, %(n)s periods)."
        )
        % facts
    )


def decision_words(hypothesis: Hypothesis, decider) -> str:
    """Which evidence decided the status, with its figures."""
    if hypothesis.status_source == StatusSource.EXPERIMENT:
        name = decider.name if decider else _("an experiment")
        return _(
            "Decided by the experiment “%(name)s”: its verdict comes before any correlation."
        ) % {"name": name}
    evidence = hypothesis.evidence or {}
    if hypothesis.status_source == StatusSource.CORRELATION and evidence.get("r") is not None:
        lags = hypothesis.max_lag + 1
        return _(
            "Decided by the lagged correlation: r = %(r)s at lag %(lag)s over %(n)s periods, "
            "%(p)s, or %(adjusted)s after allowing for the %(lags)s lags tried. Supported or "
            "refuted needs that below 0.05 and at least %(min_n)s periods."
        ) % {
            "r": _n(evidence["r"], "2"),
            "lag": evidence["best_lag"],
            "n": evidence["n"],
            "p": _p(evidence["p_value"]),
            "adjusted": _p(adjusted_p(evidence["p_value"], lags)),
            "lags": lags,
            "min_n": MIN_N,
        }
    return _("No evidence yet: the two series have too few periods in common.")


@role_required(Role.VIEWER)
def hypothesis_detail(request, pk: int):
    """A hypothesis: status and why, warnings, both series, r by lag, Granger, experiments."""
    organisation = request.membership.organisation
    hypothesis = selectors.hypothesis_by_id(organisation=organisation, hypothesis_id=pk)
    today = indicator_selectors.today_of(organisation)
    experiments = list(hypothesis.experiments.all())
    for experiment in experiments:
        experiment.provisional = not experiment.end < today
    evidence = hypothesis.evidence or {}
    forecast = forecast_state(hypothesis)
    series = selectors.series_of(hypothesis)
    has_series = bool(series["cause"] or series["effect"])
    series_figure = charts.series_figure(
        series=series,
        period=hypothesis.period,
        lag=evidence.get("best_lag") or 0,
        cause=hypothesis.cause,
        effect=hypothesis.effect,
        forecast=hypothesis.forecast if forecast["shown"] else None,
    )
    pattern = _url_pattern("experiment-detail")
    for experiment in experiments:
        experiment.url = pattern.format(experiment.pk)
    forest = charts.forest_figure(experiments, url_of=lambda e: e.url)
    decider = decided_by(hypothesis)
    context = {
        "hypothesis": hypothesis,
        "status_note": next(n["note"] for n in _status_notes() if n["status"] == hypothesis.status),
        "decision": decision_words(hypothesis, decider),
        "warnings": selectors.evidence_warnings(hypothesis),
        "forecast": forecast,
        "backtest": backtest_words(hypothesis),
        "granger": granger_words(hypothesis),
        "series_figure": indicator_charts.figure_json(series_figure) if has_series else None,
        "lag_figure": indicator_charts.figure_json(
            charts.lag_figure(
                evidence=hypothesis.evidence,
                differenced=hypothesis.evidence_differenced,
                max_lag=hypothesis.max_lag,
            )
        )
        if evidence.get("lags")
        else None,
        "forest_figure": indicator_charts.figure_json(forest) if forest else None,
        "experiments": experiments,
        "lag": evidence.get("best_lag"),
        "lags_tried": hypothesis.max_lag + 1,
        "legend": _status_notes(),
    }
    return page(request, "cpi/hypothesis_detail.html", context)


# --- an experiment ---------------------------------------------------------------------------


def effect_words(experiment) -> str:
    """ "fast-quote is 6.1 percentage points higher than control (95 % CI 2.0 to 10.2)"."""
    result = experiment.result or {}
    if result.get("effect") is None:
        return ""
    effect = result["effect"]
    facts = {
        "treatment": experiment.treatment,
        "control": experiment.control,
        "size": _n(abs(effect), "1"),
        "unit": charts.effect_unit(experiment),
        "low": _n(result["ci_low"], "1"),
        "high": _n(result["ci_high"], "1"),
        "name": experiment.indicator.name,
    }
    if effect > 0:
        text = _(
            "%(treatment)s scores %(size)s %(unit)s higher than %(control)s on %(name)s "
            "(95 %% CI %(low)s to %(high)s)."
        )
    elif effect < 0:
        text = _(
            "%(treatment)s scores %(size)s %(unit)s lower than %(control)s on %(name)s "
            "(95 %% CI %(low)s to %(high)s)."
        )
    else:
        text = _(
            "%(treatment)s and %(control)s score the same on %(name)s "
            "(95 %% CI %(low)s to %(high)s)."
        )
    return text % facts


def p_value_words(result: dict) -> str:
    p = result.get("p_value")
    if p is None:
        return ""
    if p < ALPHA:
        return _(
            "%(p)s: a difference this large would turn up by chance in fewer than "
            "%(percent)s %% of experiments if the two arms were really the same."
        ) % {"p": _p(p), "percent": _n(max(p * 100, 0.1), "-1")}
    return _(
        "%(p)s: a difference like this turns up by chance in %(percent)s %% of experiments "
        "even when the two arms are the same, so it may be noise."
    ) % {"p": _p(p), "percent": _n(p * 100, "0")}


def plan_words(experiment) -> str:
    plan = experiment.plan or {}
    if not plan:
        return ""
    if plan.get("mde") is None:
        return plan.get("reason") or ""
    unit = _("percentage points") if plan.get("basis") == "share" else experiment.indicator.unit
    return _(
        "With %(n)s per arm, the experiment can detect an effect of %(mde)s %(unit)s or more "
        "(80 %% power, 5 %% significance), judged from the measurements of %(start)s to %(end)s."
    ) % {
        "n": plan["n_per_arm"],
        "mde": _n(plan["mde"], "1"),
        "unit": unit,
        "start": formats.date_format(date.fromisoformat(plan["from"]), "DATE_FORMAT"),
        "end": formats.date_format(date.fromisoformat(plan["to"]), "DATE_FORMAT"),
    }


def _arm(experiment, name: str) -> dict:
    """An arm's n and its mean or share, for the arms table."""
    facts = (experiment.result or {}).get(name) or {}
    share = facts.get("share")
    value = share if share is not None else facts.get("mean")
    return {
        "name": getattr(experiment, name),
        "role": _("control") if name == "control" else _("treatment"),
        "n": facts.get("n"),
        "value": value,
        "unit": "%" if share is not None else experiment.indicator.unit,
        "base": facts.get("denominator"),
    }


@role_required(Role.VIEWER)
def experiment_detail(request, pk: int):
    """An experiment: arms, dates, the test, the effect in plain words, verdict, plan, chart."""
    organisation = request.membership.organisation
    experiment = selectors.experiment_by_id(organisation=organisation, experiment_id=pk)
    experiment.provisional = not experiment.end < indicator_selectors.today_of(organisation)
    result = experiment.result or {}
    forest = charts.forest_figure([experiment])
    context = {
        "experiment": experiment,
        "hypothesis": experiment.hypothesis,
        "result": result,
        "verdict": result.get("verdict"),
        "reason": reason_text(
            result.get("reason_code"), result.get("reason_params"), result.get("reason") or ""
        ),
        "effect": effect_words(experiment),
        "p_words": p_value_words(result),
        "plan": plan_words(experiment),
        "arms": [_arm(experiment, "control"), _arm(experiment, "treatment")],
        "test": {
            "welch_t": _("Welch's t-test on the measurements of the two arms"),
            "two_proportion_z": _("two-proportion z-test on the arms' shares"),
        }.get(result.get("test"), ""),
        "figure": indicator_charts.figure_json(forest) if forest else None,
    }
    return page(request, "cpi/experiment_detail.html", context)
