"""Comments on a period value: what happened that week, kept with who and when."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..compute.periods import period_start as start_of
from ..models import Indicator, Period, ValueComment

MAX_COMMENT_LENGTH = 2000


def add_comment(
    *, indicator: Indicator, period: str, period_start: date, author=None, text: str
) -> ValueComment:
    """Keep `text` about the value of `indicator` for the `period` starting on `period_start`.

    `author` None: an API-key client. Raises ValidationError naming the field when the text is
    empty or longer than 2,000 characters, the period unknown, or `period_start` not the first
    day of a `period` (a week starts on Monday); nothing is written then.
    """
    errors = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = _("Write a comment.")
    elif len(text) > MAX_COMMENT_LENGTH:
        errors["text"] = _("A comment has at most %(max)d characters (this one has %(n)d).") % {
            "max": MAX_COMMENT_LENGTH,
            "n": len(text),
        }
    if period not in Period.values:
        errors["period"] = _("Choose one of: %(periods)s.") % {"periods": ", ".join(Period.values)}
    elif not isinstance(period_start, date) or start_of(period_start, period) != period_start:
        errors["period_start"] = _("%(day)s is not the first day of a %(period)s.") % {
            "day": period_start,
            "period": Period(period).label,
        }
    if errors:
        raise ValidationError(errors)
    return ValueComment.objects.create(
        indicator=indicator, period=period, period_start=period_start, author=author, text=text
    )
