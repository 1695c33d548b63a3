from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The app-free parts every app may use (docs/architecture.md); it imports no app."""

    name = "core"
    verbose_name = "Core"
