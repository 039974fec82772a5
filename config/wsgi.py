import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Import every view now, then move what start-up made out of the garbage collector's way: a bulk
# push allocates enough objects to trigger full collections, and each one would walk every module,
# class and view of the process again (a quarter to a third of a 10,000-item push, measured).
get_resolver().url_patterns  # noqa: B018 - imports the views
gc.freeze()
