import pytest

from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory


@pytest.fixture(autouse=True)
def _isolated_rate_limits(settings):
    """Each test starts with fresh rate-limit budgets: the database store, rolled back per test."""
    from o2o.core import ratelimits

    ratelimits._limiter.cache_clear()
    settings.O2O_RATE_LIMIT_STORAGE = ratelimits.DATABASE


@pytest.fixture(autouse=True)
def _no_sampled_counter_purge(monkeypatch):
    """spend() purges old counters one time in a hundred, at random: off in tests, so a statement
    count never meets it (o2o/core/tests/test_ratelimits.py turns it on where it tests it)."""
    from o2o.core import ratelimits

    monkeypatch.setattr(ratelimits, "PURGE_PROBABILITY", 0)


@pytest.fixture(autouse=True)
def _captured_messages(settings):
    """Messages go to an in-memory inbox (o2o.testing.outbox) instead of the console."""
    from o2o.testing import outbox

    outbox.SENT.clear()
    settings.O2O_MESSAGE_BACKEND = "o2o.testing.outbox.CapturingBackend"


@pytest.fixture(autouse=True)
def _empty_cache(request):
    """A database test starts with an empty cache: nothing cached from an earlier test's rolled-back
    writes (a template text, a promotions version)."""
    if request.node.get_closest_marker("django_db") is not None:
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def _reference_data_from_the_cache_only(request, settings, _empty_cache):
    """One process: changes of promotions and of the attribution matrix arrive through the cache,
    so a statement count never meets the once-a-second look at their version rows
    (o2o/core/versioned.py; its tests turn that look on on purpose).

    A database test starts from snapshots of its own database: one cached by an earlier test may
    hold promotions that test rolled back (its commit hooks ran inside its transaction), which
    would discount this test's orders, or a matrix a flushed database no longer holds."""
    settings.O2O_REFERENCE_RECHECK_SECONDS = None
    if request.node.get_closest_marker("django_db") is not None:
        from o2o.core.versioned import forget_all
        from o2o.promotions import cache

        forget_all()  # the attribution matrix too: a flushed database holds none of a cached one
        cache.refresh()


@pytest.fixture
def store():
    return LocationFactory(name="人民广场店", latitude=31.2304, longitude=121.4737)


@pytest.fixture
def other_store():
    return LocationFactory(name="徐家汇店", latitude=31.1955, longitude=121.4365)


@pytest.fixture
def clerk(store):
    return EmployeeFactory(home_location=store)


@pytest.fixture
def member():
    return MemberFactory()
