"""The filters of the results page and the response browser, as forms over the query string."""

from django import forms
from django.utils.translation import gettext_lazy as _


def _date(label) -> forms.DateField:
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class _Period(forms.Form):
    """`from` and `to` (inclusive local dates); from after to is refused."""

    def __init__(self, data, *, attributes: list[str]):
        super().__init__(data)
        self.fields["from"] = _date(_("From"))
        self.fields["to"] = _date(_("To"))
        self.attributes = attributes

    def _check_order(self, cleaned: dict, start: str, end: str) -> None:
        if cleaned.get(start) and cleaned.get(end) and cleaned[start] > cleaned[end]:
            self.add_error(end, _("The end date comes before the start date."))


class ResultsFilter(_Period):
    def __init__(self, data, *, attributes: list[str]):
        super().__init__(data, attributes=attributes)
        self.fields["by"] = forms.ChoiceField(
            label=_("Cut by"),
            required=False,
            choices=[("", _("no cut: everyone together")), *((a, a) for a in attributes)],
        )
        self.fields["reference"] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.fields["compare_from"] = _date(_("Compare with: from"))
        self.fields["compare_to"] = _date(_("to"))

    def clean(self):
        cleaned = super().clean()
        self._check_order(cleaned, "from", "to")
        self._check_order(cleaned, "compare_from", "compare_to")
        if bool(cleaned.get("compare_from")) != bool(cleaned.get("compare_to")):
            self.add_error(
                "compare_to", _("A period to compare with needs both its start and its end.")
            )
        return cleaned


class ResponsesFilter(_Period):
    def __init__(self, data, *, attributes: list[str]):
        super().__init__(data, attributes=attributes)
        self.fields["attribute"] = forms.ChoiceField(
            label=_("Background variable"),
            required=False,
            choices=[("", _("any")), *((name, name) for name in attributes)],
        )
        self.fields["value"] = forms.CharField(label=_("equals"), required=False, max_length=200)
        self.fields["respondent"] = forms.CharField(
            label=_("Respondent"), required=False, max_length=200
        )

    def clean(self):
        cleaned = super().clean()
        self._check_order(cleaned, "from", "to")
        return cleaned
