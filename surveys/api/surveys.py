"""Surveys: the serializers (questions nested, indicators by code) and the viewset by `code`.

Serializers check the shape; `services.create_survey` / `update_survey` decide the meaning
(scales, bindings, codes taken) and name the field at fault, e.g. `questions.2.scale_max`.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from core.api import OrganisationScopedMixin
from core.filters import StrictFilterSet

from .. import selectors, services
from ..models import Question, QuestionGroup, QuestionType, Survey, SurveyKind
from ..schema import SURVEY_CHANGES_EXAMPLE, SURVEY_EXAMPLE
from ..services.surveys import MAX_QUESTIONS, MAX_SEGMENT_BY, MIN_N_MAX, SCALE_LIMIT
from .fields import (
    SLUG_PATTERN,
    CodeField,
    JsonIntegerField,
    JsonStringField,
    SlugCodeField,
    TextsSerializer,
    WholePartSerializer,
    WordingField,
)

CODE_PARAMETER = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=f"^{SLUG_PATTERN}$",
    description=_("The survey's code."),
)


def _scale_end(help_text):
    return JsonIntegerField(
        required=False,
        allow_null=True,
        min_value=-SCALE_LIMIT,
        max_value=SCALE_LIMIT,
        help_text=help_text,
    )


class QuestionSerializer(WholePartSerializer):
    code = SlugCodeField(help_text=_("Stable: answers name their question by it."))
    text = WordingField(help_text=_("The wording used where a language has none of its own."))
    texts = TextsSerializer(required=False, help_text=_("The wording per language (en, sv, fi)."))
    type = serializers.ChoiceField(choices=QuestionType.choices)
    scale_min = _scale_end(_("nps: 0 only; csat 1 and ces 1 by default; likert: required."))
    scale_max = _scale_end(_("nps: 10 only; csat 5 and ces 7 by default; likert: required."))
    position = serializers.IntegerField(read_only=True)
    group = serializers.ChoiceField(choices=QuestionGroup.choices, required=False)
    indicator = CodeField(
        max_length=63,
        required=False,
        allow_null=True,
        help_text=_(
            "The code of an indicator (aggregated as a mean or a ratio) that every answer "
            "feeds as a measurement; null: none."
        ),
    )
    segment_by = serializers.ListField(
        child=SlugCodeField(),
        required=False,
        max_length=MAX_SEGMENT_BY,
        help_text=_("Attributes whose values become the measurements' segment."),
    )


class QuestionChangesSerializer(QuestionSerializer):
    """A question in PATCH: a known code changes it, a new one adds it (then text and type are
    required)."""

    text = WordingField(required=False)
    type = serializers.ChoiceField(choices=QuestionType.choices, required=False)


class SurveySerializer(serializers.Serializer):
    code = SlugCodeField(help_text=_("Unique in the organisation; the survey's address."))
    name = JsonStringField(max_length=200)
    kind = serializers.ChoiceField(choices=SurveyKind.choices, required=False)
    description = JsonStringField(required=False, allow_blank=True, max_length=10_000)
    min_n = JsonIntegerField(
        required=False,
        min_value=1,
        max_value=MIN_N_MAX,
        help_text=_("Below this many answers a score is flagged too_few (default 30)."),
    )
    unit_attribute = SlugCodeField(
        required=False, help_text=_("The attribute that names the respondent's unit.")
    )
    contact_attribute = SlugCodeField(
        required=False,
        help_text=_("The attribute that says whether the respondent meets customers."),
    )
    questions = QuestionSerializer(many=True, min_length=1, max_length=MAX_QUESTIONS)
    response_count = serializers.IntegerField(read_only=True)
    last_submitted = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, survey: Survey) -> dict:
        return {
            "code": survey.code,
            "name": survey.name,
            "kind": survey.kind,
            "description": survey.description,
            "min_n": survey.min_n,
            "unit_attribute": survey.unit_attribute,
            "contact_attribute": survey.contact_attribute,
            "questions": [question_answer(q) for q in survey.questions.all()],
            "response_count": _response_count(survey),
            "last_submitted": _last_submitted(survey),
            "created_at": serializers.DateTimeField().to_representation(survey.created_at),
            "updated_at": serializers.DateTimeField().to_representation(survey.updated_at),
        }


class SurveyChangesSerializer(SurveySerializer):
    """What PATCH documents: every field but `code`, which names the survey for good;
    `questions` are matched by code (a new code adds a question, an absent one stays)."""

    code = None
    questions = QuestionChangesSerializer(many=True, required=False, max_length=MAX_QUESTIONS)


def question_answer(question: Question) -> dict:
    return {
        "code": question.code,
        "text": question.text,
        "texts": dict(question.texts),
        "type": question.type,
        "scale_min": question.scale_min,
        "scale_max": question.scale_max,
        "position": question.position,
        "group": question.group,
        "indicator": question.indicator.code if question.indicator_id else None,
        "segment_by": list(question.segment_by),
    }


def _response_count(survey: Survey) -> int:
    count = getattr(survey, "response_count", None)
    return survey.responses.count() if count is None else count


def _last_submitted(survey: Survey):
    if hasattr(survey, "last_submitted"):
        last = survey.last_submitted
    else:
        last = survey.responses.order_by("-submitted_at").values_list("submitted_at").first()
        last = last[0] if last else None
    return None if last is None else serializers.DateTimeField().to_representation(last)


class SurveyFilter(StrictFilterSet):
    class Meta:
        model = Survey
        fields = ["kind"]


QUESTIONS = Prefetch("questions", queryset=Question.objects.select_related("indicator"))


@extend_schema_view(
    retrieve=extend_schema(parameters=[CODE_PARAMETER]),
    destroy=extend_schema(parameters=[CODE_PARAMETER]),
)
class SurveyViewSet(
    OrganisationScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Surveys of the caller's organisation with their questions, addressed by `code`."""

    serializer_class = SurveySerializer
    lookup_field = "code"
    # Only what can be a code: anything else (a NUL, which PostgreSQL cannot compare) is a 404.
    lookup_value_regex = SLUG_PATTERN
    filterset_class = SurveyFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        surveys = selectors.surveys_of(self.get_organisation())
        if self.action == "list":
            surveys = surveys.prefetch_related(QUESTIONS)
        return surveys.order_by("code")

    def get_serializer_class(self):
        return SurveyChangesSerializer if self.action == "partial_update" else SurveySerializer

    def get_object(self):
        return selectors.survey_of(self.get_organisation(), self.kwargs["code"])

    @extend_schema(examples=[SURVEY_EXAMPLE])
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(
        request=SurveyChangesSerializer,
        examples=[SURVEY_CHANGES_EXAMPLE],
        parameters=[CODE_PARAMETER],
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def perform_create(self, serializer):
        survey = services.create_survey(self.get_organisation(), _service_data(serializer))
        serializer.instance = selectors.survey_of(self.get_organisation(), survey.code)

    def perform_update(self, serializer):
        survey = services.update_survey(serializer.instance, _service_data(serializer))
        serializer.instance = selectors.survey_of(self.get_organisation(), survey.code)

    def perform_destroy(self, instance):
        services.delete_survey(instance)


def _service_data(serializer) -> dict:
    """Validated data as the service takes it: plain dicts, `texts` without empty wordings."""
    data = dict(serializer.validated_data)
    if "questions" in data:
        data["questions"] = [dict(question) for question in data["questions"]]
        for question in data["questions"]:
            if "texts" in question:
                question["texts"] = dict(question["texts"])
    return data
