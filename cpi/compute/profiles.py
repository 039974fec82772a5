"""Warnings on a CPI, never refusals: the source's tests of a real customer performance indicator.

- no customer evidence that it matters (no dated note);
- a unit customers do not value (money the company earns: revenue, sales, margin, a currency
  unless the profile says it is money the customer saves);
- a survey score typed as a CPI (NPS, CSAT, CES: what customers say about us is a KPI).
"""

import re

from django.utils.translation import gettext as _

# Money: what the company earns, unless the profile says it is money the customer saves.
CURRENCIES = (
    "eur",
    "keur",
    "meur",
    "€",
    "sek",
    "ksek",
    "msek",
    "tsek",
    "nok",
    "dkk",
    "usd",
    "$",
    "kr",
)
# Units that measure what the company earns, in en / sv / fi.
COMPANY_UNITS = (
    "revenue",
    "sales",
    "profit",
    "margin",
    "turnover",
    "omsättning",
    "intäkt",
    "vinst",
    "försäljning",
    "liikevaihto",
    "myynti",
    "tulos",
    "kate",
    "voitto",
)
SURVEY_SCORES = ("nps", "net promoter", "csat", "ces", "customer effort", "satisfaction score")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w€$]+", (text or "").lower()))


def _mentions(text: str, terms: tuple[str, ...]) -> bool:
    lowered, words = (text or "").lower(), _words(text)
    return any(term in words if term.isalnum() else term in lowered for term in terms)


def profile_warnings(
    *, code: str, name: str, unit: str, evidence: str, notes: int, value_unit: str | None
) -> list[dict]:
    """[{code, message}] for one CPI: its definition, its say/do evidence and its note count."""
    found = []
    if notes == 0:
        found.append(
            {
                "code": "no_customer_evidence",
                "message": _(
                    "No customer evidence yet: add an interview, contextual-inquiry or "
                    "survey note that shows customers care about this."
                ),
            }
        )
    money = _mentions(unit, CURRENCIES) and value_unit != "money_saved"
    if money or _mentions(unit, COMPANY_UNITS) or _mentions(name, ("revenue", "profit", "sales")):
        found.append(
            {
                "code": "company_unit",
                "message": _(
                    "The unit “%(unit)s” measures what the company earns, not what "
                    "customers value (time, convenience, options, money saved, "
                    "recognition): this looks like a KPI."
                )
                % {"unit": unit or name},
            }
        )
    if evidence == "say" or _mentions(f"{code.replace('_', ' ')} {name}", SURVEY_SCORES):
        found.append(
            {
                "code": "survey_score",
                "message": _(
                    "A survey score such as NPS measures what customers say about the "
                    "company, which the company cares about: it is a KPI, not a CPI."
                ),
            }
        )
    if value_unit is None:
        found.append(
            {
                "code": "no_profile",
                "message": _(
                    "No CPI profile yet: say what the customer wants, in the customer's "
                    "words, and what they expect."
                ),
            }
        )
    return found
