"""Load the questionnaire versions kept in reporting/questionnaires/ (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from reporting.questionnaires import load_official_versions


class Command(BaseCommand):
    help = (
        "Import and publish the official questionnaire versions (2024, 2026) that are not in "
        "the database yet, and give the RevCon4 and BMS9 cycles their version."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        for version, created in load_official_versions():
            state = "imported and published" if created else "already present"
            self.stdout.write(f"{version.code}: {state} ({version.questions.count()} questions)")
