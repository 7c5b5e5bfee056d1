"""Reads of the marketing toolbox: which materials one may manage or share, a shared page, and the
figures per employee and per material (docs/toolbox.md).

`toolbox_figures` is what the owner's view reads: per employee, over [since, until),
    shares      links the employee made (root shares)
    opens       openings of their links and of every forward down the chain
    readers     distinct readers (visitor keys) among those openings
    avg_seconds mean reading time of those openings, whole seconds
    forwards    links readers made by forwarding (credited to the employee of the first share)
    inquiries   questions, visit bookings and event sign-ups sent from those pages
    leads       the employee's leads the toolbox brought (opened as a member, or sent an inquiry)
"""

import re
from datetime import datetime

from django.db.models import Avg, Count, Q, QuerySet

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.leads.models import Lead, Source
from o2o.staff.models import Employee
from o2o.toolbox.models import Inquiry, Material, MaterialOpen, MaterialShare

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,32}$")
FIGURES = ("shares", "opens", "readers", "avg_seconds", "forwards", "inquiries", "leads")
TOOLBOX_LEAD_SOURCES = (Source.SHARE_OPEN, Source.INQUIRY)


def managed_materials(*, actor: Actor) -> QuerySet[Material]:
    """What the actor may change: HQ every material, a store manager their store's."""
    authorize(actor, Operation.MANAGE_MATERIALS)
    materials = Material.objects.select_related("location", "sku").order_by("-published_at", "-pk")
    if actor.location_ids is None:
        return materials
    return materials.filter(location_id__in=actor.location_ids)


def shareable_materials(*, employee: Employee) -> QuerySet[Material]:
    """The chain's active materials and the employee's home store's."""
    where = Q(location__isnull=True)
    if employee.home_location_id is not None:
        where |= Q(location_id=employee.home_location_id)
    return (
        Material.objects.filter(where, is_active=True)
        .select_related("location", "sku")
        .order_by("-published_at", "-pk")
    )


def materials_to_share(*, actor: Actor) -> QuerySet[Material]:
    authorize(actor, Operation.SHARE_MATERIALS)
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only employees share materials (with their own code)")
    return shareable_materials(employee=actor.employee)


def get_material_for(*, actor: Actor, material_id: int) -> Material:
    """A material the actor manages, or one they may share; the same 404 for the rest."""
    if actor.employee is not None and shareable_materials(employee=actor.employee).filter(pk=material_id).exists():
        return Material.objects.select_related("location", "sku").get(pk=material_id)
    material = managed_materials(actor=actor).filter(pk=material_id).first()
    if material is None:
        raise not_found("material")
    return material


def live_share(*, token: str) -> MaterialShare:
    """The share behind a reader's URL, while its material is published; else 404."""
    if not TOKEN_SHAPE.match(token or ""):
        raise not_found("shared page")
    share = (
        MaterialShare.objects.select_related("material", "material__sku", "employee")
        .filter(token=token, material__is_active=True, employee__is_active=True)
        .first()
    )
    if share is None:
        raise not_found("shared page")
    return share


def _counts(queryset: QuerySet, key: str, **aggregates) -> dict[int, dict]:
    return {row.pop(key): row for row in queryset.values(key).annotate(**aggregates).order_by()}


def _figures(*, key: str, where: Q, share_where: Q, since: datetime, until: datetime) -> dict[int, dict]:
    """The figures grouped by `key` (a path from a share: "employee_id" or "material_id")."""
    shares = _counts(
        MaterialShare.objects.filter(share_where, created_at__gte=since, created_at__lt=until),
        key,
        shares=Count("pk", filter=Q(depth=0)),
        forwards=Count("pk", filter=Q(depth__gt=0)),
    )
    opens = _counts(
        MaterialOpen.objects.filter(where, opened_at__gte=since, opened_at__lt=until),
        f"share__{key}",
        opens=Count("pk"),
        readers=Count("visitor_hash", distinct=True),
        avg_seconds=Avg("seconds"),
    )
    inquiries = _counts(
        Inquiry.objects.filter(where, created_at__gte=since, created_at__lt=until),
        f"share__{key}",
        inquiries=Count("pk"),
    )
    result: dict[int, dict] = {}
    for source in (shares, opens, inquiries):
        for group, values in source.items():
            result.setdefault(group, dict.fromkeys(FIGURES, 0)).update(values)
    for values in result.values():
        values["avg_seconds"] = round(values["avg_seconds"] or 0)
    return result


def toolbox_figures(*, employee_ids=None, since: datetime, until: datetime) -> dict[int, dict]:
    """{employee_id: {shares, opens, readers, avg_seconds, forwards, inquiries, leads}} over
    [since, until); employees with nothing are left out. None: every employee."""
    chosen = Q() if employee_ids is None else Q(share__employee_id__in=list(employee_ids))
    share_chosen = Q() if employee_ids is None else Q(employee_id__in=list(employee_ids))
    result = _figures(key="employee_id", where=chosen, share_where=share_chosen, since=since, until=until)
    leads = Lead.objects.filter(source__in=TOOLBOX_LEAD_SOURCES, created_at__gte=since, created_at__lt=until)
    if employee_ids is not None:
        leads = leads.filter(employee_id__in=list(employee_ids))
    for row in leads.values("employee_id").annotate(n=Count("pk")).order_by():
        result.setdefault(row["employee_id"], dict.fromkeys(FIGURES, 0))["leads"] = row["n"]
    return result


def material_figures(
    *, material_ids, employee_id: int | None = None, since: datetime, until: datetime
) -> dict[int, dict]:
    """{material_id: {...}} over [since, until), of one employee's links (and their forwards) or
    of everyone's; `leads` here counts the distinct leads its inquiries made."""
    ids = list(material_ids)
    where = Q(share__material_id__in=ids)
    share_where = Q(material_id__in=ids)
    if employee_id is not None:
        where &= Q(share__employee_id=employee_id)
        share_where &= Q(employee_id=employee_id)
    result = _figures(key="material_id", where=where, share_where=share_where, since=since, until=until)
    led = Inquiry.objects.filter(where, created_at__gte=since, created_at__lt=until, lead__isnull=False)
    for row in led.values("share__material_id").annotate(n=Count("lead_id", distinct=True)).order_by():
        result.setdefault(row["share__material_id"], dict.fromkeys(FIGURES, 0))["leads"] = row["n"]
    return result


def my_figures(*, actor: Actor, since: datetime, until: datetime) -> dict:
    """The acting employee's own totals and their figures per material."""
    authorize(actor, Operation.SHARE_MATERIALS)
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only employees share materials (with their own code)")
    employee_id = actor.employee.pk
    totals = toolbox_figures(employee_ids=[employee_id], since=since, until=until).get(employee_id)
    shared = MaterialShare.objects.filter(employee_id=employee_id).values_list("material_id", flat=True).distinct()
    per_material = material_figures(material_ids=shared, employee_id=employee_id, since=since, until=until)
    return {"totals": totals or dict.fromkeys(FIGURES, 0), "materials": per_material}


def figures_of_material(*, actor: Actor, material_id: int, since: datetime, until: datetime) -> dict:
    """A manager's view of one of their materials: everyone's links to it."""
    material = managed_materials(actor=actor).filter(pk=material_id).first()
    if material is None:
        raise not_found("material")
    figures = material_figures(material_ids=[material.pk], since=since, until=until).get(material.pk)
    return figures or dict.fromkeys(FIGURES, 0)
