from django.apps import AppConfig


class ResellersConfig(AppConfig):
    name = "resellers"
    verbose_name = "Reseller and customer panel"
