"""The public States and meetings API."""

from collections import Counter

import pytest

from core.models import MemberState

pytestmark = pytest.mark.django_db
LANGUAGES = {"en", "fr", "es", "ar", "ru", "zh-hans"}


def test_states_endpoint_lists_195_states_with_the_regional_groups(anonymous):
    response = anonymous.get("/api/v1/states/")
    assert response.status_code == 200
    states = response.json()
    assert len(states) == 195
    assert Counter(s["status"] for s in states) == {"member": 193, "observer": 2}
    groups = Counter(s["regional_group"] for s in states if s["regional_group"])
    assert groups == {
        "AFRICAN": 54,
        "ASIA_PACIFIC": 53,
        "EASTERN_EUROPEAN": 23,
        "GRULAC": 33,
        "WEOG": 28,
    }
    usa = next(s for s in states if s["iso3"] == "USA")
    assert (usa["regional_group"], usa["takes_part_in"]) == ("", "WEOG")
    assert {s["iso3"] for s in states if s["status"] == "observer"} == {"VAT", "PSE"}


def test_every_state_has_a_name_in_the_six_languages(anonymous):
    for state in anonymous.get("/api/v1/states/").json():
        assert set(state["names"]) == LANGUAGES
        assert all(state["names"].values()), state["iso3"]


def test_state_codes_and_names(anonymous):
    france = anonymous.get("/api/v1/states/FRA/").json()
    assert (france["iso2"], france["m49"], france["region"], france["subregion"]) == (
        "FR",
        "250",
        "150",
        "155",
    )
    assert france["names"]["ar"] == "فرنسا"
    assert france["names"]["zh-hans"] == "法国"
    assert france["admitted_on"] == "1945-10-24"
    palestine = MemberState.objects.get(iso3="PSE")
    assert palestine.names["en"] == "State of Palestine"
    assert MemberState.objects.get(iso3="SSD").admitted_on.isoformat() == "2011-07-14"


def test_region_names_follow_the_request_language(anonymous):
    kenya = anonymous.get("/api/v1/states/KEN/", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert kenya["region_name"] == "Afrique"


def test_states_filter_by_group(anonymous):
    states = anonymous.get("/api/v1/states/", {"regional_group": "GRULAC"}).json()
    assert len(states) == 33


def test_states_list_query_count_is_constant(anonymous, django_assert_num_queries):
    with django_assert_num_queries(1):
        anonymous.get("/api/v1/states/")


def test_meetings_endpoint_has_the_history_and_cycles(anonymous):
    meetings = anonymous.get("/api/v1/meetings/").json()
    names = {m["short_name"] for m in meetings}
    assert {"BMS1", "BMS9", "RevCon1", "RevCon4", "MGE2"} <= names
    bms7 = next(m for m in meetings if m["short_name"] == "BMS7")
    assert bms7["cycle"]["deadline"] == "2020-03-30"
    mge = next(m for m in meetings if m["short_name"] == "MGE1")
    assert mge["cycle"] is None


def test_meetings_query_count_is_constant(anonymous, django_assert_num_queries):
    with django_assert_num_queries(1):
        anonymous.get("/api/v1/meetings/")


def test_schema_and_docs_are_served_locally(anonymous):
    schema = anonymous.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/states/" in schema.content
    docs = anonymous.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs


def test_anonymous_api_clients_are_throttled(anonymous, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    AnonRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "3/min"}
    try:
        codes = [anonymous.get("/api/v1/meetings/").status_code for _ in range(4)]
    finally:
        AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [200, 200, 200, 429]
