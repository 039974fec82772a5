"""The values table of the indicator page: each value against target, last period and benchmark.

Built here rather than in a template loop: a day series has hundreds of rows, and the template
engine spent ~0.3 ms on each (about 200 ms for 18 months of days).
"""

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .indicators import ASSESSMENTS, SIGNALS, _text

ROW_HTML = (
    '<tr><td class="period">{}{}</td><td class="num value">{}</td>'
    "{}{}{}"
    '<td class="num hide-sm hide-md">{}</td>'
    '<td class="assessment"><span class="pill {}">{}</span></td><td class="hide-sm signal">{}</td>'
    '<td class="num hide-sm hide-md">{}</td>'
    "</tr>"
)
VS_HTML = (
    '<td class="num vs {}" title="{}"><span class="diff">{}</span>{}'
    '<span class="ref">{}</span></td>'
)
NO_VS = '<td class="num vs none"><span class="muted">—</span></td>'
# Which sign of (value - reference) is better, by the indicator's direction (in range: neither).
BETTER_SIGN = {"higher_is_better": 1, "lower_is_better": -1}


def _difference(diff: float, unit: str) -> tuple[str, int]:
    """ "+3.2 s" and the sign of the difference as shown (0 when it rounds to nothing)."""
    text = _text(abs(diff))
    if text == "0":
        return f"±0{' ' + unit if unit else ''}", 0
    sign = 1 if diff > 0 else -1
    return f"{'+' if sign > 0 else '−'}{text}{' ' + unit if unit else ''}", sign


def vs_cell(value, reference, *, unit: str, direction: str, words: dict, title: str) -> SafeString:
    """One "vs" cell: the difference with its sign and unit, (better)/(worse) by the direction,
    coloured, and the reference value below it."""
    if value is None or reference is None:
        return SafeString(NO_VS)
    shown, sign = _difference(value - reference, unit)
    better = BETTER_SIGN.get(direction)
    if sign == 0 or better is None:
        verdict = "same" if sign == 0 else "neutral"
    else:
        verdict = "better" if sign == better else "worse"
    word = words.get(verdict, "")
    return format_html(
        VS_HTML,
        verdict,
        title,
        shown,
        format_html(' <span class="word">({})</span>', word) if word else "",
        f"{_text(reference)}{' ' + unit if unit else ''}",
    )


def _cells(row: dict, context: dict) -> tuple:
    has_band = row["band_low"] is not None or row["band_high"] is not None
    assessment = row["assessment"] or "none"
    unit, direction, words = context["unit"], context["direction"], context["words"]
    vs = [
        vs_cell(
            row["value"],
            row[field],
            unit=unit,
            direction=direction,
            words=words,
            title=context["titles"][field],
        )
        for field in ("target", "previous", "benchmark")
    ]
    comments = context["comments"].get(row["period_start"], 0)
    return (
        row["label"],
        format_html(
            ' <a class="comment-count" href="#comments-{}" title="{}">{}</a>',
            row["period_start"],
            context["comment_title"],
            comments,
        )
        if comments
        else "",
        _text(row["value"], ""),
        *vs,
        f"{_text(row['band_low'], '−∞')} … {_text(row['band_high'], '∞')}" if has_band else "—",
        assessment,
        context["assessments"][assessment],
        context["signals"].get(row["signal"], ""),
        formats.localize(row["count"]),
    )


def values_table_body(
    rows: list[dict], *, unit: str = "", direction: str = "", comments: dict | None = None
) -> SafeString:
    """The <tr> rows of the values table in the order given; each row carries its `label`.

    `comments` maps an ISO period start to its number of comments (a link to them)."""
    context = {
        "unit": unit,
        "direction": direction,
        "comments": comments or {},
        "comment_title": _("Comments on this period"),
        "words": {"better": _("better"), "worse": _("worse")},
        "titles": {
            "target": _("Difference from the target"),
            "previous": _("Difference from the last period"),
            "benchmark": _("Difference from the benchmark"),
        },
        "assessments": {name: str(label) for name, label in ASSESSMENTS},
        "signals": {
            name: format_html('<span title="{}">{}</span>', title, label)
            for name, (label, title) in SIGNALS.items()
        },
    }
    return format_html_join("\n", ROW_HTML, (_cells(row, context) for row in rows))
