"""Settings come from the environment; a bad value names the variable that is wrong."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings.py"
PRODUCTION = {
    "DEBUG": "false",
    "TESTING": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "reporting.example.org",
    "DATABASE_URL": "postgres://poa@db:5432/poa",
    "REDIS_URL": "redis://redis:6379/0",
}


def load(monkeypatch, **env) -> dict:
    for name in (
        "DEBUG",
        "TESTING",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "EMAIL_PORT",
        "EMAIL_USE_TLS",
        "EMAIL_USE_SSL",
        "CSRF_TRUSTED_ORIGINS",
        "DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**PRODUCTION, **env}.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_production_values_load(monkeypatch):
    values = load(monkeypatch)
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["SESSION_COOKIE_SECURE"] is True


def test_embedded_default_is_sqlite_with_in_process_tasks(monkeypatch, tmp_path):
    values = load(monkeypatch, DATABASE_URL="", REDIS_URL="", DEBUG="true", DATA_DIR=str(tmp_path))
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert str(tmp_path) in str(values["DATABASES"]["default"]["NAME"])
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://redis"}, "REDIS_URL"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT"),
        ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "EMAIL_USE_TLS"),
        ({"CSRF_TRUSTED_ORIGINS": "example.org"}, "CSRF_TRUSTED_ORIGINS"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, env, variable):
    with pytest.raises(ImproperlyConfigured, match=variable):
        load(monkeypatch, **env)


def test_check_deploy_passes_with_production_values(tmp_path):
    env = {
        **os.environ,
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "REDIS_URL": "",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set around the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=SETTINGS.parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_variable_is_documented_in_env_example():
    read = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_0-9]+)"', SETTINGS.read_text()))
    documented = set(
        re.findall(
            r"^([A-Z_0-9]+)=", (SETTINGS.parents[1] / ".env.example").read_text(), re.MULTILINE
        )
    )
    assert read, "no variable found: the pattern is out of date"
    assert read <= documented, read - documented
