"""Survey numbers in plain words: a score with its interval, and a difference with its verdict.

"NPS 23 ± 6", "CSAT 81 % (76–85 %)", "CES 3.1 (2.9–3.3)"; below the survey's minimum n the
words say "too few answers" instead of a number. A difference reads "12 points higher than
Sales (5 to 19): a real difference" or "... cannot be told apart from noise".
"""

from datetime import date, timedelta

from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _

from .compute import CES, CSAT, LIKERT, NPS

HEADLINE_DAYS = 90  # a survey's headline score covers the 90 days up to its last response


def headline_windows(surveys: list, tz) -> dict[int, tuple[date, date]]:
    """{survey pk: the `HEADLINE_DAYS` days up to the day of its last response, inclusive} for
    the surveys (annotated with `last_submitted`) that have responses: a survey that runs in
    rounds (the engagement survey twice a year) is summed up by its latest round."""
    windows = {}
    for survey in surveys:
        if survey.last_submitted is not None:
            end = timezone.localtime(survey.last_submitted, tz).date()
            windows[survey.pk] = (end - timedelta(days=HEADLINE_DAYS - 1), end)
    return windows


def number(value, digits: int = 0) -> str:
    return "—" if value is None else floatformat(value, digits)


def _mean_digits(value) -> int:
    return 1 if value is None or abs(value) >= 1 else 2


def score_value(score) -> str:
    """The number alone, with its interval: "NPS 23 ± 6", "CSAT 81 % (76–85 %)"."""
    if score.score is None:
        return ""
    if score.type == NPS:
        return _("NPS %(score)s ± %(moe)s") % {
            "score": number(score.score),
            "moe": number(score.moe95),
        }
    if score.type == CSAT:
        return _("CSAT %(score)s %% (%(low)s–%(high)s %%)") % {
            "score": number(score.score),
            "low": number(score.ci_low),
            "high": number(score.ci_high),
        }
    facts = {"score": number(score.score, 1)}
    if score.ci_low is None:
        return (_("CES %(score)s") if score.type == CES else _("mean %(score)s")) % facts
    facts.update(low=number(score.ci_low, 1), high=number(score.ci_high, 1))
    if score.type == CES:
        return _("CES %(score)s (%(low)s–%(high)s)") % facts
    return _("mean %(score)s (%(low)s–%(high)s)") % facts


def score_words(score, min_n: int) -> dict:
    """{"value": the number in words or "", "note": too few / no answers / agree share, "n"}."""
    if score.n == 0:
        return {"value": "", "note": _("no answers yet"), "n": 0, "too_few": True}
    if score.too_few:
        note = _("%(n)s of the %(min_n)s answers needed") % {"n": score.n, "min_n": min_n}
        return {"value": "", "note": note, "n": score.n, "too_few": True}
    note = ""
    if score.type == LIKERT and score.top_box is not None:
        note = _("%(share)s %% in the top two boxes") % {"share": number(score.top_box)}
    return {"value": score_value(score), "note": note, "n": score.n, "too_few": False}


def _size(value: float, question_type: str) -> str:
    if question_type == NPS:
        return _("%(size)s points") % {"size": number(value)}
    if question_type == CSAT:
        return _("%(size)s percentage points") % {"size": number(value)}
    return number(value, _mean_digits(value))


def _bound(value: float, question_type: str) -> str:
    return number(value, 0 if question_type in (NPS, CSAT) else 2)


def difference_words(difference, question_type: str, reference: str) -> str:
    """ "12 points higher than Sales (5 to 19): a real difference"."""
    if difference is None:
        return _("too few answers to compare with %(reference)s") % {"reference": reference}
    facts = {
        "size": _size(abs(difference.estimate), question_type),
        "reference": reference,
        "low": _bound(difference.ci_low, question_type),
        "high": _bound(difference.ci_high, question_type),
    }
    if difference.estimate > 0:
        text = _("%(size)s higher than %(reference)s (95 %% interval %(low)s to %(high)s)")
    elif difference.estimate < 0:
        text = _("%(size)s lower than %(reference)s (95 %% interval %(low)s to %(high)s)")
    else:
        text = _("the same as %(reference)s (95 %% interval %(low)s to %(high)s)")
    verdict = (
        _("a real difference")
        if difference.distinguishable
        else _("cannot be told apart from noise")
    )
    return _("%(difference)s: %(verdict)s") % {"difference": text % facts, "verdict": verdict}
