"""Six languages, Arabic right to left."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from core.errors import WorkflowError
from core.models import MemberState
from tracing import requests as tracing

pytestmark = pytest.mark.django_db


def test_switch_to_arabic_gives_rtl_page(anonymous):
    response = anonymous.post(reverse("set_language"), {"language": "ar", "next": "/states/"})
    assert response.status_code == 302
    page = anonymous.get("/states/").content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "فرنسا" in page  # France, in Arabic
    assert "الانتقال إلى المحتوى الرئيسي" in page  # the interface itself: "Skip to main content"


@pytest.mark.parametrize(
    ("code", "france"),
    [
        ("fr", "France"),
        ("es", "Francia"),
        ("ru", "Франция"),
        ("zh-hans", "法国"),
        ("en", "France"),
    ],
)
def test_left_to_right_languages(anonymous, code, france):
    anonymous.post(reverse("set_language"), {"language": code, "next": "/"})
    page = anonymous.get("/states/").content.decode()
    assert f'<html lang="{code}" dir="ltr">' in page
    assert france in page


def test_language_switcher_offers_the_six_languages(anonymous):
    page = anonymous.get("/").content.decode()
    for code in ("en", "fr", "es", "ar", "ru", "zh-hans"):
        assert f'value="{code}"' in page


def test_shell_has_skip_link_and_landmarks(anonymous):
    page = anonymous.get("/").content.decode()
    assert 'href="#main"' in page
    assert '<main id="main"' in page
    assert "<nav" in page and "<header" in page and "<footer" in page


EXTERNAL_ASSET = re.compile(
    r"<(script|img)[^>]+src=\"(https?:)?//|<link[^>]+href=\"(https?:)?//", re.IGNORECASE
)


@pytest.mark.parametrize("url", ["/", "/states/", "/meetings/", "/accounts/login/", "/api/docs/"])
def test_no_asset_comes_from_another_host(anonymous, url):
    page = anonymous.get(url).content.decode()
    assert not EXTERNAL_ASSET.search(page)


def test_states_are_listed_alphabetically_in_the_readers_language(anonymous):
    anonymous.post(reverse("set_language"), {"language": "fr", "next": "/"})
    names = [s.localized_name("fr") for s in anonymous.get("/states/").context["states"]]
    assert names == sorted(names, key=str.casefold)
    assert names.index("Allemagne") < names.index("Zimbabwe")


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "Ana, Bo, and Chen"), ("ar", "Ana وBo وChen"), ("zh-hans", "Ana、Bo和Chen")],
)
def test_lists_are_written_as_the_active_language_writes_them(language, written):
    template = Template("{% load i18n_lists %}{{ names|as_list }}")
    with translation.override(language):
        assert template.render(Context({"names": ["Ana", "Bo", "Chen"]})) == written


def test_missing_fields_are_listed_with_the_languages_own_separators(editor):
    with translation.override("ar"), pytest.raises(WorkflowError) as error:
        tracing.send_request(
            by=editor,
            from_state=MemberState.objects.get(iso3="FRA"),
            to_state=MemberState.objects.get(iso3="KEN"),
            data={"weapon_type": "Rifle", "intended_use": "Investigation"},
        )
    message = error.value.message
    assert ", " not in message and " و" in message  # "a وb وc", not "a, b, c"
