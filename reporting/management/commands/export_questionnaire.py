"""Write a questionnaire version to a JSON or YAML file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reporting.models import QuestionnaireVersion
from reporting.questionnaire_io import dump, export_version, guess_format


class Command(BaseCommand):
    help = "Write questionnaire version CODE to PATH, as JSON or YAML by the file suffix."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("path", type=Path)

    def handle(self, *args, code: str, path: Path, **options):
        try:
            fmt = guess_format(path)
        except ValueError as error:
            raise CommandError(str(error)) from None
        version = QuestionnaireVersion.objects.filter(code=code).first()
        if version is None:
            raise CommandError(f"No questionnaire version has the code {code!r}.")
        data = export_version(version)
        path.write_text(dump(data, fmt), encoding="utf-8")
        questions = sum(len(section["questions"]) for section in data["sections"])
        self.stdout.write(
            f"Exported {code}: {len(data['sections'])} sections, {questions} questions to {path}."
        )
