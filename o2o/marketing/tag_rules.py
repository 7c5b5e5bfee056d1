"""Tags by rules: a chain-level member tag ("high value", "oil change due") kept by a segment's
rules (o2o.marketing.rules, the one rules engine). A periodic job refreshes every rule in bulk:
the tag goes on every member now in the segment and comes off those who left, two statements
per rule whatever the number of members (members.services.sync_rule_tag). A rule switched off
takes its tags off at once; switched on, it puts them on at once.

A member who has a tag of the same name by hand keeps it as a hand tag (the rule neither takes it
over nor removes it)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.marketing import rules as segment_rules
from o2o.marketing.models import Segment, TagRule
from o2o.members import services as members
from o2o.members.models import MemberTag


@dataclass(frozen=True)
class Refreshed:
    rule_id: int
    tag: str
    added: int
    removed: int


def tag_rules(*, actor: Actor) -> QuerySet[TagRule]:
    """With `tagged`: how many members carry each rule's tag now."""
    authorize(actor, Operation.MANAGE_TAG_RULES)
    return TagRule.objects.select_related("segment").annotate(tagged=Count("member_tags")).order_by("tag")


def tagged_count(rule: TagRule) -> int:
    tagged = getattr(rule, "tagged", None)
    return tagged if tagged is not None else MemberTag.objects.filter(rule=rule).count()


def _rule_for_update(rule_id: int) -> TagRule:
    rule = TagRule.objects.select_for_update().select_related("segment").filter(pk=rule_id).first()
    if rule is None:
        raise not_found("tag rule")
    return rule


def _refresh(rule: TagRule, now: datetime) -> Refreshed:
    """Inside a transaction holding the rule's row: one refresh at a time per rule."""
    matching = segment_rules.members_matching(segment_rules.validate(rule.segment.rules)) if rule.active else None
    added, removed = members.sync_rule_tag(rule_id=rule.pk, tag=rule.tag, members=matching)
    TagRule.objects.filter(pk=rule.pk).update(refreshed_at=now)
    return Refreshed(rule_id=rule.pk, tag=rule.tag, added=added, removed=removed)


def create_tag_rule(*, actor: Actor, tag: str, segment_id: int) -> tuple[TagRule, Refreshed]:
    """A rule (on at once: its tags are put on in the same transaction). One rule per tag: 409."""
    authorize(actor, Operation.MANAGE_TAG_RULES)
    cleaned = members.clean_tag(tag)
    if not Segment.objects.filter(pk=segment_id).exists():
        raise not_found("segment")
    try:
        with transaction.atomic(durable=True):
            rule = TagRule.objects.create(tag=cleaned, segment_id=segment_id, created_by=actor.user)
            rule = _rule_for_update(rule.pk)
            return rule, _refresh(rule, timezone.now())
    except IntegrityError:
        raise DomainError(ErrorCode.CONFLICT, "a rule keeps this tag already", tag=cleaned) from None


@transaction.atomic(durable=True)
def set_tag_rule_active(*, actor: Actor, rule_id: int, active: bool) -> tuple[TagRule, Refreshed]:
    """Switch a rule on (its tags go on now) or off (its tags come off now)."""
    authorize(actor, Operation.MANAGE_TAG_RULES)
    rule = _rule_for_update(rule_id)
    if rule.active != active:
        rule.active = active
        rule.save(update_fields=["active"])
    return rule, _refresh(rule, timezone.now())


def refresh_tag_rules(*, now: datetime | None = None) -> list[Refreshed]:
    """The periodic job: every rule, each in its own transaction (a slow segment holds one rule's
    row only). Switched-off rules are refreshed too, which takes off anything they still hold."""
    now = now or timezone.now()
    done = []
    for rule_id in TagRule.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic(durable=True):
            rule = TagRule.objects.select_for_update().select_related("segment").filter(pk=rule_id).first()
            if rule is not None and (rule.active or MemberTag.objects.filter(rule_id=rule_id).exists()):
                done.append(_refresh(rule, now))
    return done
