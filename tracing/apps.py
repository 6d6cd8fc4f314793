from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "tracing"

    def ready(self) -> None:
        from tracing import receivers  # noqa: F401  (listens to reporting.signals)
