"""Who may ask for routing: one token per softswitch, stored only as a SHA-256 digest."""

from django.conf import settings
from django.db import models
from django_countries.fields import CountryField


class SwitchToken(models.Model):
    name = models.CharField(max_length=100, unique=True)  # e.g. "fs1.example.net"
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the token; the token itself is shown once
    prefix = models.CharField(max_length=8)  # the token's first characters, to tell tokens apart
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Called numbers without a calling code are national numbers of this country (a US carrier
    # sends 10 digits); blank: they must carry their calling code (with or without "+").
    country = CountryField(blank=True, help_text="Country of the called numbers this switch sends without a "
                                                 "calling code; blank if it always sends one.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
