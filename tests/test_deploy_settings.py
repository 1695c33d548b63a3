"""The production profile (DEBUG=0) passes Django's deployment checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _clean_env() -> dict:
    # The suite sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; production never does.
    return {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY"}}


def _manage(*args, **env):
    full_env = {**_clean_env(), **env}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True)


def test_check_deploy_passes_with_production_settings():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="portal.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_collectstatic_works_with_production_settings(tmp_path):
    """Regression: Bootstrap's files named source maps that are not shipped, and the
    production storage (WhiteNoise's manifest) refused to collect them, so the README's
    deployment steps failed at collectstatic."""
    result = _manage(
        "collectstatic", "--noinput", "-v0",
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="portal.example.com", STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles.json").exists() and list(tmp_path.glob("bootstrap/css/bootstrap.min.*.css"))


def _production_setting(name: str, **env) -> str:
    """One setting as the production profile (DEBUG=0) reads it, with ``env`` and nothing else set for it."""
    full_env = {k: v for k, v in _clean_env().items() if k != name}
    full_env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="portal.example.com", **env)
    result = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c",
                             f"from django.conf import settings; print(settings.{name})"],
                            cwd=ROOT, env=full_env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's own notes


def test_production_requires_two_factor_login_for_admins_unless_turned_off():
    assert _production_setting("REQUIRE_2FA_FOR_ADMINS") == "True"
    assert _production_setting("REQUIRE_2FA_FOR_ADMINS", REQUIRE_2FA_FOR_ADMINS="0") == "False"
