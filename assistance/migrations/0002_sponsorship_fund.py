from django.db import migrations


def create_fund(apps, schema_editor):
    """The one sponsorship fund, so that no two first requests create two."""
    SponsorshipFund = apps.get_model("assistance", "SponsorshipFund")
    if not SponsorshipFund.objects.exists():
        SponsorshipFund.objects.create(name="Sponsorship fund", currency="USD")


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_initial")]

    operations = [migrations.RunPython(create_fund, migrations.RunPython.noop)]
