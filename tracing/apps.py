from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "tracing"

    def ready(self) -> None:
        from tracing import analysis, receivers  # noqa: F401  (receivers: reporting.signals)

        analysis.register_sections()
