"""Who may see and change what in the back office (the Django admin): one table, role x model.

Least privilege:
- Only the chain-wide office roles (`ADMIN_ROLES`) get into the admin at all (`is_staff`). Store
  roles (manager, clerk, technician, warehouse clerk) and regional supervisors work in the pages,
  which scope every screen to their locations; the admin cannot, so they have no admin access.
- HQ sees everything and edits what has no service behind it: stores and the catalog. Orders,
  payments, stock and vouchers change only through services, so their screens are read-only for
  everyone (see `o2o.core.backoffice.ReadOnlyAdmin`).
- Models that hold secrets (token hashes, sign-in code hashes, rate-limit and idempotency rows) are
  granted to nobody and not registered.
- A member's phone and delivery address are personal data: only roles that may look members up
  (HQ, customer service) hold `members.view_member_contact`; the others see them masked.

The table is applied to the role groups by a staff data migration and again after every
`migrate` (`StaffConfig.ready`), so models added by later migrations get their rights too.
Change the table, not the groups in the admin: the groups are overwritten from it.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from o2o.staff.models import Role

ADMIN_ROLES = frozenset({Role.HQ, Role.ONLINE_OPERATOR, Role.MARKETER, Role.CS_AGENT})

# Not a model's default permission: created here, checked by the member and order screens.
CONTACT_PERMISSION = "view_member_contact"
CONTACT_PERMISSION_NAME = "Can see members' phone numbers and delivery addresses"
CONTACT_ROLES = frozenset({Role.HQ, Role.CS_AGENT})

SECRET_MODELS = frozenset({"access.apitoken", "members.onetimecode", "core.ratelimitcounter", "core.idempotencyrecord"})

VIEW = frozenset({"view"})
EDIT = frozenset({"view", "add", "change"})
EDIT_DELETE = EDIT | {"delete"}

_ORDERS = {"orders.order": VIEW, "orders.orderline": VIEW, "orders.ordertransition": VIEW}

# role -> {"app.model" | "app" | "*": actions}; the most specific key decides. "*" is every model
# of the o2o apps. Products, SKUs and locations are switched off (is_active), not deleted; a
# location's price override is deleted to fall back on the chain-wide price.
RIGHTS: dict[str, dict[str, frozenset[str]]] = {
    Role.HQ: {"*": VIEW, "stores": EDIT, "catalog": EDIT, "catalog.price": EDIT_DELETE},
    Role.ONLINE_OPERATOR: {"catalog": EDIT, "catalog.price": EDIT_DELETE, "stores": VIEW, **_ORDERS},
    Role.MARKETER: {"catalog": VIEW, "members.member": VIEW},
    Role.CS_AGENT: {
        **_ORDERS,
        "payments.payment": VIEW,
        "payments.refund": VIEW,
        "pickup": VIEW,
        "members.member": VIEW,
        "stores": VIEW,
        "catalog": VIEW,
    },
}


def o2o_app_labels() -> list[str]:
    return [c.label for c in global_apps.get_app_configs() if c.name.startswith("o2o.")]


def actions_for(role: str, app_label: str, model: str) -> frozenset[str]:
    """What a role may do with a model in the admin: a subset of view/add/change/delete."""
    label = f"{app_label}.{model}"
    if label in SECRET_MODELS:
        return frozenset()
    rights = RIGHTS.get(role, {})
    for key in (label, app_label, "*"):
        if key in rights:
            return rights[key]
    return frozenset()


def grant_admin_rights(apps=global_apps, using: str = "default") -> None:
    """Set each role group's permissions to exactly what the table says (creating the groups and
    the permission rows first, as a fresh database has none before `migrate` ends)."""
    _ensure_permissions(apps, using)
    Group = apps.get_model("auth", "Group")  # noqa: N806 - model classes
    Permission = apps.get_model("auth", "Permission")  # noqa: N806
    ours = list(
        Permission.objects.using(using)
        .filter(content_type__app_label__in=o2o_app_labels())
        .select_related("content_type")
    )
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        group.permissions.set([p for p in ours if _grants(role, p)])


def _grants(role: str, permission) -> bool:
    ct = permission.content_type
    if permission.codename == CONTACT_PERMISSION:
        return role in CONTACT_ROLES
    action, _, model = permission.codename.partition("_")
    return model == ct.model and action in actions_for(role, ct.app_label, ct.model)


def _ensure_permissions(apps, using: str) -> None:
    for label in o2o_app_labels():
        # The live app config (its models_module is set) with the historical registry `apps`.
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    ContentType = apps.get_model("contenttypes", "ContentType")  # noqa: N806
    Permission = apps.get_model("auth", "Permission")  # noqa: N806
    member_type, _ = ContentType.objects.using(using).get_or_create(app_label="members", model="member")
    Permission.objects.using(using).get_or_create(
        content_type=member_type, codename=CONTACT_PERMISSION, defaults={"name": CONTACT_PERMISSION_NAME}
    )
