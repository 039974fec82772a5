from django.urls import path

from .views import edit, export, library, pages

urlpatterns = [
    path("scorecards/", pages.scorecard_list, name="scorecard-list"),
    path("scorecards/new/", edit.scorecard_create, name="scorecard-create"),
    path("scorecards/library/", library.library, name="library"),
    path("scorecards/library/<slug:code>/add/", library.library_add, name="library-add"),
    path("scorecards/<int:pk>/", pages.scorecard_detail, name="scorecard-detail"),
    path("scorecards/<int:pk>/map/", pages.scorecard_map, name="scorecard-map"),
    path("scorecards/<int:pk>/export.xlsx", export.scorecard_export, name="scorecard-export"),
    path("scorecards/<int:pk>/edit/", edit.scorecard_edit, name="scorecard-edit"),
    path("scorecards/<int:pk>/delete/", edit.scorecard_delete, name="scorecard-delete"),
    path(
        "scorecards/<int:pk>/perspectives/new/",
        edit.perspective_create,
        name="perspective-create",
    ),
    path("scorecards/perspectives/<int:pk>/edit/", edit.perspective_edit, name="perspective-edit"),
    path(
        "scorecards/perspectives/<int:pk>/delete/",
        edit.perspective_delete,
        name="perspective-delete",
    ),
    path(
        "scorecards/perspectives/<int:pk>/objectives/new/",
        edit.objective_create,
        name="objective-create",
    ),
    path("scorecards/objectives/<int:pk>/", pages.objective_detail, name="objective-detail"),
    path("scorecards/objectives/<int:pk>/edit/", edit.objective_edit, name="objective-edit"),
    path("scorecards/objectives/<int:pk>/delete/", edit.objective_delete, name="objective-delete"),
    path(
        "scorecards/objectives/<int:pk>/measures/",
        edit.objective_measures,
        name="objective-measures",
    ),
    path("scorecards/objectives/<int:pk>/links/", edit.objective_links, name="objective-links"),
]
