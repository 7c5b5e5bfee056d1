"""Production refuses unsafe defaults; `check --deploy` is clean under production settings; the
pages carry a Content-Security-Policy they satisfy and a Permissions-Policy.

Production is a fresh process without O2O_ENV (the test suite itself runs in development mode,
o2o/testing/devmode.py), so these tests start subprocesses."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

PRODUCTION_SECRETS = {
    "SECRET_KEY": "k3P9-zq7Lw2xV0bN5mR8tY1uI4oE6aS-dF3gH7jK9lZ2xC5vB8nM0qW4eR7tY1u",
    "O2O_GATEWAY_SECRET": "gw-9f8e7d6c5b4a3928-live",
    "O2O_COURIER_SECRET": "cr-1a2b3c4d5e6f7a8b-live",
    "ALLOWED_HOSTS": "shop.example.com",
}


def _run(code_or_args: str | list[str], **env: str) -> subprocess.CompletedProcess:
    # A fresh production process: none of our settings, nor the browser tests' async switch.
    dropped = ("O2O_", "SECRET_KEY", "SECURE_", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    environ.update(DJANGO_SETTINGS_MODULE="o2o.settings", **env)
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run(args, env=environ, capture_output=True, text=True, timeout=120, cwd=settings.BASE_DIR)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "django", *args], **env)


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_SECRETS)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_every_development_default_in_production():
    result = _manage("check", "--deploy", O2O_PAYMENT_SIMULATOR="1")

    assert result.returncode == 1
    for check_id in ("o2o.E001", "o2o.E002", "o2o.E003", "o2o.E004"):
        assert check_id in result.stderr


def test_the_wsgi_application_refuses_to_start_with_development_defaults():
    result = _run("import o2o.wsgi", O2O_PAYMENT_SIMULATOR="1")

    assert result.returncode != 0
    assert "ImproperlyConfigured: refusing to start in production" in result.stderr
    assert "the payment simulator is on" in result.stderr
    assert "SECRET_KEY is the development default" in result.stderr


def test_the_wsgi_application_starts_with_production_settings_and_no_simulator():
    code = "import o2o.wsgi; from django.conf import settings; print(settings.O2O_PAYMENT_SIMULATOR)"
    result = _run(code, **PRODUCTION_SECRETS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"  # the simulator is off unless development mode says so


def test_o2o_serve_refuses_in_production_and_the_demo_mode_only_warns():
    o2o = str(Path(sys.executable).with_name("o2o"))
    refused = _run([o2o, "serve", "127.0.0.1:1"])
    demo = _run(
        "import o2o.wsgi; from django.conf import settings; print(settings.O2O_PAYMENT_SIMULATOR)",
        O2O_ENV="development",
    )

    assert refused.returncode != 0
    assert "refusing to start in production" in refused.stderr
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.strip() == "True"
    assert "WARNING: development mode (O2O_ENV=development)" in demo.stderr


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy_and_permissions_policy():
    response = Client().get("/accounts/login/")

    csp = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert re.fullmatch(r"'self' 'unsafe-eval'( 'nonce-[^']+')?", csp["script-src"])
    assert csp["style-src"] == "'self'"
    assert csp["style-src-attr"] == "'unsafe-inline'"
    assert csp["img-src"] == "'self' data:"
    assert csp["worker-src"] == "'self' blob:"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert response["Permissions-Policy"].startswith("camera=(self), geolocation=(self)")


def _templates() -> list[Path]:
    return sorted(Path(settings.BASE_DIR, "o2o").rglob("templates/**/*.html"))


def test_no_template_has_inline_script_or_event_handler_the_policy_would_block():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.I)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
    style_element = re.compile(r"<style[\s>]", re.I)
    offenders = [
        str(path)
        for path in _templates()
        if inline_script.search(text := path.read_text()) or handler.search(text) or style_element.search(text)
    ]

    assert len(_templates()) > 20
    assert offenders == []


def test_o2o_serve_demo_runs_in_development_mode(tmp_path):
    o2o = str(Path(sys.executable).with_name("o2o"))
    database = f"sqlite:///{tmp_path / 'empty.sqlite3'}"  # the scheduler thread must not touch a real one

    # An address runserver refuses: the command gets past the guard, then stops.
    result = _run([o2o, "serve", "--demo", "127.0.0.1:notaport"], DATABASE_URL=database)

    assert "refusing to start" not in result.stderr
    assert result.stderr.count("WARNING: development mode (O2O_ENV=development)") == 1
    assert "is not a valid port number" in result.stderr
