"""Load the 195 States from core/data/states.csv (names from Babel's CLDR data, with UN short
names where they differ) and the usual donor and partner organisations."""

import csv
import datetime
import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"
LANGUAGES = {"en": "en", "fr": "fr", "es": "es", "ar": "ar", "ru": "ru", "zh-hans": "zh_Hans"}

ORGANISATIONS = [
    ("EU", "European Union", "regional", "https://european-union.europa.eu"),
    ("UNDP", "United Nations Development Programme", "un", "https://www.undp.org"),
    ("UNODC", "United Nations Office on Drugs and Crime", "un", "https://www.unodc.org"),
    ("UNODA", "United Nations Office for Disarmament Affairs", "un", "https://disarmament.unoda.org"),
    ("UNSCAR", "UN Trust Facility Supporting Cooperation on Arms Regulation", "fund", ""),
    ("SALIENT", "Saving Lives Entity fund (UN Peacebuilding Fund window)", "fund", ""),
    ("OSCE", "Organization for Security and Co-operation in Europe", "regional", "https://www.osce.org"),
    ("UNREC", "UN Regional Centre for Peace and Disarmament in Africa", "un", ""),
    ("UNRCPD", "UN Regional Centre for Peace and Disarmament in Asia and the Pacific", "un", ""),
    ("UNLIREC", "UN Regional Centre for Peace, Disarmament and Development in Latin America and the Caribbean", "un", ""),
    ("INTERPOL", "International Criminal Police Organization", "international", "https://www.interpol.int"),
    ("WCO", "World Customs Organization", "international", "https://www.wcoomd.org"),
    ("AU", "African Union", "regional", "https://au.int"),
    ("OAS", "Organization of American States", "regional", "https://www.oas.org"),
    ("ECOWAS", "Economic Community of West African States", "regional", "https://www.ecowas.int"),
    ("RECSA", "Regional Centre on Small Arms in the Great Lakes Region, the Horn of Africa and Bordering States", "regional", ""),
    ("SEESAC", "South Eastern and Eastern Europe Clearinghouse for the Control of Small Arms and Light Weapons", "regional", ""),
    ("CARICOM IMPACS", "CARICOM Implementation Agency for Crime and Security", "regional", ""),
]


def load_states(apps, schema_editor):
    import pycountry
    from babel import Locale

    MemberState = apps.get_model("core", "MemberState")
    overrides = json.loads((DATA / "state_name_overrides.json").read_text(encoding="utf-8"))
    territories = {code: Locale.parse(name).territories for code, name in LANGUAGES.items()}
    with (DATA / "states.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["alpha2"]
            country = pycountry.countries.get(alpha_2=code)
            names = {
                lang: overrides.get(lang, {}).get(code) or territories[lang][code]
                for lang in LANGUAGES
            }
            MemberState.objects.update_or_create(
                iso2=code,
                defaults={
                    "iso3": country.alpha_3,
                    "m49": country.numeric,
                    "status": row["status"],
                    "region": row["region"],
                    "subregion": row["subregion"],
                    "intermediate_region": row["intermediate_region"],
                    "regional_group": row["regional_group"],
                    "takes_part_in": row["takes_part_in"],
                    "admitted_on": datetime.date.fromisoformat(row["admitted"])
                    if row["admitted"] else None,
                    "name": names["en"],
                    "names": names,
                },
            )


def load_organisations(apps, schema_editor):
    Organisation = apps.get_model("core", "Organisation")
    for acronym, name, kind, website in ORGANISATIONS:
        Organisation.objects.get_or_create(
            acronym=acronym, defaults={"name": name, "kind": kind, "website": website}
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(load_states, migrations.RunPython.noop),
        migrations.RunPython(load_organisations, migrations.RunPython.noop),
    ]
