"""The SLA targets every ticket type and priority starts with (migration 0002 seeds them; a pair
found missing later is put back from here): first response within 5 minutes by default (3 when
urgent, 15 when low), resolution by how much work the type usually takes."""

FIRST_RESPONSE = {"urgent": (3, 1), "high": (5, 2), "normal": (5, 2), "low": (15, 5)}  # minutes, warn before
RESOLUTION = {  # minutes, by priority urgent / high / normal / low
    "inquiry": (60, 120, 240, 480),
    "complaint": (240, 480, 1440, 2880),
    "after_sale": (480, 1440, 2880, 4320),
    "suggestion": (1440, 2880, 4320, 10080),
    "praise": (1440, 2880, 4320, 10080),
}
PRIORITIES = ("urgent", "high", "normal", "low")


def default_policies() -> list[dict]:
    """One dict of SlaPolicy fields per (kind, priority)."""
    rows = []
    for kind, minutes in RESOLUTION.items():
        for priority, resolution in zip(PRIORITIES, minutes, strict=True):
            first, warn = FIRST_RESPONSE[priority]
            rows.append(
                {
                    "kind": kind,
                    "priority": priority,
                    "first_response_minutes": first,
                    "resolution_minutes": resolution,
                    "warn_before_minutes": warn,
                }
            )
    return rows
