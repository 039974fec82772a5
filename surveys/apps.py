from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        # tasks: services wake the feed by its registered name, and Celery discovers tasks only
        # in workers, so a web process registers them here.
        # Demo: the relationship survey's responses feed the monthly NPS the story pushed itself
        # before (the CPI evidence and the scorecards read it); the engagement survey comes
        # with the units' operating margin.
        from indicators.demo.parts import claim_demo_series, register_demo_part

        from . import tasks  # noqa: F401
        from .demo.load import load_demo_relationship_survey, load_demo_surveys

        claim_demo_series("nps", load_demo_relationship_survey)
        register_demo_part("surveys.engagement", load_demo_surveys)
