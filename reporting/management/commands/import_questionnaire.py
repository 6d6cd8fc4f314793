"""Create (or replace a draft) questionnaire version from a JSON or YAML file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.errors import WorkflowError
from reporting.questionnaire_io import (
    QuestionnaireDefinitionError,
    guess_format,
    import_version,
    load,
    publish_version,
)


class Command(BaseCommand):
    help = (
        "Import a questionnaire version from PATH (.json, .yaml or .yml). Lists every problem "
        "and changes nothing when the definition is not valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the sections and questions of the draft with the same code.",
        )
        parser.add_argument(
            "--publish", action="store_true", help="Publish the version once imported."
        )

    def handle(self, *args, path: Path, replace: bool, publish: bool, **options):
        try:
            data = load(path.read_text(encoding="utf-8"), guess_format(path))
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from None
        try:
            with transaction.atomic():  # a failed --publish leaves no draft behind
                version = import_version(data, by=None, replace=replace)
                if publish:
                    version = publish_version(version, by=None)
        except QuestionnaireDefinitionError as error:
            for problem in error.problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(error.message) from None
        except WorkflowError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {version.code} ({version.status}): {version.sections.count()} "
                f"sections, {version.questions.count()} questions."
            )
        )
