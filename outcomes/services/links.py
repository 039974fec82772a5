"""The evidence of an arrow: a chain link cites the CPI -> KPI hypothesis that tests it.

A hypothesis fits the arrow `source` -> `target` when its cause measures the source node and
its effect measures the target node (each is one of that node's indicators). The chain page
colours the arrow by the hypothesis's status: proven (supported), refuted, or only drawn.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotFound

from ..models import ChainLink, NodeIndicator
from .status import lock_chain


def cite_hypothesis(*, link: ChainLink, hypothesis) -> ChainLink:
    """Let `link` cite `hypothesis` (None: cite nothing) and return the link as saved.

    Refused with a ValidationError naming `hypothesis`, nothing changed: a hypothesis of
    another organisation; one whose cause does not measure the link's source node or whose
    effect does not measure its target node (the message names both codes and both titles).
    """
    source, target = link.source, link.target
    with transaction.atomic():
        lock_chain(source.organisation)
        if hypothesis is not None:
            problems = fit_problems(source=source, target=target, hypothesis=hypothesis)
            if problems:
                raise ValidationError({"hypothesis": problems})
        # The link may have gone with a node edited meanwhile: the lock orders us after it.
        if not ChainLink.objects.filter(pk=link.pk).update(hypothesis=hypothesis):
            raise NotFound(f"No chain link {link.pk}.")
    link.hypothesis = hypothesis
    return link


def fit_problems(*, source, target, hypothesis) -> list[str]:
    """Why `hypothesis` cannot be cited on the arrow `source` -> `target` ([] when it fits)."""
    if hypothesis.organisation_id != source.organisation_id:
        return [_("The hypothesis belongs to another organisation.")]
    measured = set(
        NodeIndicator.objects.filter(node__in=[source.pk, target.pk]).values_list(
            "node_id", "indicator_id"
        )
    )
    words = {
        "cause": hypothesis.cause.code,
        "effect": hypothesis.effect.code,
        "source": source.title,
        "target": target.title,
    }
    problems = []
    if (source.pk, hypothesis.cause_id) not in measured:
        problems.append(
            _(
                "The hypothesis %(cause)s -> %(effect)s does not fit the arrow “%(source)s” -> "
                "“%(target)s”: its cause %(cause)s does not measure “%(source)s”."
            )
            % words
        )
    if (target.pk, hypothesis.effect_id) not in measured:
        problems.append(
            _(
                "The hypothesis %(cause)s -> %(effect)s does not fit the arrow “%(source)s” -> "
                "“%(target)s”: its effect %(effect)s does not measure “%(target)s”."
            )
            % words
        )
    return problems
