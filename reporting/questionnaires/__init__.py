"""The official questionnaire versions, kept as YAML files beside this module."""

from __future__ import annotations

from pathlib import Path

from reporting.models import Cycle, QuestionnaireVersion
from reporting.questionnaire_io import import_version, load, publish_version

FOLDER = Path(__file__).resolve().parent
#: File, and the cycle (meeting kind, number) whose reports use it, oldest first.
OFFICIAL_VERSIONS = [("2024.yaml", ("revcon", 4)), ("2026.yaml", ("bms", 9))]


def read(name: str) -> dict:
    return load((FOLDER / name).read_text(encoding="utf-8"), "yaml")


def load_official_versions() -> list[tuple[QuestionnaireVersion, bool]]:
    """Import and publish each official version not yet present; a cycle without a
    questionnaire gets its version. Returns (version, newly imported) pairs."""
    loaded = []
    for name, (kind, number) in OFFICIAL_VERSIONS:
        data = read(name)
        version = QuestionnaireVersion.objects.filter(code=data["code"]).first()
        created = version is None
        if created:
            version = publish_version(import_version(data, by=None), by=None)
        Cycle.objects.filter(
            meeting__kind=kind, meeting__number=number, questionnaire__isnull=True
        ).update(questionnaire=version)
        loaded.append((version, created))
    return loaded
