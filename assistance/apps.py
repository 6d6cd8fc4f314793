from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "assistance"

    def ready(self) -> None:
        from assistance import receivers  # noqa: F401  (listens to reporting.signals)
