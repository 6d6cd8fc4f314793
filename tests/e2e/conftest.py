"""A real Chromium (Debian's, /usr/bin/chromium) driven by Playwright against the live server."""

import os
import shutil

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a loaded 2-core CI machine saves slower

    # Playwright's sync API runs an event loop; only these tests may touch the ORM beside it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page_for(browser, live_server):
    """A browser page already logged in as `user`; `options` go to the browser context
    (locale, timezone_id…)."""
    contexts = []

    def make(user, **options):
        client = Client()
        client.force_login(user)
        context = browser.new_context(base_url=live_server.url, **options)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# --- screenshots of failed browser tests ------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """When a test driving the browser fails, save a full-page screenshot of every page still
    open (before the fixtures close them) in var/e2e-screenshots/ and name the files in the
    failure report."""
    report = yield
    browser = item.funcargs.get("browser")
    if report.when == "call" and report.failed and browser is not None:
        report.sections.append(("browser screenshots", "\n".join(_screenshots(item, browser))))
    return report


def _screenshots(item, browser) -> list[str]:
    import re

    folder = settings.BASE_DIR / "var" / "e2e-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", item.name)
    lines = []
    pages = [page for context in browser.contexts for page in context.pages]
    for n, page in enumerate(pages, start=1):
        path = folder / f"{name}-{n}.png"
        try:
            page.screenshot(path=path, full_page=True, timeout=10_000)
        except Exception as exc:  # a crashed or closed page must not hide the real failure
            lines.append(f"{path}: no screenshot ({exc.__class__.__name__}: {exc})")
        else:
            lines.append(f"{path} ({page.url})")
    return lines or ["no page was open"]
