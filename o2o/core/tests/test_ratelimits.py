"""Rate limits in the database store: one budget for every process, a sliding window, purged when old."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from o2o.core import ratelimits
from o2o.core.models import RateLimitCounter
from o2o.core.ratelimits import is_exhausted, reset, retry_after, spend

pytestmark = pytest.mark.django_db

START = 1_800_000_000.0  # a window boundary for minutes and hours


@pytest.fixture
def clock(monkeypatch):
    now = [START]
    monkeypatch.setattr(ratelimits, "_clock", lambda: now[0])
    return now


def test_the_default_store_is_the_database_every_process_shares():
    env = {k: v for k, v in os.environ.items() if k != "RATE_LIMIT_STORAGE"}
    out = subprocess.run(
        [sys.executable, "-c", "from o2o import settings; print(settings.O2O_RATE_LIMIT_STORAGE)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "database"


def test_a_budget_is_spent_in_the_database_and_refused_when_used_up(clock):
    granted = [spend("3/minute", "otp", "+8613912345678") for _ in range(5)]

    assert granted == [True, True, True, False, False]
    assert is_exhausted("3/minute", "otp", "+8613912345678")
    assert not is_exhausted("3/minute", "otp", "+8613900000000")
    # a refused spend writes nothing: the window holds exactly the budget
    assert list(RateLimitCounter.objects.values_list("hits", flat=True)) == [3]


def test_the_previous_window_still_counts_for_the_part_of_it_inside_the_last_period(clock):
    assert [spend("4/minute", "k") for _ in range(4)] == [True] * 4

    clock[0] = START + 60 + 15  # next window, 3/4 of the previous one still counts: 3 hits
    assert [spend("4/minute", "k") for _ in range(2)] == [True, False]
    assert retry_after("4/minute", "k") == 15  # at +90s the previous share is 2: one more fits

    clock[0] = START + 60 + 30
    assert retry_after("4/minute", "k") == 0
    assert spend("4/minute", "k") is True
    assert spend("4/minute", "k") is False


def test_a_full_window_is_free_again_once_its_share_has_decayed(clock):
    assert [spend("2/minute", "k") for _ in range(2)] == [True, True]

    assert retry_after("2/minute", "k") == 90  # 60 s to the next window, then half of it


def test_reset_gives_the_whole_budget_back(clock):
    assert [spend("2/minute", "k") for _ in range(2)] == [True, True]

    reset("2/minute", "k")

    assert spend("2/minute", "k") is True
    assert RateLimitCounter.objects.count() == 1


def test_counters_past_their_windows_are_purged(clock):
    spend("2/minute", "old")
    clock[0] = START + 121  # two windows on: the old counter no longer counts
    spend("2/minute", "new")

    assert ratelimits.purge_expired() == 1
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["2/60s:new"]


def test_spending_purges_now_and_then(clock, monkeypatch):
    spend("2/minute", "old")
    clock[0] = START + 121
    monkeypatch.setattr(ratelimits, "PURGE_PROBABILITY", 1.0)

    spend("2/minute", "new")

    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["2/60s:new"]


def test_long_identifiers_get_a_fixed_size_key(clock):
    agent = "x" * 500

    assert [spend("1/minute", "ua", agent) for _ in range(2)] == [True, False]
    assert len(RateLimitCounter.objects.get().key) <= 200


def test_the_limits_library_stores_still_work(settings):
    settings.O2O_RATE_LIMIT_STORAGE = "memory://"

    assert [spend("2/minute", "k") for _ in range(3)] == [True, True, False]
    assert is_exhausted("2/minute", "k")
    assert 1 <= retry_after("2/minute", "k") <= 60
    reset("2/minute", "k")
    assert not is_exhausted("2/minute", "k")
    assert not RateLimitCounter.objects.exists()


def test_a_per_process_store_with_several_workers_warns_at_start(settings, monkeypatch, capsys):
    settings.O2O_RATE_LIMIT_STORAGE = "memory://"
    monkeypatch.setenv("WEB_CONCURRENCY", "4")

    call_command("check")

    assert "o2o.W001" in capsys.readouterr().err


def test_loading_the_app_with_a_per_process_store_and_several_workers_logs_a_warning():
    env = {
        **os.environ,
        "RATE_LIMIT_STORAGE": "memory://",
        "WEB_CONCURRENCY": "4",
        "DJANGO_SETTINGS_MODULE": "o2o.settings",
    }
    loaded = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=True
    )

    assert (
        "RATE_LIMIT_STORAGE=memory:// keeps the budgets in each process" in loaded.stdout + loaded.stderr
    )  # stdout in production logging


def test_the_shared_stores_do_not_warn(settings, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")

    assert ratelimits.check_shared_store() == []
    assert ratelimits.per_process_store_warning(storage="redis://127.0.0.1:6379", workers=4) is None
    assert ratelimits.per_process_store_warning(storage="memory://", workers=1) is None


def test_counters_expire_two_windows_after_they_start(clock):
    spend("1/hour", "k")

    expected = datetime.fromtimestamp(START, tz=UTC) + timedelta(hours=2)
    assert RateLimitCounter.objects.get().expires_at == expected
