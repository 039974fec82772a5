from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts.views import profile
from core.health import healthz
from core.metrics import metrics
from cpi.api import CpiViewSet, CustomerCentricityView, ExperimentViewSet, HypothesisViewSet
from indicators.api import (
    CODE_PATTERN,
    DeviationViewSet,
    IndicatorViewSet,
    MeasurementsView,
    ValueCommentsView,
)
from outcomes.api import ChainLinkViewSet, ChainNodeViewSet, ChainView, InitiativeViewSet
from scorecard.api import ObjectiveViewSet, PerspectiveViewSet, ScorecardViewSet
from scorecard.api.library import IndicatorLibraryViewSet
from surveys.api import SLUG_PATTERN, SurveyResponsesView, SurveyResultsView, SurveyViewSet

router = DefaultRouter(trailing_slash=True)
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("deviations", DeviationViewSet, basename="deviation")
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("chain/nodes", ChainNodeViewSet, basename="chain-node")
router.register("chain/links", ChainLinkViewSet, basename="chain-link")
router.register("hypotheses", HypothesisViewSet, basename="hypothesis")
router.register("experiments", ExperimentViewSet, basename="experiment")
router.register("cpis", CpiViewSet, basename="cpi")
router.register("scorecards", ScorecardViewSet, basename="scorecard")
router.register("perspectives", PerspectiveViewSet, basename="perspective")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("indicator-library", IndicatorLibraryViewSet, basename="indicator-library")
router.register("surveys", SurveyViewSet, basename="survey")

urlpatterns = [
    path("api/v1/measurements/", MeasurementsView.as_view(), name="measurements"),
    re_path(
        rf"^api/v1/indicators/(?P<code>{CODE_PATTERN})/comments/$",
        ValueCommentsView.as_view(),
        name="indicator-comments",
    ),
    re_path(
        rf"^api/v1/surveys/(?P<code>{SLUG_PATTERN})/responses/$",
        SurveyResponsesView.as_view(),
        name="survey-responses",
    ),
    path("api/v1/chain/", ChainView.as_view(), name="chain-api"),
    path(
        "api/v1/customer-centricity/",
        CustomerCentricityView.as_view(),
        name="customer-centricity-api",
    ),
    re_path(
        rf"^api/v1/surveys/(?P<code>{SLUG_PATTERN})/results/$",
        SurveyResultsView.as_view(),
        name="survey-results-api",
    ),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("settings/", include("accounts.urls")),
    path("account/", profile, name="profile"),
    path("", include("dashboard.urls")),
    path("", include("indicators.urls")),
    path("", include("outcomes.urls")),
    path("", include("cpi.urls")),
    path("", include("scorecard.urls")),
    path("", include("surveys.urls")),
    path("", include("connectors.urls")),
]

# Under /api/ an unknown route or an error outside DRF answers the JSON error envelope.
handler404 = "core.api.not_found"
handler500 = "core.api.server_error"
