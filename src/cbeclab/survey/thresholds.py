"""Rules of thumb checked by the survey report, loaded from ``thresholds.yaml`` (data, not code)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

__all__ = ["Threshold", "load_thresholds", "thresholds_for"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Threshold:
    """``value <op> threshold`` passes; ``source`` says where the rule comes from."""

    key: str
    value: float
    op: str
    scope: str
    source: str

    def passes(self, x: float | None) -> bool | None:
        """True/False, or None when ``x`` is missing (NaN/None)."""
        if x is None or not math.isfinite(float(x)):
            return None
        return bool(_OPS[self.op](float(x), self.value))

    @property
    def text(self) -> str:
        """The rule as printed in a table, e.g. ``>= 0.7``."""
        return f"{self.op} {self.value:g}"


@cache
def _raw() -> dict[str, dict[str, object]]:
    return yaml.safe_load((Path(__file__).with_name("thresholds.yaml")).read_text(encoding="utf-8"))


def _value(entry: Mapping[str, object]) -> float:
    if "from_measure" in entry:
        from cbeclab.measure.reliability import thresholds as measure_thresholds

        return float(measure_thresholds()[str(entry["from_measure"])])
    return float(entry["value"])  # type: ignore[arg-type]


def load_thresholds() -> dict[str, Threshold]:
    """All thresholds of ``thresholds.yaml`` keyed by name (measurement cut-offs read from
    ``cbeclab.measure.reliability.thresholds()``)."""
    return {
        k: Threshold(k, _value(v), str(v["op"]), str(v["scope"]), str(v["source"])) for k, v in _raw().items()
    }


def thresholds_for(overrides: Mapping[str, float] | None = None) -> dict[str, Threshold]:
    """Thresholds with the spec's overridden values (comparison and source unchanged)."""
    base = load_thresholds()
    for k, v in (overrides or {}).items():
        t = base[k]
        base[k] = Threshold(k, float(v), t.op, t.scope, f"{t.source} (value set by the spec)")
    return base
