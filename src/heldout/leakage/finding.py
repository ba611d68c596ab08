"""A leakage finding and the report that holds them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    category: str
    count: int
    message: str
    examples: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    findings: list[Finding]
    seconds: dict[str, float]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings], "seconds": self.seconds}

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [f.to_dict() for f in self.findings],
            columns=["kind", "severity", "category", "count", "message", "examples"],
        )
