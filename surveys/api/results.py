"""Survey results: `GET /api/v1/surveys/{code}/results/` (DESIGN section 6).

One question's score overall and per segment of a background variable (`by`), each segment's
difference to a reference segment, and optionally a second period to compare with. The
serializers here describe the answer for the OpenAPI schema; the answer itself is
`QuestionResults.as_dict()`.
"""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import OrganisationScopedMixin, error
from core.dates import iso_date
from core.schema import error_response

from .. import selectors
from ..models import SCORED_TYPES
from .fields import SLUG_PATTERN

# What a survey code in the path may be (a slug); anything else is a 404 before any query.
# A background variable's name or value as a query parameter: not empty, no NUL (PostgreSQL
# text cannot hold one).
TEXT_PARAMETER = r"[^\x00]{1,200}"
USE_A_DATE = _("Use a date, YYYY-MM-DD.")


class DistributionPointSerializer(serializers.Serializer):
    value = serializers.IntegerField(help_text=_("A point of the question's scale."))
    count = serializers.IntegerField(help_text=_("Answers at that point."))


def _number(help_text=None):
    return serializers.FloatField(allow_null=True, help_text=help_text)


class ScoreSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text=_("Answers counted; skipped (null) answers are not."))
    score = _number(
        _("NPS in points -100..100, CSAT as the top-2-box percentage, CES and likert as the mean.")
    )
    ci_low = _number(_("Lower end of the 95 % interval of the score."))
    ci_high = _number(_("Upper end of the 95 % interval of the score."))
    too_few = serializers.BooleanField(help_text=_("n is below the survey's minimum n."))
    promoters = _number(_("NPS only: percentage of 9-10 answers."))
    passives = _number(_("NPS only: percentage of 7-8 answers."))
    detractors = _number(_("NPS only: percentage of 0-6 answers."))
    moe95 = _number(_("NPS only: 1.96 * 100 * sqrt(((p + d) - (p - d)^2) / n), in points."))
    top_box = _number(_("CSAT and likert: percentage of answers in the top two boxes."))
    distribution = DistributionPointSerializer(many=True, help_text=_("Every scale point."))


class DifferenceSerializer(serializers.Serializer):
    estimate = _number(_("This segment's (period's) score minus the reference's."))
    ci_low = _number()
    ci_high = _number()
    p_value = _number()
    distinguishable = serializers.BooleanField(
        help_text=_("The 95 % interval of the difference excludes 0.")
    )
    n_a = serializers.IntegerField()
    n_b = serializers.IntegerField()


class SegmentResultsSerializer(ScoreSerializer):
    segment = serializers.CharField(help_text=_("The background variable's value, as text."))
    difference = DifferenceSerializer(
        allow_null=True,
        help_text=_(
            "Minus the reference segment; null for the reference itself or below 2 answers."
        ),
    )


class PeriodComparisonSerializer(serializers.Serializer):
    overall = ScoreSerializer(help_text=_("The score in the comparison period."))
    difference = DifferenceSerializer(
        allow_null=True, help_text=_("The main period's score minus the comparison period's.")
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            allow_null=True, help_text=_("The comparison period's first day; null: open.")
        )
        fields["to"] = serializers.DateField(
            allow_null=True, help_text=_("The comparison period's last day; null: open.")
        )
        return fields


class SurveyResultsSerializer(serializers.Serializer):
    question = serializers.CharField(help_text=_("The question's code."))
    type = serializers.ChoiceField(choices=[(t.value, t.label) for t in SCORED_TYPES])
    overall = ScoreSerializer()
    segments = SegmentResultsSerializer(many=True, help_text=_("Empty without `by`."))
    reference = serializers.CharField(
        allow_null=True, help_text=_("The segment the others are compared with.")
    )
    min_n = serializers.IntegerField(help_text=_("The survey's minimum n."))
    comparison = PeriodComparisonSerializer(
        required=False, help_text=_("Only with compare_from and compare_to.")
    )


def _date(query, name: str, errors: dict):
    text = query.get(name)
    try:
        return None if text is None else iso_date(text)
    except ValueError:
        errors[name] = [USE_A_DATE]
        return None


def _text(query, name: str, errors: dict) -> str | None:
    text = query.get(name)
    if text is not None and not re.fullmatch(TEXT_PARAMETER, text):
        errors[name] = [_("Give a name of 1 to 200 characters.")]
        return None
    return text


class QuestionNotFound(Exception):
    """The survey has no such question (or none scored): a 404 naming `question`."""


def _question(query, survey, errors: dict):
    code = query.get("question")
    questions = list(survey.questions.all())
    if code is None:
        scored = [question for question in questions if question.scored]
        if not scored:
            raise QuestionNotFound(_("The survey has no scored question."))
        return scored[0]
    found = next((question for question in questions if question.code == code), None)
    if found is None:
        code = code.replace("\x00", "")[:50]
        raise QuestionNotFound(_("The survey has no question '%(code)s'.") % {"code": code})
    if not found.scored:
        errors["question"] = [_("A free-text question has no score.")]
    return found


def results_params(query, survey) -> dict:
    """The query's question, `by`, dates and comparison period; ValidationError naming each
    parameter at fault (a sent parameter must be valid, even empty). A range that starts after
    it ends holds no answer (n = 0), as in the values API; either end of the comparison period
    may be left open, like `from` and `to`."""
    errors: dict[str, list] = {}
    params = {
        "question": _question(query, survey, errors),
        "by": _text(query, "by", errors),
        "reference": _text(query, "reference", errors),
        "start": _date(query, "from", errors),
        "end": _date(query, "to", errors),
    }
    compare = (_date(query, "compare_from", errors), _date(query, "compare_to", errors))
    if errors:
        raise ValidationError(errors)
    asked = "compare_from" in query or "compare_to" in query
    params["compare"] = compare if asked else None
    return params


def _comparison(survey, params) -> dict:
    first, second = (params["start"], params["end"]), params["compare"]
    found = selectors.period_comparison(survey, params["question"], first=first, second=second)
    return {
        "from": second[0].isoformat() if second[0] else None,
        "to": second[1].isoformat() if second[1] else None,
        "overall": selectors.score_dict(found.second),
        "difference": selectors.difference_dict(found.difference),
    }


class SurveyResultsView(OrganisationScopedMixin, APIView):
    """One question's results, overall and per segment, with intervals."""

    @extend_schema(
        operation_id="v1_surveys_results_retrieve",
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.PATH, pattern=f"^{SLUG_PATTERN}$"),
            OpenApiParameter(
                "question",
                str,
                description=_("A scored question's code; default: the first scored question."),
            ),
            OpenApiParameter(
                "by",
                str,
                description=_("Cut by this background variable, e.g. unit or customer_contact."),
                pattern=f"^{TEXT_PARAMETER}$",
            ),
            OpenApiParameter(
                "reference",
                str,
                description=_(
                    "The segment the others are compared with (needs `by`); default: the one "
                    "with the most answers."
                ),
                pattern=f"^{TEXT_PARAMETER}$",
            ),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description=_("First local day, inclusive.")
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description=_("Last local day, inclusive.")),
            OpenApiParameter(
                "compare_from",
                OpenApiTypes.DATE,
                description=_("A second period to compare with: its first day (open without)."),
            ),
            OpenApiParameter(
                "compare_to",
                OpenApiTypes.DATE,
                description=_("The second period's last day (open without)."),
            ),
        ],
        responses={
            200: SurveyResultsSerializer,
            404: error_response("No such survey, or the survey has no such (scored) question."),
        },
    )
    def get(self, request, code):
        """The score of a question (NPS, CSAT, CES, likert) with its 95 % interval, overall and
        per segment of `by`, each segment's difference to the reference segment, and the
        difference to a second period when `compare_from` and `compare_to` are given."""
        survey = selectors.survey_of(self.get_organisation(), code)
        try:
            params = results_params(request.query_params, survey)
        except QuestionNotFound as missing:
            return Response({"errors": [error("question", str(missing))]}, status=404)
        results = selectors.question_results(
            survey,
            params["question"],
            by=params["by"],
            start=params["start"],
            end=params["end"],
            reference=params["reference"],
        )
        answer = results.as_dict()
        if params["compare"] is not None:
            answer["comparison"] = _comparison(survey, params)
        return Response(answer)
