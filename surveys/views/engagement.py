"""The engagement report: with and without customer contact, and the customer-focus index per
unit beside indicators measured per unit."""

from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.pages import page, role_required
from indicators.charts import figure_json, period_label

from .. import compute, engagement, engagement_charts, selectors
from ..models import QuestionType, SurveyKind

DECIMALS = {QuestionType.NPS: 0, QuestionType.CSAT: 0}  # means: 2


@role_required(Role.VIEWER)
@require_GET
def engagement_page(request, code: str):
    survey = selectors.survey_of(request.membership.organisation, code)
    if survey.kind != SurveyKind.ENGAGEMENT:
        raise Http404
    periods = engagement.report_periods(survey)
    period = engagement.chosen_period(periods, request.GET.get("period"))
    context = {
        "survey": survey,
        "period": period,
        "periods": [(p.key, _period_name(p)) for p in periods],
    }
    if period is not None:
        context["period_name"] = _period_name(period)
        context.update(_contact_context(survey, period))
        context.update(_focus_context(survey, period, request.GET.getlist("indicator")))
    return page(request, "surveys/engagement.html", context)


def _period_name(period) -> str:
    name = period_label(period.start, period.period)
    return name if period.period == "quarter" else _("%(year)s (whole year)") % {"year": name}


# --- with and without customer contact ---------------------------------------------------------


def _contact_context(survey, period) -> dict:
    groups = engagement.contact_groups(survey)
    rows = engagement.contact_comparison(survey, groups, period)
    by_scale: dict[tuple, list] = {}
    for row in rows:
        by_scale.setdefault((row.question.type, selectors.scale_of(row.question)), []).append(row)
    figures = []
    for position, ((question_type, scale), members) in enumerate(by_scale.items()):
        figure = engagement_charts.contact_figure(
            members, axis_title=_axis_title(question_type, scale), legend=not figures
        )
        if figure:
            figures.append({"id": f"contact-figure-{position}", "json": figure_json(figure)})
    return {
        "contact": groups,
        "contact_rows": [_contact_row(row) for row in rows],
        "contact_figures": figures,
    }


def _axis_title(question_type: str, scale: tuple[int, int]) -> str:
    if question_type == QuestionType.NPS:
        return _("NPS (points, −100 to 100)")
    if question_type == QuestionType.CSAT:
        return _("Share answering in the top two boxes (%)")
    return _("Mean answer (scale %(low)s–%(high)s)") % {"low": scale[0], "high": scale[1]}


def _number(value: float, question_type: str, signed: bool = False) -> str:
    text = formats.number_format(value, DECIMALS.get(question_type, 2), use_l10n=True)
    return f"+{text}" if signed and value > 0 else text.replace("-", "−")


def _score_text(score: compute.Score, question_type: str) -> str:
    if score.score is None:
        return _("no answers")
    if score.too_few:
        return _("too few answers (n = %(n)s)") % {"n": score.n}
    low = "—" if score.ci_low is None else _number(score.ci_low, question_type)
    high = "—" if score.ci_high is None else _number(score.ci_high, question_type)
    return _("%(score)s (%(low)s to %(high)s), n = %(n)s") % {
        "score": _number(score.score, question_type),
        "low": low,
        "high": high,
        "n": score.n,
    }


def _contact_row(row) -> dict:
    question_type = row.question.type
    difference = row.difference
    if difference is None:
        verdict, estimate = _("too few answers to compare"), ""
    else:
        estimate = _("%(estimate)s (%(low)s to %(high)s)") % {
            "estimate": _number(difference.estimate, question_type, signed=True),
            "low": _bound(difference.ci_low, question_type),
            "high": _bound(difference.ci_high, question_type),
        }
        verdict = _verdict(difference)
    return {
        "question": row.question,
        "with_contact": _score_text(row.with_contact, question_type),
        "without_contact": _score_text(row.without_contact, question_type),
        "difference": estimate,
        "verdict": verdict,
        "distinguishable": bool(difference and difference.distinguishable),
    }


def _bound(value, question_type: str) -> str:
    return "—" if value is None else _number(value, question_type, signed=True)


def _verdict(difference: compute.Difference) -> str:
    if not difference.distinguishable:
        return _("not distinguishable from noise: the interval includes 0")
    if difference.estimate > 0:
        return _("distinguishable from noise: higher with customer contact")
    return _("distinguishable from noise: lower with customer contact")


# --- the customer-focus index beside indicators per unit ---------------------------------------


def _focus_context(survey, period, wanted: list[str]) -> dict:
    units = engagement.unit_focus(survey, period)
    available = engagement.unit_indicators(survey)
    chosen = [i for i in available if i.code in wanted] or engagement.default_indicators(available)
    scatters = [engagement.scatter(survey, indicator, units, period) for indicator in chosen]
    values = {(s.indicator.code, point.unit): point.value for s in scatters for point in s.points}
    return {
        "focus_questions": engagement.focus_questions(survey),
        "units": [
            {
                "unit": unit,
                "values": [values.get((i.code, unit.unit)) for i in chosen],
            }
            for unit in units
        ],
        "available_indicators": available,
        "chosen_codes": [i.code for i in chosen],
        "chosen_indicators": chosen,
        "scatters": [_scatter_context(s, position) for position, s in enumerate(scatters)],
    }


def _y_title(indicator) -> str:
    return f"{indicator.name} ({indicator.unit})" if indicator.unit else indicator.name


def _scatter_context(scatter, position: int) -> dict:
    figure = engagement_charts.scatter_figure(scatter, y_title=_y_title(scatter.indicator))
    return {
        "indicator": scatter.indicator,
        "id": f"scatter-figure-{position}",
        "json": figure_json(figure) if figure else None,
        "correlation": scatter.correlation,
        "summary": _correlation_text(scatter.correlation),
        "reading": _correlation_reading(scatter.correlation, scatter.indicator.name),
        "small": scatter.correlation.few,
        "small_note": _small_note(scatter.correlation),
        "without_value": scatter.without_value,
    }


def _correlation_text(correlation: compute.Correlation) -> str:
    if correlation.r is None:
        return ngettext(
            "No correlation: %(n)s unit has both numbers; it takes at least 3 units that differ.",
            "No correlation: %(n)s units have both numbers; it takes at least 3 units that differ.",
            correlation.n,
        ) % {"n": correlation.n}
    return _("Pearson r = %(r)s, p %(p)s, n = %(n)s units.") % {
        "r": formats.number_format(correlation.r, 2, use_l10n=True).replace("-", "−"),
        "p": _p_text(correlation.p_value),
        "n": correlation.n,
    }


def _correlation_reading(correlation: compute.Correlation, name: str) -> str:
    """The correlation in words: a direction when p < ALPHA, else that it may be chance."""
    if correlation.r is None or correlation.p_value is None:
        return ""
    if correlation.p_value >= compute.ALPHA:
        return _(
            "No clear link between the index and %(name)s: a pattern like this among these "
            "units could be chance (p ≥ %(alpha)s)."
        ) % {"name": name, "alpha": formats.number_format(compute.ALPHA, 2, use_l10n=True)}
    if correlation.r > 0:
        return _("Units with a higher customer-focus index tend to have a higher %(name)s.") % {
            "name": name
        }
    return _("Units with a higher customer-focus index tend to have a lower %(name)s.") % {
        "name": name
    }


def _p_text(p_value: float | None) -> str:
    """ "= 0.017" or "< 0.001", in the active language's number format."""
    if p_value is None:
        return "= —"
    if p_value < 0.001:
        return "< " + formats.number_format(0.001, 3, use_l10n=True)
    return "= " + formats.number_format(p_value, 3, use_l10n=True)


def _small_note(correlation: compute.Correlation) -> str:
    if not correlation.few:
        return ""
    return _(
        "Few units (%(n)s, fewer than %(few)s): a correlation this strong can easily arise by "
        "chance among so few points. Read it as a hint to look into, not as a finding."
    ) % {"n": correlation.n, "few": compute.FEW_POINTS}
