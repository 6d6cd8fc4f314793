from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self) -> None:
        from reporting.analysis import builtin, profiles

        builtin.register_builtin_sections()
        profiles.register_profiles()
