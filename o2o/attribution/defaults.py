"""The default touchpoint matrix (seeded by migration 0002, effective 2000-01-01; docs/attribution.md).

Each touchpoint: (lead, [(party, percent, is_owner), ...]); the percentages of a touchpoint add up to 100.
"""

from datetime import date

DEFAULT_EFFECTIVE_FROM = date(2000, 1, 1)

DEFAULT_MATRIX: dict[str, tuple[str, list[tuple[str, str, bool]]]] = {
    "pre_sale_content": ("online", [("online_operations", "100", True)]),
    "online_inquiry": ("online", [("online_operations", "70", True), ("selling_store", "30", False)]),
    "share_link_sale": (
        "online",
        [("share_link_employee", "70", True), ("fulfilling_store", "20", False), ("acquiring_employee", "10", False)],
    ),
    "store_sale": ("offline", [("cashier", "80", True), ("acquiring_employee", "20", False)]),
    "endless_aisle": ("offline", [("cashier", "70", True), ("fulfilling_store", "30", False)]),
    "online_order": ("online", [("online_operations", "90", True), ("acquiring_employee", "10", False)]),
    "store_pickup": (
        "online",
        [("online_operations", "60", True), ("fulfilling_store", "30", False), ("acquiring_employee", "10", False)],
    ),
    "after_sale_service": ("offline", [("fulfilling_store", "100", True)]),
    "follow_up_visit": ("offline", [("acquiring_employee", "60", True), ("selling_store", "40", False)]),
    "support_sale": (
        "offline",
        [("cashier", "70", True), ("lending_store", "10", False), ("selling_store", "20", False)],
    ),
}
