"""The signal-vs-noise panel of the indicator page: natural process limits and their baseline.

Everyone reads the limits and the signals in plain words; analysts can "recalculate from here"
(move the baseline window), go back to the first points, change the number of points and switch
the 2-of-3 rule. The change goes through `services.update_indicator`, like the definition form.
"""

import math
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.pages import page, role_required

from .. import charts, selectors
from ..compute.spc import RUN_LENGTH
from ..models import Period
from ..services import update_indicator

MOST_SIGNALS_LISTED = 6
FORM_TO_SERVICE = {
    "baseline_from": "spc_baseline_from",
    "baseline_points": "spc_baseline_points",
    "two_of_three": "spc_two_of_three",
}


def _window_words(period: str, count: int, start: str) -> str:
    """ "the 20 weeks starting week 3, 2026" in the active language."""
    if period == "day":
        text = ngettext(
            "the %(count)s day starting %(start)s", "the %(count)s days starting %(start)s", count
        )
    elif period == "week":
        text = ngettext(
            "the %(count)s week starting %(start)s", "the %(count)s weeks starting %(start)s", count
        )
    elif period == "month":
        text = ngettext(
            "the %(count)s month starting %(start)s",
            "the %(count)s months starting %(start)s",
            count,
        )
    elif period == "quarter":
        text = ngettext(
            "the %(count)s quarter starting %(start)s",
            "the %(count)s quarters starting %(start)s",
            count,
        )
    else:
        text = ngettext(
            "the %(count)s year starting %(start)s", "the %(count)s years starting %(start)s", count
        )
    return text % {"count": count, "start": start}


def _label(iso: str, period: str) -> str:
    return charts.period_label(date.fromisoformat(iso), period)


def _number(value: float) -> str:
    """About three significant digits, never fewer than the integer part: 54.6, 0.0345, 9,128."""
    size = abs(value)
    decimals = 0 if size >= 100 or size == 0 else min(4, 2 - math.floor(math.log10(size)))
    shortest = f"{value:.{decimals}f}".rstrip("0").rstrip(".")  # 6.50 -> 6.5
    return floatformat(value, f"{len(shortest.partition('.')[2])}g")


def _limits_words(phase: dict, period: str, unit: str) -> dict:
    return {
        "lower": _number(phase["lower_limit"]),
        "upper": _number(phase["upper_limit"]),
        "unit": unit,
        "centre": _number(phase["centre"]),
        "window": _window_words(
            period, phase["baseline_points"], _label(phase["baseline_from"], period)
        ),
    }


def _phase_sentences(phases: list[dict], period: str, unit: str) -> list[str]:
    """One sentence per phase: where its limits lie and which values they come from."""
    if len(phases) == 1:
        [phase] = phases
        if phase["centre"] is None:
            return [_("Too few values for natural process limits yet: they need at least 2.")]
        return [
            _(
                "Natural process limits %(lower)s … %(upper)s %(unit)s (centre line %(centre)s), "
                "from %(window)s."
            )
            % _limits_words(phase, period, unit)
        ]
    earlier, later = phases
    split = _label(later["from"], period)
    if earlier["centre"] is None:
        before = _("Before %(start)s: too few values for limits of their own.") % {"start": split}
    else:
        before = _(
            "Before %(start)s: natural process limits %(lower)s … %(upper)s %(unit)s "
            "(centre line %(centre)s), from %(window)s."
        ) % {"start": split, **_limits_words(earlier, period, unit)}
    if later["centre"] is None:
        after = _("From %(start)s (recalculated): too few values for limits yet (at least 2).") % {
            "start": split
        }
    else:
        after = _(
            "From %(start)s (recalculated): natural process limits %(lower)s … %(upper)s "
            "%(unit)s (centre line %(centre)s), from %(window)s."
        ) % {"start": split, **_limits_words(later, period, unit)}
    return [before, after]


def _side(signal: str | None) -> str | None:
    """above_limit, run_above, two_of_three_above -> "above"; likewise "below"; else None."""
    return next((side for side in ("above", "below") if side in (signal or "")), None)


def _shift_start(values: dict) -> str | None:
    """Where the latest stretch of 8 or more signals on one side began (the process has probably
    moved there), when the latest value belongs to one; else None."""
    rows = [r for r in values["results"] if r["value"] is not None]
    sides = [_side(r.get("signal")) for r in rows]
    if not rows or sides[-1] is None:
        return None
    first = len(rows) - 1
    while first > 0 and sides[first - 1] == sides[-1]:
        first -= 1
    if len(rows) - first < RUN_LENGTH:
        return None
    return _label(rows[first]["period_start"], values["period"])


def _signal_items(values: dict) -> list[dict]:
    """The values that are signals, latest first, with the rule in plain words."""
    period = values["period"]
    return [
        {
            "label": _label(row["period_start"], period),
            "value": _number(row["value"]),
            "words": charts.SIGNAL_WORDS.get(row["signal"], row["signal"]),
        }
        for row in reversed(values["results"])
        if row.get("signal")
    ]


class SpcForm(forms.Form):
    """Where the baseline window starts, how many points it has, and the 2-of-3 rule."""

    baseline_from = forms.ChoiceField(label=gettext_lazy("Recalculate from"), required=False)
    baseline_points = forms.IntegerField(
        label=gettext_lazy("Points in the baseline"), min_value=2, max_value=1000
    )
    two_of_three = forms.BooleanField(
        label=gettext_lazy("Also mark 2 of 3 beyond 2 sigma"), required=False
    )

    def __init__(self, data=None, *, indicator, values: dict):
        super().__init__(
            data,
            initial={
                "baseline_from": indicator.spc_baseline_from.isoformat()
                if indicator.spc_baseline_from
                else "",
                "baseline_points": indicator.spc_baseline_points,
                "two_of_three": indicator.spc_two_of_three,
            },
            prefix="spc",
        )
        self.starts = [r["period_start"] for r in values["results"] if r["value"] is not None]
        choices = [("", _("the first values"))]
        choices += [(start, _label(start, values["period"])) for start in self.starts]
        current = self.initial["baseline_from"]
        if current and current not in self.starts:
            choices.append((current, date.fromisoformat(current).isoformat()))
        self.fields["baseline_from"].choices = choices
        self.back_to_first = bool(data and data.get("spc-first"))

    def clean_baseline_from(self) -> date | None:
        if self.back_to_first or not self.cleaned_data["baseline_from"]:
            return None
        start = self.cleaned_data["baseline_from"]
        if sum(1 for s in self.starts if s >= start) < 2:
            raise ValidationError(
                _("Fewer than 2 values from this period on: the limits need a window of 2 or more.")
            )
        return date.fromisoformat(start)

    def service_data(self) -> dict:
        return {FORM_TO_SERVICE[name]: value for name, value in self.cleaned_data.items()}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        by_service = {service: name for name, service in FORM_TO_SERVICE.items()}
        for field, messages in error.message_dict.items():
            self.add_error(by_service.get(field), messages)


def spc_panel(indicator, values: dict, form: SpcForm | None = None) -> dict:
    """Context for templates/indicators/_spc.html: the limits and the signals in words, and the
    form to move the baseline window (shown to analysts)."""
    period = values["period"]
    signals = _signal_items(values)
    query = {"period": period}
    if values.get("segment"):
        query["segment"] = values["segment"]
    return {
        "spc_indicator": indicator,
        "spc_sentences": _phase_sentences(values.get("limits") or [], period, indicator.unit)
        if values.get("limits")
        else [],
        "spc_has_limits": any(p["centre"] is not None for p in values.get("limits") or []),
        "spc_shift": _shift_start(values),
        "spc_signals": signals[:MOST_SIGNALS_LISTED],
        "spc_signal_count": len(signals),
        "spc_signals_more": max(len(signals) - MOST_SIGNALS_LISTED, 0),
        "spc_form": form or SpcForm(indicator=indicator, values=values),
        "spc_action": reverse("indicator-spc", args=[indicator.code]) + "?" + urlencode(query),
    }


def _shown_series(request, indicator) -> tuple[str, str]:
    period = request.GET.get("period")
    period = period if period in Period.values else indicator.period
    segment = request.GET.get("segment", "")
    if segment and segment not in selectors.segments_of(indicator=indicator):
        segment = ""
    return period, segment


@role_required(Role.ANALYST)
@require_POST
def spc_update(request, code: str):
    """Recalculate the limits from a chosen period (or from the first points again)."""
    indicator = selectors.indicator_by_code(organisation=request.membership.organisation, code=code)
    period, segment = _shown_series(request, indicator)
    values = selectors.indicator_values(indicator=indicator, period=period, segment=segment)
    form = SpcForm(request.POST, indicator=indicator, values=values)
    if form.is_valid():
        try:
            update_indicator(indicator=indicator, data=form.service_data())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _updated(request, code)
    context = {"indicator": indicator, **spc_panel(indicator, values, form)}
    if request.htmx:
        response = page(request, "indicators/_spc.html", context, status=400)
        response["HX-Retarget"] = "#spc-panel"
        response["HX-Reswap"] = "outerHTML"
        return response
    return page(request, "indicators/spc.html", {**context, "spc_standalone": True}, status=400)


def _updated(request, code: str):
    """The chart, table and panel again (htmx), or the indicator page."""
    if request.htmx:
        from .detail import indicator_detail  # the page's own view renders the partial

        return indicator_detail(request, code)
    url = reverse("indicator-detail", args=[code])
    return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
