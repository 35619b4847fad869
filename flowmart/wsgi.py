import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowmart.settings")

from flowmart.common import tracing  # reads settings: after DJANGO_SETTINGS_MODULE is set

# Before the handler loads its middleware: Django's instrumentation adds one (a no-op when off).
tracing.configure("web")
application = get_wsgi_application()
