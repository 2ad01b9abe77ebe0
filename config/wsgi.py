import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Load the search dictionaries now, in the background, not in the first search request.
from wangban.catalog.search import warm_up  # noqa: E402

warm_up()
