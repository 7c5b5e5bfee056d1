"""Data rights raced on PostgreSQL: a double tap on "delete" with the one code deletes once; many
withdrawals of consent at once record one decision. Run with -s for the figures."""

from collections import Counter
from functools import partial

import pytest
from django.db import transaction

from o2o.access.actors import actor_for_member
from o2o.core.errors import ErrorCode
from o2o.members.models import Member
from o2o.members.services import send_sign_in_code
from o2o.privacy.models import DataRightsEvent, MarketingConsentRecord
from o2o.privacy.services import delete_my_account, set_marketing_consent
from o2o.testing.factories import MemberFactory
from o2o.testing.outbox import last_code_sent_to
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

RUNS = 5
THREADS = 8


def test_two_deletions_with_the_same_code_at_once_delete_once():
    tally = Counter()
    for _ in range(RUNS):
        member = MemberFactory()
        with transaction.atomic():
            send_sign_in_code(phone=member.phone, text="Your code to DELETE your O2O account is %(code)s")
        code = last_code_sent_to(member.phone)
        actor = actor_for_member(member)

        outcomes = run_together([partial(delete_my_account, actor=actor, code=code, via="api")] * 2)

        done = values(outcomes)
        refused = domain_errors(outcomes)
        tally.update(d.already for d in done)
        tally.update(str(e.code) for e in refused)
        assert len(done) == 1 and not done[0].already
        assert [e.code for e in refused] == [ErrorCode.INVALID_CODE]  # the code is single use
        assert DataRightsEvent.objects.filter(member=member, kind="deletion").count() == 1
        assert Member.objects.get(pk=member.pk).phone == f"+999{member.pk:012d}"
    print(f"\ndouble deletion x{RUNS}: {dict(tally)}")


def test_many_withdrawals_at_once_record_one_decision():
    member = MemberFactory()
    set_marketing_consent(actor=actor_for_member(member), given=True, source="api")
    member.refresh_from_db()
    actor = actor_for_member(member)

    outcomes = run_together([lambda: set_marketing_consent(actor=actor, given=False, source="api")] * THREADS)

    changed = [c for _m, c in values(outcomes)]
    assert domain_errors(outcomes) == []
    assert sorted(changed) == [False] * (THREADS - 1) + [True]
    assert list(MarketingConsentRecord.objects.filter(member=member).values_list("given", flat=True)) == [True, False]
    assert Member.objects.get(pk=member.pk).marketing_consent is False
    print(f"\n{THREADS} withdrawals at once: {changed.count(True)} recorded")
