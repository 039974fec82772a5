"""Ready surveys: the engagement survey with its customer-focus pack, and a customer relationship
survey. The wording is content, written in English, Swedish and Finnish here (not in the
translation catalogues): a survey created from a template keeps all three in `texts`.

The engagement core is six statements on a 1..5 agreement scale and the recommend-as-a-workplace
question (eNPS, 0..10); the customer-focus pack is four statements on the same scale and a
free-text question. The background variables each template expects are listed with it: the
responses carry them as attributes, and the results are cut by them.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation

from ..models import LANGUAGES, Question, QuestionGroup, QuestionType, Survey, SurveyKind

AGREEMENT = (1, 5)  # 1 strongly disagree .. 5 strongly agree

_ENGAGEMENT_CORE = [
    {
        "code": "pride",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "I am proud to work here.",
            "sv": "Jag är stolt över att arbeta här.",
            "fi": "Olen ylpeä siitä, että työskentelen täällä.",
        },
    },
    {
        "code": "enps",
        "type": QuestionType.NPS,
        "scale": (0, 10),
        "texts": {
            "en": "How likely is it that you would recommend us as a place to work to a friend?",
            "sv": "Hur troligt är det att du skulle rekommendera oss som arbetsplats till en vän?",
            "fi": "Kuinka todennäköisesti suosittelisit meitä työpaikkana ystävällesi?",
        },
    },
    {
        "code": "energy",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "I feel full of energy in my work.",
            "sv": "Jag känner mig full av energi i mitt arbete.",
            "fi": "Tunnen olevani täynnä energiaa työssäni.",
        },
    },
    {
        "code": "growth",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "I have good opportunities to learn and grow in my work.",
            "sv": "Jag har goda möjligheter att lära mig och utvecklas i mitt arbete.",
            "fi": "Minulla on hyvät mahdollisuudet oppia ja kehittyä työssäni.",
        },
    },
    {
        "code": "manager_support",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "My manager supports me in doing a good job.",
            "sv": "Min chef stöttar mig i att göra ett bra jobb.",
            "fi": "Esihenkilöni tukee minua tekemään työni hyvin.",
        },
    },
    {
        "code": "would_stay",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "I see myself still working here in two years' time.",
            "sv": "Jag ser mig själv arbeta kvar här om två år.",
            "fi": "Näen itseni työskentelemässä täällä vielä kahden vuoden kuluttua.",
        },
    },
]

# The customer-focus pack (GLOSSARY.md): how central the customer is for everyone, how well
# everyone knows our offer, my own contribution to the value we deliver, goals set with customer
# value in focus; then what would help most, in the respondent's own words.
CUSTOMER_FOCUS = [
    {
        "code": "customer_central",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "For everyone in our organisation, the customer is at the centre of our work.",
            "sv": "För alla i vår organisation står kunden i centrum för arbetet.",
            "fi": "Organisaatiossamme asiakas on jokaisen työn keskiössä.",
        },
    },
    {
        "code": "know_offer",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "Everyone in our organisation knows well what we offer our customers.",
            "sv": "Alla i vår organisation känner väl till vad vi erbjuder våra kunder.",
            "fi": "Kaikki organisaatiossamme tuntevat hyvin, mitä tarjoamme asiakkaillemme.",
        },
    },
    {
        "code": "own_contribution",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "I know how my own work contributes to the value we deliver to our customers.",
            "sv": "Jag vet hur mitt eget arbete bidrar till det värde vi skapar för våra kunder.",
            "fi": "Tiedän, miten oma työni vaikuttaa arvoon, jonka tuotamme asiakkaillemme.",
        },
    },
    {
        "code": "goals_customer_value",
        "type": QuestionType.LIKERT,
        "scale": AGREEMENT,
        "texts": {
            "en": "Our team's goals and my personal goals are set with customer value in focus.",
            "sv": "Mitt teams mål och mina personliga mål sätts med kundvärdet i fokus.",
            "fi": "Tiimini tavoitteet ja omat tavoitteeni asetetaan asiakkaalle tuotettava "
            "arvo edellä.",
        },
    },
    {
        "code": "customer_focus_comment",
        "type": QuestionType.TEXT,
        "texts": {
            "en": "What one thing would help us serve our customers better?",
            "sv": "Vad är det viktigaste som skulle hjälpa oss att ta bättre hand om våra kunder?",
            "fi": "Mikä yksittäinen asia auttaisi meitä palvelemaan asiakkaitamme paremmin?",
        },
    },
]

_RELATIONSHIP = [
    {
        "code": "nps",
        "type": QuestionType.NPS,
        "scale": (0, 10),
        "texts": {
            "en": "How likely is it that you would recommend us to a friend or colleague?",
            "sv": "Hur troligt är det att du skulle rekommendera oss till en vän eller kollega?",
            "fi": "Kuinka todennäköisesti suosittelisit meitä ystävälle tai kollegalle?",
        },
    },
    {
        "code": "csat",
        "type": QuestionType.CSAT,
        "scale": (1, 5),
        "texts": {
            "en": "How satisfied are you with our service overall?",
            "sv": "Hur nöjd är du med vår service som helhet?",
            "fi": "Kuinka tyytyväinen olet palveluumme kokonaisuutena?",
        },
    },
    {
        "code": "ces",
        "type": QuestionType.CES,
        "scale": (1, 7),
        "texts": {
            "en": "It was easy to get my matter handled.",
            "sv": "Det var enkelt att få mitt ärende hanterat.",
            "fi": "Asiani hoitaminen oli helppoa.",
        },
    },
    {
        "code": "reason",
        "type": QuestionType.TEXT,
        "texts": {
            "en": "What is the main reason for your answer?",
            "sv": "Vad är den främsta anledningen till ditt svar?",
            "fi": "Mikä on tärkein syy vastaukseesi?",
        },
    },
]

TEMPLATES = {
    "engagement": {
        "label": gettext_lazy("Engagement survey with the customer-focus pack"),
        "kind": SurveyKind.ENGAGEMENT,
        # The smallest group a cut may show without the flag: about ten colleagues.
        "min_n": 10,
        "questions": [
            *[{**q, "group": QuestionGroup.ENGAGEMENT} for q in _ENGAGEMENT_CORE],
            *[{**q, "group": QuestionGroup.CUSTOMER_FOCUS} for q in CUSTOMER_FOCUS],
        ],
        # The background variables the responses are expected to carry, with their values.
        "attributes": {
            "unit": None,  # the organisation's own units
            "customer_contact": ("yes", "no"),
            "tenure": ("<1", "1-3", "3-10", "10+"),  # years
            "role": ("front line", "specialist", "manager", "support"),
        },
        "description": {
            "en": "Engagement core and the customer-focus pack, 1-5 agreement (5 = strongly "
            "agree). Background variables: unit, customer_contact (yes/no), tenure, role.",
            "sv": "Engagemangsfrågor och kundfokuspaketet, skala 1-5 (5 = instämmer helt). "
            "Bakgrundsvariabler: enhet (unit), kundkontakt (customer_contact, yes/no), "
            "anställningstid (tenure), roll (role).",
            "fi": "Sitoutumisen kysymykset ja asiakaslähtöisyyden kysymyspaketti, asteikko 1-5 "
            "(5 = täysin samaa mieltä). Taustamuuttujat: yksikkö (unit), asiakaskontakti "
            "(customer_contact, yes/no), työsuhteen kesto (tenure), rooli (role).",
        },
    },
    "relationship": {
        "label": gettext_lazy("Customer relationship survey (NPS, CSAT, CES)"),
        "kind": SurveyKind.CUSTOMER,
        "min_n": 30,
        "questions": [{**q, "group": QuestionGroup.NONE} for q in _RELATIONSHIP],
        "attributes": {
            "unit": None,
            "segment": ("consumer", "business"),
            "channel": ("web", "phone", "agent"),
        },
        "description": {
            "en": "Recommendation (NPS 0-10), satisfaction (CSAT, top-2 box of 1-5), ease "
            "(CES 1-7, 7 = very easy) and the reason in the customer's words. Background "
            "variables: unit, segment, channel.",
            "sv": "Rekommendation (NPS 0-10), nöjdhet (CSAT, de två högsta på 1-5), enkelhet "
            "(CES 1-7, 7 = mycket enkelt) och skälet med kundens egna ord. "
            "Bakgrundsvariabler: enhet (unit), segment, kanal (channel).",
            "fi": "Suositteluhalukkuus (NPS 0-10), tyytyväisyys (CSAT, asteikon 1-5 kaksi "
            "ylintä), helppous (CES 1-7, 7 = erittäin helppoa) ja syy asiakkaan omin sanoin. "
            "Taustamuuttujat: yksikkö (unit), segmentti (segment), kanava (channel).",
        },
    },
}


def create_from_template(
    organisation: Organisation,
    template: str = "engagement",
    *,
    code: str,
    name: str,
    language: str = "en",
) -> Survey:
    """A new survey of `organisation` with the template's questions: `text` in `language`,
    `texts` in all three. Refuses (ValidationError by field) an unknown template or language,
    or a code already taken."""
    spec = TEMPLATES.get(template)
    errors = {}
    if spec is None:
        errors["template"] = [_("Unknown survey template.")]
    if language not in LANGUAGES:
        errors["language"] = [_("Choose one of en, sv, fi.")]
    if errors:
        raise ValidationError(errors)
    survey = Survey(
        organisation=organisation,
        code=code,
        name=name,
        kind=spec["kind"],
        min_n=spec["min_n"],
        description=spec["description"][language],
    )
    survey.full_clean()  # the code: a slug, free in this organisation
    with transaction.atomic():
        survey.save()
        Question.objects.bulk_create(
            [
                _question(survey, position, q, language)
                for position, q in enumerate(spec["questions"])
            ]
        )
    return survey


def _question(survey: Survey, position: int, spec: dict, language: str) -> Question:
    low, high = spec.get("scale", (None, None))
    return Question(
        survey=survey,
        code=spec["code"],
        type=spec["type"],
        text=spec["texts"][language],
        texts=dict(spec["texts"]),
        scale_min=low,
        scale_max=high,
        position=position,
        group=spec["group"],
    )
