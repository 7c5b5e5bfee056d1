"""What `o2o audit` reports: one fact that does not agree with the others."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    check: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.detail}"
