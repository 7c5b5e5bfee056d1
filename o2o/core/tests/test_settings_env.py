"""Settings that operators set from the environment reach the code."""

import os
import subprocess
import sys

from django.conf import settings

READ_BUDGETS = (
    "from o2o.members.services import rate; from o2o.access.services import _password_rate; "
    "print(rate('O2O_OTP_PER_PHONE'), rate('O2O_OTP_PER_MINUTE'), _password_rate('O2O_PASSWORD_TRIES_PER_CLIENT'))"
)


def _budgets(**env: str) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("O2O_")}
    environ.update(DJANGO_SETTINGS_MODULE="o2o.settings", O2O_ENV="development", **env)
    code = f"import django; django.setup(); {READ_BUDGETS}"
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60, cwd=settings.BASE_DIR
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_sign_in_budgets_have_defaults_and_the_environment_overrides_each():
    assert _budgets() == ["5/10minute", "120/minute", "20/15minute"]
    assert _budgets(O2O_OTP_PER_PHONE="3/10minute", O2O_PASSWORD_TRIES_PER_CLIENT="7/hour") == [
        "3/10minute",
        "120/minute",
        "7/hour",
    ]
