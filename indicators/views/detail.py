"""The indicator page: chart, values against target / last period / benchmark, stale data and the
comments on its values."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.pages import page, role_required

from .. import charts, selectors, services, sources
from ..compute.periods import next_period_start
from ..compute.stale import due_by, grace_days
from ..models import Period
from ..services.comments import MAX_COMMENT_LENGTH
from .spc import spc_panel
from .values_table import values_table_body


class CommentForm(forms.Form):
    """A comment on one period value; the service decides what is valid."""

    period = forms.ChoiceField(choices=Period.choices, widget=forms.HiddenInput)
    period_start = forms.DateField(label=gettext_lazy("Period"), widget=forms.Select)
    text = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": gettext_lazy("What happened in this period?")}
        ),
    )

    def __init__(self, *args, period_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period_start"].widget.choices = period_choices


def _segment_choice(request, segments: list[str]) -> str:
    segment = request.GET.get("segment", "")
    return segment if segment in segments else ""


def stale_notice(indicator, today: date) -> dict | None:
    """What the page says about a stale indicator: since when, and what was due by when."""
    latest = selectors.latest_start_of(indicator)
    if not selectors.is_stale(indicator, latest, today):
        return None
    missing = next_period_start(latest, indicator.period)
    return {
        "since": charts.period_label(latest, indicator.period),
        "missing": charts.period_label(missing, indicator.period),
        "due": due_by(
            latest, indicator.period, grace_days(indicator.period, indicator.stale_grace_days)
        ),
    }


def _comment_groups(comments, period: str) -> list[dict]:
    """Comments by period, newest period first, oldest comment first within one."""
    groups: dict[date, list] = {}
    for comment in comments:
        groups.setdefault(comment.period_start, []).append(comment)
    return [
        {"start": start, "label": charts.period_label(start, period), "comments": items}
        for start, items in sorted(groups.items(), reverse=True)
    ]


def _detail_context(request, indicator, *, comment_form=None) -> dict:
    query = request.GET if request.method == "GET" else request.POST
    period = query.get("period")
    period = period if period in Period.values else indicator.period
    segments = selectors.segments_of(indicator=indicator)
    segment = _segment_choice(request, segments) if request.method == "GET" else ""
    values = selectors.indicator_values(indicator=indicator, period=period, segment=segment)
    comments = list(selectors.comments_of(indicator=indicator, period=period))
    rows = [
        {**row, "label": charts.period_label(date.fromisoformat(row["period_start"]), period)}
        for row in values["results"]
    ]
    counts: dict[str, int] = {}
    for comment in comments:
        key = comment.period_start.isoformat()
        counts[key] = counts.get(key, 0) + 1
    marks = [
        {
            "period_start": c.period_start.isoformat(),
            "text": c.text,
            "author": c.author.username if c.author_id else None,
        }
        for c in comments
    ]
    figure = charts.figure_json(
        charts.indicator_figure(values=values, unit=indicator.unit, comments=marks)
    )
    newest_first = list(reversed(rows))
    choices = [(row["period_start"], row["label"]) for row in newest_first]
    if comment_form is None:
        comment_form = CommentForm(
            initial={"period": period, "period_start": choices[0][0] if choices else None},
            period_choices=choices,
        )
    else:
        comment_form.fields["period_start"].widget.choices = choices
    return {
        "indicator": indicator,
        "band": selectors.band_in_force(indicator=indicator),
        "period": period,
        "periods": Period.choices,
        "segment": segment,
        "segments": segments,
        "table_body": values_table_body(
            newest_first, unit=indicator.unit, direction=indicator.direction, comments=counts
        ),
        "figure": figure,
        "has_values": bool(rows),
        "stale": stale_notice(indicator, selectors.today_of(indicator.organisation)),
        "comment_groups": _comment_groups(comments, period),
        "comment_form": comment_form,
        # Where the numbers come from (apps above register their sources): the whole page only.
        "sources": [] if request.htmx else sources.sources_of(indicator),
        **spc_panel(indicator, values),
    }


@role_required(Role.VIEWER)
def indicator_detail(request, code: str):
    organisation = request.membership.organisation
    indicator = selectors.indicator_by_code(organisation=organisation, code=code)
    context = _detail_context(request, indicator)
    template = "indicators/_values.html" if request.htmx else "indicators/detail.html"
    return page(request, template, context)


@require_POST
@role_required(Role.VIEWER)
def comment_create(request, code: str):
    """Anyone with access comments on a period value; back to the page, or its form errors."""
    organisation = request.membership.organisation
    indicator = selectors.indicator_by_code(organisation=organisation, code=code)
    form = CommentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_comment(indicator=indicator, author=request.user, **data)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            url = reverse("indicator-detail", args=[indicator.code])
            if data["period"] != indicator.period:
                url += "?" + urlencode({"period": data["period"]})
            return redirect(url + f"#comments-{data['period_start'].isoformat()}")
    context = _detail_context(request, indicator, comment_form=form)
    return page(request, "indicators/detail.html", context, status=400)
