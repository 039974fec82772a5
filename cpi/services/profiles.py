"""Writes of CPI profiles and their customer evidence notes.

`save_profile` creates or changes the profile of a CPI (`desired_outcome`, `expectation`,
`value_unit`, `customer_segment`) and its accountable `team` (the indicator's team). Notes are
added and deleted one by one. Refused with a ValidationError naming the field: a profile of an
indicator that is not a CPI, an unknown unit or segment, a note without date, source or text, or
of a kind we do not know. What the source warns about (no evidence, a company unit, a survey
score as CPI) are warnings (`selectors.cpi_warnings`), never refusals.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import CpiProfile, CustomerSegment, EvidenceNote, NoteKind, ValueUnit

PROFILE_FIELDS = ("desired_outcome", "expectation", "value_unit", "customer_segment")
TEAM_MAX = 100


def save_profile(*, indicator, data: dict) -> CpiProfile:
    """Create or change the CPI profile of `indicator` with the fields in `data`."""
    if indicator.kind != "cpi":
        raise ValidationError(
            {
                "indicator": [
                    _("%(code)s is a KPI; only a CPI has a CPI profile.") % {"code": indicator.code}
                ]
            }
        )
    profile = CpiProfile.objects.filter(indicator=indicator).first() or CpiProfile(
        indicator=indicator
    )
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(profile, name, (data[name] or "").strip())
    errors = _profile_errors(profile, data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile.save()
        if "team" in data:
            indicator.team = (data["team"] or "").strip()
            indicator.save(update_fields=["team"])
    return profile


def _profile_errors(profile: CpiProfile, data: dict) -> dict:
    errors = {}
    if profile.value_unit not in ("", *ValueUnit.values):
        errors["value_unit"] = [
            _("Choose one of: %(units)s.") % {"units": ", ".join(ValueUnit.values)}
        ]
    if profile.customer_segment not in ("", *CustomerSegment.values):
        errors["customer_segment"] = [
            _("Choose one of: %(segments)s.") % {"segments": ", ".join(CustomerSegment.values)}
        ]
    if len(profile.expectation) > 200:
        errors["expectation"] = [_("Keep the expectation within 200 characters.")]
    if len((data.get("team") or "").strip()) > TEAM_MAX:
        errors["team"] = [_("Keep the team's name within %(max)d characters.") % {"max": TEAM_MAX}]
    return errors


def add_evidence_note(*, indicator, data: dict, created_by=None) -> EvidenceNote:
    """A dated note of customer evidence for a CPI: `kind`, `noted_on`, `source`, `text`."""
    note = EvidenceNote(
        indicator=indicator,
        kind=data.get("kind") or "",
        noted_on=data.get("noted_on"),
        source=(data.get("source") or "").strip(),
        text=(data.get("text") or "").strip(),
        created_by=created_by,
    )
    errors = {}
    if indicator.kind != "cpi":
        errors["indicator"] = [_("Customer evidence belongs to a CPI.")]
    if note.kind not in NoteKind.values:
        errors["kind"] = [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(NoteKind.values)}]
    if note.noted_on is None:
        errors["noted_on"] = [_("Give the date of the interview, inquiry or survey.")]
    if not note.source:
        errors["source"] = [_("Say where it comes from (who, which survey).")]
    elif len(note.source) > 200:
        errors["source"] = [_("Keep the source within 200 characters.")]
    if not note.text:
        errors["text"] = [_("Write down what the customers said or did.")]
    if errors:
        raise ValidationError(errors)
    note.save()
    return note


def delete_evidence_note(*, note: EvidenceNote) -> None:
    note.delete()
