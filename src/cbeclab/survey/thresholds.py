"""Rules of thumb checked by the survey report, loaded from ``thresholds.yaml`` (data, not code)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

from cbeclab.i18n import _, resolve_lang

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
    #: the measure's printed name and a remark on the rule, ``{"en": ..., "zh": ...}`` each
    name: Mapping[str, str] = field(default_factory=dict)
    note: Mapping[str, str] = field(default_factory=dict)
    #: True when the spec set the value (the report says so)
    overridden: bool = False

    def passes(self, x: float | None) -> bool | None:
        """True/False, or None when ``x`` is missing (NaN/None)."""
        if x is None or not math.isfinite(float(x)):
            return None
        return bool(_OPS[self.op](float(x), self.value))

    @property
    def text(self) -> str:
        """The rule as printed in a table, e.g. ``>= 0.7``."""
        return f"{self.op} {self.value:g}"

    def label(self, lang: str | None = None) -> str:
        """The measure's name in ``lang`` (the key when the file gives none)."""
        code = resolve_lang(lang)
        return str(self.name.get(code) or self.name.get("en") or self.key)

    def cite(self, lang: str | None = None) -> str:
        """Source as printed: the reference (as is), the remark in ``lang``, whether the spec set it."""
        code = resolve_lang(lang)
        parts = [self.source] if self.source else []
        remark = self.note.get(code) or self.note.get("en")
        if remark:
            parts.append(str(remark))
        if self.overridden:
            parts.append(_("value set by the spec", lang=code))
        return _("; ", lang=code).join(parts)


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
        k: Threshold(
            k,
            _value(v),
            str(v["op"]),
            str(v["scope"]),
            str(v.get("source") or ""),
            dict(v.get("name") or {}),  # type: ignore[call-overload]
            dict(v.get("note") or {}),  # type: ignore[call-overload]
        )
        for k, v in _raw().items()
    }


def thresholds_for(overrides: Mapping[str, float] | None = None) -> dict[str, Threshold]:
    """Thresholds with the spec's overridden values (comparison and source unchanged)."""
    base = load_thresholds()
    for k, v in (overrides or {}).items():
        t = base[k]
        base[k] = replace(t, value=float(v), overridden=True)
    return base
