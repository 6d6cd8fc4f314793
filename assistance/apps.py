from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "assistance"

    def ready(self) -> None:
        from assistance import analysis, receivers  # noqa: F401  (receivers: reporting.signals)

        analysis.register_sections()
