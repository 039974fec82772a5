FROM python:3.11-slim-bookworm
# The image runs the installed package, as the Debian by-hand path in README.md does: templates,
# static files and the compiled catalogues come with it, so the source tree and gettext are not needed.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings STATIC_ROOT=/srv/outcome/static
COPY . /tmp/src
RUN pip install --no-cache-dir /tmp/src && rm -rf /tmp/src
WORKDIR /srv/outcome
RUN SECRET_KEY=build-only django-admin collectstatic --noinput -v 0
USER nobody
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--logger-class", "config.logging.GunicornLogger"]
