"""Surveys, their questions with explicit scales, and the responses that arrive in bulk.

A question's scale is explicit: NPS 0..10, CSAT 1..5 by default (scored as the share of the top
two boxes), CES 1..7 by default (scored as the mean), likert any min..max (mean and top-2 box),
and free text (stored, never scored). A response is one respondent's answers to one survey, unique
on (survey, respondent): a resend changes nothing, a changed answer updates the row and keeps the
old one as a revision. A skipped answer is stored as null and never counted in n.

A question may feed an indicator: each of its answers becomes a measurement of that indicator
(keyed by survey, question and respondent), so every period's score reaches PeriodValue through
the ordinary ingest and recompute path, with n as the period's count.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

INDICATOR = "indicators.Indicator"  # by name: other apps' models are not part of their surface
DEFAULT_MIN_N = 30
LANGUAGES = ("en", "sv", "fi")


class SurveyKind(models.TextChoices):
    CUSTOMER = "customer", _("customer survey")
    ENGAGEMENT = "engagement", _("engagement survey")


class QuestionType(models.TextChoices):
    NPS = "nps", _("NPS (0-10)")
    CSAT = "csat", _("CSAT (top-2 box)")
    CES = "ces", _("CES (mean effort)")
    LIKERT = "likert", _("likert scale")
    TEXT = "text", _("free text")


# The default scale of each scored type; NPS has no other.
DEFAULT_SCALES = {
    QuestionType.NPS: (0, 10),
    QuestionType.CSAT: (1, 5),
    QuestionType.CES: (1, 7),
}
SCORED_TYPES = (QuestionType.NPS, QuestionType.CSAT, QuestionType.CES, QuestionType.LIKERT)


class QuestionGroup(models.TextChoices):
    """The part of a survey a question belongs to; the engagement report reads the groups."""

    NONE = "", _("none")
    ENGAGEMENT = "engagement", _("engagement")
    CUSTOMER_FOCUS = "customer_focus", _("customer focus")


class Survey(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="surveys")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=12, choices=SurveyKind.choices, default=SurveyKind.CUSTOMER
    )
    description = models.TextField(_("description"), blank=True)
    min_n = models.PositiveIntegerField(
        _("minimum number of answers"),
        default=DEFAULT_MIN_N,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("Below this many answers a score is flagged as too few answers."),
    )
    unit_attribute = models.CharField(
        _("unit attribute"),
        max_length=50,
        default="unit",
        help_text=_("The background variable that names the respondent's unit."),
    )
    contact_attribute = models.CharField(
        _("customer contact attribute"),
        max_length=50,
        default="customer_contact",
        help_text=_("The background variable that says whether the respondent meets customers."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="survey_code_unique_in_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("code"), max_length=50)
    type = models.CharField(_("type"), max_length=8, choices=QuestionType.choices)
    text = models.CharField(_("wording"), max_length=500)
    # The wording in other languages, {language: wording}; `text` is used where one is missing.
    texts = models.JSONField(_("wording per language"), default=dict, blank=True)
    scale_min = models.IntegerField(_("scale minimum"), null=True, blank=True)
    scale_max = models.IntegerField(_("scale maximum"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    group = models.CharField(
        _("group"), max_length=20, choices=QuestionGroup.choices, blank=True, default=""
    )
    # Feeding an indicator: every answer becomes a measurement of it (see the module docstring).
    indicator = models.ForeignKey(
        INDICATOR,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_questions",
        verbose_name=_("feeds indicator"),
    )
    # Attributes whose values become the measurements' segment, e.g. ["unit"].
    segment_by = models.JSONField(_("segment the indicator by"), default=list, blank=True)

    class Meta:
        ordering = ["survey", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique"),
            models.CheckConstraint(
                condition=Q(scale_min__isnull=True)
                | Q(scale_max__isnull=True)
                | Q(scale_min__lt=F("scale_max")),
                name="question_scale_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.code}.{self.code}"

    @property
    def scored(self) -> bool:
        return self.type in SCORED_TYPES

    def wording(self, language: str | None = None) -> str:
        """The wording in `language` (default: the active one), else the default wording."""
        language = (language or get_language() or "en")[:2]
        return self.texts.get(language) or self.text


class Response(models.Model):
    id = models.BigAutoField(primary_key=True)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    respondent = models.CharField(_("respondent"), max_length=200)
    submitted_at = models.DateTimeField(_("submitted at"))
    local_date = models.DateField()  # submitted_at's date in the organisation's time zone
    # Background variables, flat: {name: string}; numbers arrive as numbers and are kept as text.
    attributes = models.JSONField(_("background variables"), default=dict, blank=True)
    # {question code: number, text or null (skipped)}
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent"], name="response_respondent_unique"
            )
        ]
        indexes = [models.Index(fields=["survey", "local_date"], name="response_survey_day")]

    def __str__(self) -> str:
        return f"{self.respondent} {self.submitted_at:%Y-%m-%d}"


class ResponseRevision(models.Model):
    """A response as it was before a resend changed it."""

    id = models.BigAutoField(primary_key=True)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="revisions")
    submitted_at = models.DateTimeField()
    attributes = models.JSONField(default=dict)
    answers = models.JSONField(default=dict)
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ["-replaced_at", "-pk"]

    def __str__(self) -> str:
        return f"revision of response {self.response_id} at {self.replaced_at:%Y-%m-%d %H:%M}"
