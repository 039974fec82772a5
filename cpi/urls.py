from django.urls import path

from .views import edit, pages

urlpatterns = [
    path("cpi/", pages.cpi_list, name="cpi-list"),
    path("cpi/<slug:code>/", pages.cpi_detail, name="cpi-detail"),
    path("cpi/<slug:code>/profile/", edit.profile_edit, name="cpi-profile-edit"),
    path("cpi/<slug:code>/notes/new/", edit.note_create, name="cpi-note-create"),
    path("cpi/notes/<int:pk>/delete/", edit.note_delete, name="cpi-note-delete"),
    path("hypotheses/", pages.arrows, name="arrows"),
    path("hypotheses/new/", edit.hypothesis_create, name="hypothesis-create"),
    path("hypotheses/<int:pk>/", pages.hypothesis_detail, name="hypothesis-detail"),
    path("hypotheses/<int:pk>/edit/", edit.hypothesis_edit, name="hypothesis-edit"),
    path("hypotheses/<int:pk>/delete/", edit.hypothesis_delete, name="hypothesis-delete"),
    path("hypotheses/<int:pk>/experiments/new/", edit.experiment_create, name="experiment-create"),
    path("experiments/plan/", edit.experiment_plan, name="experiment-plan"),
    path("experiments/<int:pk>/", pages.experiment_detail, name="experiment-detail"),
    path("experiments/<int:pk>/edit/", edit.experiment_edit, name="experiment-edit"),
    path("experiments/<int:pk>/delete/", edit.experiment_delete, name="experiment-delete"),
]
