"""Forms of the survey settings and templates pages. They only shape input: `update_survey`,
`create_from_template` and `bind_question`'s rules decide, exactly as for the API, and their
ValidationError comes back on the field it names (`questions.2.indicator` lands on the third
question's indicator select).

A question's indicator select offers the organisation's indicators that the feed's own rule
(`feed.binding_problems`) accepts for the question's type, and the one it feeds now; any other
indicator of the organisation is passed on for the service to refuse with its reason.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LANGUAGES, QuestionGroup, QuestionType
from .services import feed

LANGUAGE_NAMES = {"en": "English", "sv": "svenska", "fi": "suomi"}
NO_INDICATOR = ("", _("— feeds no indicator —"))


def language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


def indicator_label(indicator) -> str:
    """“Net Promoter Score (nps) · mean, points”: what an analyst needs to tell them apart."""
    facts = ", ".join(
        str(fact) for fact in (indicator.get_aggregation_display(), indicator.unit) if fact
    )
    return f"{indicator.name} ({indicator.code}) · {facts}" if facts else indicator.name


class SurveySettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), strip=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown under the survey's name on its pages."),
    )
    min_n = forms.IntegerField(
        label=_("Minimum number of answers"),
        help_text=_(
            "Below this many answers a score is not shown, only “too few answers”: its interval "
            "would say too little."
        ),
    )
    unit_attribute = forms.CharField(
        label=_("Unit attribute"),
        help_text=_("The background variable that names the respondent's unit, e.g. unit."),
    )
    contact_attribute = forms.CharField(
        label=_("Customer contact attribute"),
        help_text=_(
            "The background variable that says whether the respondent meets customers (yes/no)."
        ),
    )

    FIELDS = ("name", "description", "min_n", "unit_attribute", "contact_attribute")

    @classmethod
    def initial_for(cls, survey) -> dict:
        return {name: getattr(survey, name) for name in cls.FIELDS}

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class QuestionForm(forms.Form):
    """One existing question: its wording, group, feed, and its type and scale while the survey
    has no responses (`locked`: shown, not sent)."""

    text = forms.CharField(
        label=_("Wording (default)"),
        strip=False,
        help_text=_("Used in any language that has no wording of its own."),
    )
    text_en = forms.CharField(label=_("Wording in English"), required=False, strip=False)
    text_sv = forms.CharField(label=_("Wording in Swedish"), required=False, strip=False)
    text_fi = forms.CharField(label=_("Wording in Finnish"), required=False, strip=False)
    group = forms.ChoiceField(label=_("Group"), choices=QuestionGroup.choices, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    scale_min = forms.IntegerField(label=_("Scale minimum"), required=False)
    scale_max = forms.IntegerField(label=_("Scale maximum"), required=False)
    indicator = forms.ChoiceField(
        label=_("Feeds the indicator"),
        required=False,
        help_text=_(
            "Choose an indicator that measures this question's score (an NPS, a satisfaction "
            "share, …): the answers are added to whatever measurements it already has."
        ),
    )
    segment_by = forms.MultipleChoiceField(
        label=_("Segment the indicator by"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "At most 3 background variables: each measurement carries the respondent's values "
            "of them, so the indicator is also shown per unit, channel, …"
        ),
    )

    SCALE_FIELDS = ("type", "scale_min", "scale_max")

    def __init__(self, *args, question, indicators, attributes, locked: bool, **kwargs):
        kwargs.setdefault("initial", self.initial_for(question))
        super().__init__(*args, **kwargs)
        self.question, self.locked = question, locked
        self.fields["type"].disabled = self.fields["scale_min"].disabled = locked
        self.fields["scale_max"].disabled = locked
        if not question.scored:
            del self.fields["indicator"], self.fields["segment_by"]
            return
        self.known_codes = {indicator.code for indicator in indicators}
        posted = self.data.get(self.add_prefix("indicator")) if self.is_bound else None
        offered = [
            indicator
            for indicator in indicators
            if not feed.binding_problems(question, indicator, [])
            or indicator.pk == question.indicator_id
            or indicator.code == posted
        ]
        self.fields["indicator"].choices = [
            NO_INDICATOR,
            *[(i.code, indicator_label(i)) for i in offered],
        ]
        self.fields["indicator"].valid_value = lambda value: value in self.known_codes
        names = sorted({*attributes, *question.segment_by})
        self.fields["segment_by"].choices = [(name, name) for name in names]

    @staticmethod
    def initial_for(question) -> dict:
        return {
            "text": question.text,
            **{f"text_{language}": question.texts.get(language, "") for language in LANGUAGES},
            "group": question.group,
            "type": question.type,
            "scale_min": question.scale_min,
            "scale_max": question.scale_max,
            "indicator": question.indicator.code if question.indicator_id else "",
            "segment_by": list(question.segment_by),
        }

    @property
    def feeds(self) -> bool:
        return "indicator" in self.fields

    def service_item(self) -> dict:
        """The question as `update_survey` takes it: wording and group always, the type and
        scale only when changed (a new type starts from its default scale), the feed."""
        data, question = self.cleaned_data, self.question
        item = {
            "code": question.code,
            "text": data["text"],
            "texts": {language: data[f"text_{language}"] for language in LANGUAGES},
            "group": data["group"] or "",
        }
        if not self.locked:
            for name in self.SCALE_FIELDS:
                if data[name] != getattr(question, name):
                    item[name] = data[name]
        if self.feeds:
            item["indicator"] = data["indicator"] or None
            item["segment_by"] = list(data["segment_by"]) if data["indicator"] else []
        return item

    ALIASES = {"texts.en": "text_en", "texts.sv": "text_sv", "texts.fi": "text_fi"}


class NewQuestionForm(forms.Form):
    """A question added from the settings page, after the others."""

    code = forms.CharField(
        label=_("Code"),
        help_text=_("1-50 letters, digits, - or _; the answers name their question by it."),
    )
    type = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    text = forms.CharField(label=_("Wording"), strip=False)
    scale_min = forms.IntegerField(label=_("Scale minimum"), required=False)
    scale_max = forms.IntegerField(
        label=_("Scale maximum"),
        required=False,
        help_text=_(
            "A likert question needs both ends (e.g. 1 and 5). NPS is always 0-10, CSAT 1-5 and "
            "CES 1-7 unless you give other ends; free text has no scale."
        ),
    )

    ALIASES: dict = {}

    def __init__(self, *args, taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.taken = set(taken)

    def clean_code(self):
        # `update_survey` changes the question a known code names: here that would overwrite it.
        code = self.cleaned_data["code"]
        if code in self.taken:
            raise forms.ValidationError(
                _(
                    "The survey already has a question “%(code)s”: change it above, or choose "
                    "another code."
                ),
                params={"code": code},
            )
        return code

    def service_item(self) -> dict:
        data = self.cleaned_data
        item = {"code": data["code"], "type": data["type"], "text": data["text"]}
        for name in ("scale_min", "scale_max"):
            if data[name] is not None:
                item[name] = data[name]
        return item


class TemplateForm(forms.Form):
    """A new survey from a ready template: its code, name and the language of its wording."""

    code = forms.CharField(
        label=_("Code"),
        help_text=_("The survey's address and the name your survey tool uses; it cannot change."),
    )
    name = forms.CharField(label=_("Name"))
    language = forms.ChoiceField(
        label=_("Default language"),
        choices=language_choices,
        help_text=_("The wording used where a language has none; all three are kept."),
    )
