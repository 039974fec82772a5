"""The product's URLs plus the baseline page of bench/pages.py, which lives only in the bench."""

from django.urls import path

from accounts.models import Role
from accounts.pages import page, role_required
from config.urls import urlpatterns as product_urlpatterns


@role_required(Role.VIEWER)
def baseline(request):
    """The least an authenticated page costs: session, user, membership, the base layout."""
    return page(request, "base.html")


urlpatterns = [path("bench/baseline/", baseline, name="bench-baseline"), *product_urlpatterns]
