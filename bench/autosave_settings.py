"""Settings of the server that `bench/autosave_load.py` starts: the app's own settings
(`config.settings`, read from the environment as deployed), with a URL configuration that
adds the benchmark's bare endpoint after every URL of the app (`bench/autosave_urls.py`), and
static files served from the source folders (collecting and compressing them takes two
minutes here, and no measured request touches them). Not for any other use."""

from config.settings import *  # noqa: F403 — the app's settings, unchanged but for these

ROOT_URLCONF = "autosave_urls"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
