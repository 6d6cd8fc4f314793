"""The meetings held since the PoA was adopted, and the reporting cycle ahead of each
Biennial Meeting and Review Conference. Historical deadlines other than BMS7's (30 March 2020)
are set to about three months before the meeting; staff can correct them in the admin."""

import datetime

from django.db import migrations

D = datetime.date
# kind, number, first day, last day, explicit deadline (None: three months before)
MEETINGS = [
    ("conference", None, D(2001, 7, 9), D(2001, 7, 20), None),
    ("bms", 1, D(2003, 7, 7), D(2003, 7, 11), None),
    ("bms", 2, D(2005, 7, 11), D(2005, 7, 15), None),
    ("revcon", 1, D(2006, 6, 26), D(2006, 7, 7), None),
    ("bms", 3, D(2008, 7, 14), D(2008, 7, 18), None),
    ("bms", 4, D(2010, 6, 14), D(2010, 6, 18), None),
    ("mge", 1, D(2011, 5, 9), D(2011, 5, 13), None),
    ("prepcom", 2, D(2012, 3, 19), D(2012, 3, 23), None),
    ("revcon", 2, D(2012, 8, 27), D(2012, 9, 7), None),
    ("bms", 5, D(2014, 6, 16), D(2014, 6, 20), None),
    ("mge", 2, D(2015, 6, 1), D(2015, 6, 5), None),
    ("bms", 6, D(2016, 6, 6), D(2016, 6, 10), None),
    ("prepcom", 3, D(2018, 3, 19), D(2018, 3, 23), None),
    ("revcon", 3, D(2018, 6, 18), D(2018, 6, 29), None),
    ("bms", 7, D(2021, 7, 26), D(2021, 7, 30), D(2020, 3, 30)),
    ("bms", 8, D(2022, 6, 27), D(2022, 7, 1), None),
    ("revcon", 4, D(2024, 6, 18), D(2024, 6, 28), None),
    ("bms", 9, D(2026, 6, 1), D(2026, 6, 5), None),
]
TITLES = {
    ("conference", None): "United Nations Conference on the Illicit Trade in Small Arms and "
    "Light Weapons in All Its Aspects",
    ("prepcom", 2): "Preparatory Committee for the Second Review Conference",
    ("prepcom", 3): "Preparatory Committee for the Third Review Conference",
}
NOTES = {
    ("bms", 3): "Also the first meeting on the International Tracing Instrument.",
    ("bms", 7): "Planned for June 2020, held in July 2021.",
}


def forwards(apps, schema_editor):
    Meeting = apps.get_model("reporting", "Meeting")
    Cycle = apps.get_model("reporting", "Cycle")
    for kind, number, start, end, deadline in MEETINGS:
        meeting, _ = Meeting.objects.get_or_create(
            kind=kind, number=number, start_date=start,
            defaults={
                "end_date": end, "venue": "New York",
                "title": TITLES.get((kind, number), ""), "notes": NOTES.get((kind, number), ""),
            },
        )
        if kind in ("bms", "revcon"):
            deadline = deadline or start - datetime.timedelta(days=91)
            Cycle.objects.get_or_create(
                meeting=meeting,
                defaults={
                    "opens_on": deadline - datetime.timedelta(days=275),
                    "deadline": deadline,
                    "closes_on": end,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
