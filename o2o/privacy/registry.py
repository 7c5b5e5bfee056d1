"""What each app contributes to a member's data rights, registered in one place (`sections.py`).

- A *section* is one part of the export: `register_section("orders", fn)` where `fn(member)`
  returns JSON-able data (Decimals and datetimes are fine: the export encodes them).
- A *blocker* says why an account cannot be deleted yet: `register_blocker("wallet", fn)` where
  `fn(member)` returns None, or a `Blocker` (a stable kind, a message for the customer, details).
- An *eraser* removes the personal fields an app keeps about the member when the account is
  deleted (the rows stay for the books): `register_eraser("orders", fn)`, `fn(member)`; it runs
  inside the deletion's transaction with the member row locked.

Adding an app is one function and one register call in `sections.py`; the order of registration
is the order of the export.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from o2o.members.models import Member


@dataclass(frozen=True)
class Blocker:
    kind: str  # stable, for clients to branch on: "open_orders", "wallet_principal", ...
    message: str  # for the customer: what to do first
    detail: dict[str, Any] = field(default_factory=dict)


Section = Callable[[Member], Any]
BlockerCheck = Callable[[Member], Blocker | None]
Eraser = Callable[[Member], None]

_sections: dict[str, Section] = {}
_blockers: dict[str, BlockerCheck] = {}
_erasers: dict[str, Eraser] = {}


def register_section(name: str, fn: Section) -> Section:
    _sections[name] = fn
    return fn


def register_blocker(name: str, fn: BlockerCheck) -> BlockerCheck:
    _blockers[name] = fn
    return fn


def register_eraser(name: str, fn: Eraser) -> Eraser:
    _erasers[name] = fn
    return fn


def section_names() -> list[str]:
    return list(_sections)


def collect_sections(member: Member) -> dict[str, Any]:
    return {name: fn(member) for name, fn in _sections.items()}


def blockers(member: Member) -> list[Blocker]:
    return [found for check in _blockers.values() if (found := check(member)) is not None]


def erase(member: Member) -> None:
    for fn in _erasers.values():
        fn(member)
