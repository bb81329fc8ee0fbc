"""Explained recommendations: measures from ``rules/recommendations.yaml`` chosen by a diagnosis.

A measure is recommended exactly when its trigger holds; each recommendation carries ``why``: the
number that crossed which threshold (``"synergy 0.18 < 0.5 (expansion stage threshold)"``) or the
category that matched (``"lagging subsystem = environment (U 0.21, lowest of 4)"``).

Sources of the measures: seed 001 §4 (stage countermeasures), seed 002 §5.2 (governance,
management innovation, promotion), seed 003 §3 (five suggestions, keyed by development mode),
seed 004 §5 (policy system, including the three cluster proposals, keyed by the weakest
empowerment dimension or core element), seed 000 §5 (factor-based suggestions).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cbeclab.errors import SpecError
from cbeclab.i18n import _, pick

__all__ = [
    "Diagnosis",
    "Measure",
    "Recommendation",
    "build_diagnosis",
    "load_recommendations",
    "recommend",
    "recommendations_frame",
]

PathLike = str | os.PathLike[str]

#: diagnosis keys and their labels (used in `why`)
KEY_LABELS: dict[str, dict[str, str]] = {
    "synergy": {"en": "synergy", "zh": "协同度"},
    "stage": {"en": "synergy stage", "zh": "协同阶段"},
    "coupling_D": {"en": "coupling coordination D", "zh": "耦合协调度 D"},
    "lagging_subsystem": {"en": "lagging subsystem", "zh": "滞后子系统"},
    "top_obstacle": {"en": "top obstacle", "zh": "首要障碍"},
    "mode": {"en": "development mode", "zh": "发展模式"},
    "weakest_dimension": {"en": "weakest empowerment dimension", "zh": "最弱赋能维度"},
    "weakest_element": {"en": "weakest core element", "zh": "最弱核心要素"},
    "empowerment_pattern": {"en": "empowerment pattern", "zh": "赋能形态"},
    "significant_roles": {"en": "significant factors", "zh": "显著因素"},
    "nonsignificant_roles": {"en": "non-significant factors", "zh": "不显著因素"},
    "mediated_roles": {"en": "factors with a significant indirect effect", "zh": "存在显著间接效应的因素"},
}
#: diagnosis keys whose values are data keys with display names (cbeclab.i18n.names kinds)
_NAME_KINDS: dict[str, tuple[str, ...]] = {
    "stage": ("stage",),
    "mode": ("mode",),
    "empowerment_pattern": ("pattern",),
    "weakest_dimension": ("pattern",),
    "weakest_element": ("pattern",),
    "lagging_subsystem": ("subsystem",),
    "top_obstacle": ("indicator", "dimension"),
    **{k: ("role",) for k in ("significant_roles", "nonsignificant_roles", "mediated_roles")},
}


def _shown(key: str, value: Any, lang: str) -> str:
    """A diagnosis value as printed in a reason: its display name when it is a known data key."""
    kinds = _NAME_KINDS.get(key)
    if kinds is None:
        return str(value)
    from cbeclab.i18n.names import display_name

    for kind in kinds:  # the first kind that knows the key (an obstacle is an indicator or a dimension)
        shown = display_name(kind, value, lang)
        if shown != str(value):
            return shown
    return str(value)


_NUMERIC = {"synergy", "coupling_D"}
_LISTS = {"significant_roles", "nonsignificant_roles", "mediated_roles"}
_OPS = {
    "lt": ("<", lambda a, b: a < b),
    "le": ("≤", lambda a, b: a <= b),
    "gt": (">", lambda a, b: a > b),
    "ge": ("≥", lambda a, b: a >= b),
}
_NOT = {"lt": "≥", "le": ">", "gt": "≤", "ge": "<"}  # the operators as printed (≥, ≤), zh and en


@dataclass(frozen=True)
class Diagnosis:
    """What the diagnose stage found; every field is optional (None / empty = not diagnosed).

    ``evidence`` maps a key to extra context shown in `why`, as ``{"en": ..., "zh": ...}``.
    """

    synergy: float | None = None
    stage: str | None = None
    coupling_D: float | None = None
    lagging_subsystem: str | None = None
    top_obstacle: str | None = None
    mode: str | None = None
    weakest_dimension: str | None = None
    weakest_element: str | None = None
    empowerment_pattern: str | None = None
    significant_roles: tuple[str, ...] = ()
    nonsignificant_roles: tuple[str, ...] = ()
    mediated_roles: tuple[str, ...] = ()
    evidence: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Diagnosis:
        names = {f.name for f in fields(cls)}
        unknown = [k for k in data if k not in names]
        if unknown:
            raise SpecError(
                _("unknown diagnosis keys {unknown}", unknown=unknown),
                where="diagnosis",
                fix=_("use {v1}", v1=sorted(names)),
            )
        kw: dict[str, Any] = {k: (tuple(v) if k in _LISTS else v) for k, v in data.items()}
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


@dataclass(frozen=True)
class Measure:
    """One library entry."""

    id: str
    category: str
    citation: str
    en: str
    zh: str
    trigger: dict[str, Any]
    #: the citation in Chinese (``citation: {en: ..., zh: ...}`` in the library); "" when not given
    citation_zh: str = ""

    def cite(self, lang: str = "en") -> str:
        return pick(self.citation, self.citation_zh, lang)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "citation": self.citation,
            "citation_zh": self.citation_zh,
            "en": self.en,
            "zh": self.zh,
            "trigger": self.trigger,
        }


@dataclass(frozen=True)
class Recommendation:
    """A recommended measure and why it was chosen."""

    id: str
    category: str
    citation: str
    en: str
    zh: str
    why_en: str
    why_zh: str
    citation_zh: str = ""

    def cite(self, lang: str = "en") -> str:
        """The citation in ``lang`` (the English one when the library gives no Chinese)."""
        return pick(self.citation, self.citation_zh, lang)

    def text(self, lang: str = "en") -> str:
        return pick(self.en, self.zh, lang)

    def why(self, lang: str = "en") -> str:
        return pick(self.why_en, self.why_zh, lang)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _check_condition(c: Any, where: str) -> None:
    if not isinstance(c, Mapping):
        raise SpecError(_("a trigger condition must be a mapping"), where=where)
    if "all" in c or "any" in c:
        sub = c.get("all", c.get("any"))
        if not isinstance(sub, list) or not sub:
            raise SpecError(_("`all` / `any` needs a non-empty list of conditions"), where=where)
        for i, s in enumerate(sub):
            _check_condition(s, f"{where}[{i}]")
        return
    key = c.get("key")
    if key not in KEY_LABELS:
        raise SpecError(
            _("trigger key {key!r} is not a diagnosis key", key=key),
            where=where,
            fix=_("use one of {v1}", v1=list(KEY_LABELS)),
        )
    if "op" in c:
        if c["op"] not in _OPS or "threshold" not in c:
            raise SpecError(_("numeric condition needs op (lt, le, gt, ge) and threshold"), where=where)
        if key not in _NUMERIC:
            raise SpecError(_("key {key!r} is not numeric", key=key), where=where)
    elif not any(k in c for k in ("in", "eq", "nonempty")):
        raise SpecError(_("condition needs op+threshold, in, eq or nonempty"), where=where)


def _cite_text(node: Any, lang: str) -> str:
    """A citation of the library: plain text (English only) or ``{en: ..., zh: ...}``."""
    if isinstance(node, Mapping):
        return str(node.get(lang) or (node["en"] if lang == "en" else ""))
    return str(node) if lang == "en" else ""


def _parse(data: Mapping[str, Any], where: str) -> list[Measure]:
    out: list[Measure] = []
    seen: set[str] = set()
    for i, m in enumerate(data.get("measures") or []):
        w = f"{where}: measures[{i}]"
        try:
            mid = str(m["id"])
            _check_condition(m["trigger"], f"{w}.trigger")
            out.append(
                Measure(
                    id=mid,
                    category=str(m.get("category", "")),
                    citation=_cite_text(m["citation"], "en"),
                    citation_zh=_cite_text(m["citation"], "zh"),
                    en=" ".join(str(m["en"]).split()),
                    zh=str(m["zh"]).strip(),
                    trigger=dict(m["trigger"]),
                )
            )
        except (KeyError, TypeError) as exc:
            raise SpecError(
                _("measure entry is incomplete ({exc})", exc=exc),
                where=w,
                fix=_("each measure needs id, citation, en, zh, trigger"),
            ) from None
        if mid in seen:
            raise SpecError(_("duplicate measure id {mid!r}", mid=mid), where=w)
        seen.add(mid)
    return out


@lru_cache(maxsize=1)
def _bundled() -> tuple[Measure, ...]:
    text = resources.files("cbeclab.diagnose").joinpath("rules/recommendations.yaml").read_text("utf-8")
    return tuple(_parse(yaml.safe_load(text), "cbeclab/diagnose/rules/recommendations.yaml"))


def load_recommendations(path: PathLike | None = None) -> list[Measure]:
    """The measure library (bundled ``rules/recommendations.yaml`` or a user file)."""
    if path is None:
        return list(_bundled())
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(_("cannot read the measure library ({exc})", exc=exc), where=str(p)) from exc
    return _parse(data or {}, str(p))


def _num(x: float) -> str:
    return f"{x:.4g}"


def _stage_bounds(stage_thresholds: Any) -> dict[str, dict[str, Any]]:
    from cbeclab.diagnose.stages import load_stage_rules

    rules = load_stage_rules(stage_thresholds)
    return {s["key"]: s for s in rules["stages"]}


def _evidence(d: Diagnosis, key: str, lang: str, show: bool = True) -> str:
    if not show:
        return ""
    e = d.evidence.get(key) or {}
    t = e.get(lang) or e.get("en")
    return f" ({t})" if t else ""


def _subparts(
    conds: Sequence[Mapping[str, Any]], d: Diagnosis, stages: Mapping[str, Any]
) -> list[tuple[bool, str, str]]:
    """Evaluate sub-conditions; a key's evidence is shown once (on its last condition)."""
    keys = [s.get("key") for s in conds]
    return [
        _eval(s, d, stages, evidence=not (s.get("key") is not None and s.get("key") in keys[i + 1 :]))
        for i, s in enumerate(conds)
    ]


def _eval(
    c: Mapping[str, Any], d: Diagnosis, stages: Mapping[str, Any], evidence: bool = True
) -> tuple[bool, str, str]:
    if "all" in c:
        parts = _subparts(c["all"], d, stages)
        ok = all(p[0] for p in parts)
        return ok, " and ".join(p[1] for p in parts), "且".join(p[2] for p in parts)
    if "any" in c:
        parts = _subparts(c["any"], d, stages)
        hit = [p for p in parts if p[0]]
        shown = hit or parts
        return bool(hit), " or ".join(p[1] for p in shown), "或".join(p[2] for p in shown)
    key = c["key"]
    lab = KEY_LABELS[key]
    v = getattr(d, key)
    if "op" in c:
        t = c["threshold"]
        if isinstance(t, Mapping) and "stage" in t:
            st = stages.get(str(t["stage"]))
            if st is None:
                raise SpecError(
                    _("stage {stage!r} is not in the stage rules", stage=t["stage"]),
                    where=f"trigger of {key}",
                )
            tval = float(st["lower"])
            tlab_en, tlab_zh = f" ({st['en']} stage threshold)", f"（{st['zh']}阶段阈值）"
        else:
            tval, tlab_en, tlab_zh = float(t), "", ""
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return False, f"{lab['en']} not available", f"{lab['zh']}缺失"
        sym, fn = _OPS[c["op"]]
        ok = bool(fn(float(v), tval))
        s = sym if ok else _NOT[c["op"]]
        return (
            ok,
            f"{lab['en']} {_num(float(v))} {s} {_num(tval)}{tlab_en}{_evidence(d, key, 'en', evidence)}",
            f"{lab['zh']} {_num(float(v))} {s} {_num(tval)}{tlab_zh}{_evidence(d, key, 'zh', evidence)}",
        )
    if key in _LISTS:
        vals = [str(x) for x in (v or ())]
        if c.get("nonempty"):
            ok = bool(vals)
        elif "in" in c:
            ok = bool(set(vals) & {str(x) for x in c["in"]})
            vals = [x for x in vals if x in {str(y) for y in c["in"]}] or vals
        else:
            ok = str(c["eq"]) in vals
        listed_en = ", ".join(_shown(key, x, "en") for x in vals) if vals else "none"
        listed_zh = "、".join(_shown(key, x, "zh") for x in vals) if vals else "无"
        return (
            ok,
            f"{lab['en']}: {listed_en}{_evidence(d, key, 'en', evidence)}",
            f"{lab['zh']}：{listed_zh}{_evidence(d, key, 'zh', evidence)}",
        )
    if v is None:
        return False, f"{lab['en']} not available", f"{lab['zh']}缺失"
    ok = str(v) in {str(x) for x in c["in"]} if "in" in c else str(v) == str(c.get("eq"))
    return (
        ok,
        f"{lab['en']} = {_shown(key, v, 'en')}{_evidence(d, key, 'en', evidence)}",
        f"{lab['zh']} = {_shown(key, v, 'zh')}{_evidence(d, key, 'zh', evidence)}",
    )


def recommend(
    diagnosis: Diagnosis | Mapping[str, Any],
    *,
    library: PathLike | Sequence[Measure] | None = None,
    stage_thresholds: Any = None,
    categories: Sequence[str] | None = None,
) -> list[Recommendation]:
    """Measures whose trigger holds for ``diagnosis``, in library order, each with its reason.

    Parameters
    ----------
    diagnosis
        A :class:`Diagnosis` or a mapping with its keys.
    library
        Measure library (default: bundled ``rules/recommendations.yaml``).
    stage_thresholds
        Passed to :func:`cbeclab.diagnose.stages.load_stage_rules` to resolve ``{stage: ...}`` thresholds.
    categories
        Keep only these categories (stage, subsystem, obstacle, mode, empowerment, factors).

    Examples
    --------
    >>> recs = recommend({"synergy": 0.18})
    >>> recs[0].id, recs[0].why_en
    ('s001_digital_links', 'synergy 0.18 < 0.5 (expansion stage threshold)')

    Checked against: each trigger just below and just above its threshold
    (tests/test_recommend.py).
    """
    d = diagnosis if isinstance(diagnosis, Diagnosis) else Diagnosis.from_mapping(diagnosis)
    lib = (
        list(library)
        if isinstance(library, Sequence) and not isinstance(library, str)
        else load_recommendations(library)
    )  # type: ignore[arg-type]
    stages = _stage_bounds(stage_thresholds)
    out: list[Recommendation] = []
    for m in lib:
        if categories is not None and m.category not in categories:
            continue
        ok, why_en, why_zh = _eval(m.trigger, d, stages)
        if ok:
            out.append(
                Recommendation(
                    id=m.id,
                    category=m.category,
                    citation=m.citation,
                    citation_zh=m.citation_zh,
                    en=m.en,
                    zh=m.zh,
                    why_en=why_en,
                    why_zh=why_zh,
                )
            )
    return out


def recommendations_frame(recs: Sequence[Recommendation], lang: str = "en") -> pd.DataFrame:
    """Tidy table of recommendations (id, category, measure, why, citation) in one language."""
    return pd.DataFrame(
        [
            {
                "id": r.id,
                "category": r.category,
                "measure": r.text(lang),
                "why": r.why(lang),
                "citation": r.cite(lang),
            }
            for r in recs
        ],
        columns=["id", "category", "measure", "why", "citation"],
    )


def build_diagnosis(
    *,
    modes: Any = None,
    empowerment: Any = None,
    subsystems: Any = None,
    synergy: Any = None,
    factors: Any = None,
    entity: Any = None,
    entity_name: str | None = None,
) -> Diagnosis:
    """Collect the keys of a :class:`Diagnosis` (with evidence texts) from the diagnose results.

    Parameters
    ----------
    modes
        :class:`~cbeclab.diagnose.modes.ModeRanking` -> ``mode``.
    empowerment
        :class:`~cbeclab.diagnose.empowerment.EmpowermentResult` (last row) -> ``weakest_dimension``,
        ``weakest_element``, ``empowerment_pattern``.
    subsystems
        :class:`~cbeclab.diagnose.subsystems4.FourSubsystemResult` (latest period of ``entity``, default
        the first entity) -> ``coupling_D``, ``lagging_subsystem``, ``top_obstacle``.
    synergy
        A number, or a frame from :func:`cbeclab.diagnose.stages.latest_stage` / ``synergy_stage``
        (row of ``entity``, latest period) -> ``synergy``, ``stage``.
    factors
        :class:`~cbeclab.diagnose.factors.FactorSummary` -> significant / non-significant / mediated roles.
    entity, entity_name
        The entity whose rows are read, and the name the reasons print for it (default: the key).
    """
    kw: dict[str, Any] = {}
    ev: dict[str, dict[str, str]] = {}
    if modes is not None:
        top = modes.top
        kw["mode"] = top.key
        ev["mode"] = {
            "en": f"{top.en}: score {top.score:g} of {top.max_score:g}",
            "zh": f"{top.zh}：得分 {top.score:g}/{top.max_score:g}",
        }
    if empowerment is not None:
        row = empowerment.table.iloc[-1]
        w = str(row["weakest"])
        kw["weakest_dimension"] = w
        kw["empowerment_pattern"] = str(row["pattern"])
        n = len(empowerment.dimensions)
        from cbeclab.diagnose.empowerment import load_empowerment_rules

        dn = {str(x["key"]): x for x in load_empowerment_rules().get("dimensions", [])}
        wn = dn.get(w, {"en": w, "zh": w})
        ev["weakest_dimension"] = {
            "en": f"{wn['en']}, U {float(row[f'U_{w}']):.3f}, lowest of {n}",
            "zh": f"{wn['zh']}，得分 {float(row[f'U_{w}']):.3f}，{n} 个维度中最低",
        }
        ev["empowerment_pattern"] = {
            "en": f"D {float(row['D']):.3f}, C {float(row['C']):.3f}, min U {float(row['min_U']):.3f}",
            "zh": f"D {float(row['D']):.3f}，C {float(row['C']):.3f}，最低维度 {float(row['min_U']):.3f}",
        }
        if "weakest_element" in empowerment.table and row.get("weakest_element") is not None:
            kw["weakest_element"] = str(row["weakest_element"])
    if subsystems is not None:
        latest = subsystems.latest()
        if len(latest):
            pick = latest[latest["entity"] == entity] if entity is not None else latest.iloc[:1]
            if pick.empty:
                raise SpecError(
                    _("entity {entity!r} is not in the panel", entity=entity),
                    where="entity",
                    fix=_("use one of {v1}", v1=list(latest["entity"])),
                )
            r = pick.iloc[0]
            kw["coupling_D"] = float(r["D"])
            kw["lagging_subsystem"] = str(r["lagging"])
            n = len(subsystems.subsystems)
            who = entity_name or r["entity"]
            ev["coupling_D"] = {
                "en": f"{who} {r['period']}, {r['grade_en']}",
                "zh": f"{who} {r['period']}，{r['grade_zh']}",
            }
            nm = getattr(subsystems, "names", {}) or {}
            ln = nm.get(str(r["lagging"]), {"en": str(r["lagging"]), "zh": str(r["lagging"])})
            ev["lagging_subsystem"] = {
                "en": f"{ln['en']}, U {float(r['U_lagging']):.3f}, lowest of {n} in {r['period']}",
                "zh": f"{ln['zh']}，得分 {float(r['U_lagging']):.3f}，{r['period']} 年 {n} 个子系统中最低",
            }
            if isinstance(r.get("top_dimension"), str):
                kw["top_obstacle"] = str(r["top_dimension"])
                on = nm.get(
                    str(r["top_dimension"]), {"en": str(r["top_dimension"]), "zh": str(r["top_dimension"])}
                )
                ev["top_obstacle"] = {
                    "en": f"{on['en']}, obstacle degree {float(r['top_dimension_obstacle']):.3f}, the largest",
                    "zh": f"{on['zh']}，障碍度 {float(r['top_dimension_obstacle']):.3f}，最大",
                }
    if synergy is not None:
        if isinstance(synergy, int | float):
            kw["synergy"] = float(synergy)
        else:
            frame = synergy
            have = frame[frame["synergy"].notna()]
            if entity is not None and "entity" in have:
                have = have[have["entity"] == entity]
            if len(have):
                r = have.iloc[-1] if entity is not None else have.iloc[0]
                kw["synergy"] = float(r["synergy"])
                kw["stage"] = None if r.get("stage") is None else str(r["stage"])
                who = entity_name or r["entity"]
                ev["synergy"] = {"en": f"{who} {r['period']}", "zh": f"{who} {r['period']}"}
    if factors is not None:
        kw["significant_roles"] = tuple(factors.significant_roles)
        kw["nonsignificant_roles"] = tuple(factors.nonsignificant_roles)
        kw["mediated_roles"] = tuple(factors.mediated_roles)
    return Diagnosis(**kw, evidence=ev)
