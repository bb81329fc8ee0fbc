r"""New quality productive forces empowerment of CBEC clusters (seed 004): level, balance, pattern.

Seed 004 (Zhuo et al.) frames empowerment in three dimensions, technology empowerment (技术赋能),
market adaptation (市场适配) and ecological symbiosis (生态共生), driven by three core elements
(technological innovation, data elements, new-type labourers), and describes the move of Guangdong
clusters from "single-point breakthrough" (单点突破) to "system reconstruction" (系统重构).

Scores :math:`U_k \in [0, 1]` of the three dimensions come from indicators (seed004 framework,
:func:`empowerment_scores`, normalised and weighted by :mod:`cbeclab.evaluate`) or from a cluster
profile. :func:`classify_empowerment` runs them through the coupling coordination model
(:func:`cbeclab.models.coupling.coupling_from_scores`, classical, equal contributions):

.. math::

    C = \frac{3\,(U_1 U_2 U_3)^{1/3}}{U_1 + U_2 + U_3},\qquad T = \tfrac13 \sum_k U_k,\qquad
    D = \sqrt{C\,T}

and classifies

.. math::

    \text{system reconstruction} \iff D \ge d_{\min} \;\wedge\; C \ge c_{\min} \;\wedge\;
    \min_k U_k \ge u_{\min}, \qquad \text{single-point breakthrough otherwise,}

with :math:`d_{\min} = 0.6`, :math:`c_{\min} = 0.95`, :math:`u_{\min} = 0.5` from
``rules/empowerment.yaml`` (the file gives the reasoning: §4.3.1 of the paper calls a cluster that
optimises one link while the others stay separate a single-point breakthrough, and full-link
coordination of technology, market and ecology a system reconstruction; so the rule asks for a high
joint level, balance, and no dimension left behind). The weakest dimension (lowest U; ties: first in
order) is named with the paper's policy levers for it (§5).

Checked against: hand calculation of C, T, D and the three tests at and around each threshold
(tests/test_diagnose_empowerment.py); C, T, D themselves come from ``coupling_from_scores``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.diagnose.modes import _package_yaml, _profiles_dir, _read_yaml, _split_values, read_profile
from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _

__all__ = [
    "ClusterProfile",
    "EmpowermentResult",
    "classify_empowerment",
    "diagnose_cluster",
    "empowerment_scores",
    "list_cluster_profiles",
    "load_cluster_profile",
    "load_empowerment_rules",
]

PathLike = str | os.PathLike[str]


@lru_cache(maxsize=1)
def _bundled_rules() -> dict[str, Any]:
    return _package_yaml("rules/empowerment.yaml")


def load_empowerment_rules(path: PathLike | None = None) -> dict[str, Any]:
    """Rules of ``rules/empowerment.yaml`` (or a user file): classification thresholds, dimensions, elements."""
    data = dict(_bundled_rules()) if path is None else _read_yaml(path)
    where = "cbeclab/diagnose/rules/empowerment.yaml" if path is None else str(path)
    cls = data.get("classification")
    if not isinstance(cls, Mapping):
        raise SpecError(_("missing `classification` mapping"), where=where)
    for k in ("d_min", "c_min", "u_min"):
        v = cls.get(k)
        if not isinstance(v, int | float) or not 0.0 <= float(v) <= 1.0:
            raise SpecError(
                _("classification.{k} = {v!r} must be a number in [0, 1]", k=k, v=v),
                where=f"{where}: classification.{k}",
            )
    if len(data.get("dimensions") or []) < 2:
        raise SpecError(_("at least two empowerment dimensions are needed"), where=f"{where}: dimensions")
    return data


def _dims(rules: Mapping[str, Any]) -> list[str]:
    return [str(d["key"]) for d in rules["dimensions"]]


def _elements(rules: Mapping[str, Any]) -> list[str]:
    return [str(d["key"]) for d in rules.get("elements") or []]


def _names(rules: Mapping[str, Any], key: str) -> dict[str, dict[str, str]]:
    return {str(d["key"]): {"en": str(d["en"]), "zh": str(d["zh"])} for d in rules.get(key) or []}


# --------------------------------------------------------------------------- scores from indicators


def empowerment_scores(
    X: pd.DataFrame,
    framework: Any = "seed004",
    *,
    level: str = "empowerment",
    weights: Any = "entropy",
    scope: str = "pooled",
) -> pd.DataFrame:
    """Scores in [0, 1] of the empowerment dimensions (or core elements) from raw indicators.

    Parameters
    ----------
    X
        Panel matrix (MultiIndex entity, period) with the seed004 indicator columns (TE1..., MA1...,
        ES1... for ``level="empowerment"``; T1..., D1..., L1... for ``level="elements"``).
    framework
        Framework name, path or object (default ``"seed004"``).
    level
        ``"empowerment"`` (three dimensions) or ``"elements"`` (three core elements).
    weights, scope
        Passed to :func:`cbeclab.evaluate.subsystem_scores` (min-max normalisation, per-dimension weights).

    Returns
    -------
    DataFrame
        ``entity``, ``period`` and one column per dimension.
    """
    from cbeclab.evaluate import subsystem_scores
    from cbeclab.frameworks import load_framework

    fw = load_framework(framework)
    system = {"empowerment": "empowerment", "elements": "core_elements"}.get(level)
    if system is None:
        raise SpecError(
            _("level={level!r} is not known", level=level),
            where="level",
            fix=_("use 'empowerment' or 'elements'"),
        )
    dims = fw.subsystems(level="dimension")
    want = [d.id for s in fw.systems if s.id == system for d in s.dimensions]
    if not want:
        raise SpecError(_("framework has no system {system!r}", system=system), where="framework")
    subs = {d: dims[d] for d in want}
    return subsystem_scores(X, subs, weights, scope=scope)


# --------------------------------------------------------------------------- classification


@dataclass(frozen=True)
class EmpowermentResult:
    """Result of :func:`classify_empowerment`.

    ``table``: ``entity``, ``period``, ``U_<dimension>``..., ``C``, ``T``, ``D``, ``grade``,
    ``grade_en``, ``grade_zh``, ``min_U``, ``d_ok``, ``c_ok``, ``u_ok``, ``pattern``, ``pattern_en``,
    ``pattern_zh``, ``weakest``, ``leading``; ``reasons`` one entry per row with the three tests in
    words; ``levers`` the policy levers of each row's weakest dimension (and weakest element).
    """

    table: pd.DataFrame
    dimensions: list[str]
    thresholds: dict[str, float]
    reasons: tuple[dict[str, list[str]], ...]
    levers: tuple[list[dict[str, Any]], ...]
    elements: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    def row(self, i: int = -1) -> dict[str, Any]:
        from cbeclab.models._common import json_safe

        return dict(json_safe(self.table.iloc[i].to_dict()))

    @property
    def pattern(self) -> str:
        """Pattern of the last row (the latest period of the last entity)."""
        return str(self.table["pattern"].iloc[-1])

    @property
    def weakest(self) -> str:
        return str(self.table["weakest"].iloc[-1])

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        from cbeclab.models._common import records

        return {
            "model": "new quality productive forces empowerment (seed 004)",
            "dimensions": list(self.dimensions),
            "thresholds": dict(self.thresholds),
            "table": records(self.table),
            "reasons": [dict(r) for r in self.reasons],
            "levers": [list(x) for x in self.levers],
            "elements": None if self.elements is None else records(self.elements),
            "notes": list(self.notes),
        }


def _as_score_frame(scores: Any, dims: list[str], what: str) -> pd.DataFrame:
    if isinstance(scores, Mapping):
        frame = pd.DataFrame([{k: scores[k] for k in scores}])
    elif isinstance(scores, pd.DataFrame):
        frame = scores
        if {"entity", "period"} <= set(frame.columns):
            frame = frame.set_index(["entity", "period"])
    else:
        raise DataError(_("{what} must be a mapping or a DataFrame", what=what), where=what)
    cols = {c: (c[2:] if str(c).startswith("U_") else str(c)) for c in frame.columns}
    frame = frame.rename(columns=cols)
    missing = [d for d in dims if d not in frame.columns]
    if missing:
        raise DataError(
            _("{what} lacks {missing}", what=what, missing=missing),
            where=what,
            fix=_("give a score in [0, 1] for each of {dims}", dims=dims),
        )
    return frame[dims]


def classify_empowerment(
    scores: Mapping[str, float] | pd.DataFrame,
    *,
    elements: Mapping[str, float] | pd.DataFrame | None = None,
    rules: PathLike | Mapping[str, Any] | None = None,
) -> EmpowermentResult:
    """Classify single-point breakthrough vs system reconstruction from the three dimension scores.

    Parameters
    ----------
    scores
        ``{dimension: U}`` for one cluster, or a frame with one column per dimension (optionally
        ``entity``/``period`` columns or a MultiIndex), e.g. from :func:`empowerment_scores`.
    elements
        Optional core-element scores (same shapes); the weakest element adds its levers.
    rules
        Rules mapping or YAML path (default: bundled ``rules/empowerment.yaml``).

    Examples
    --------
    >>> r = classify_empowerment({"technology_empowerment": 0.8, "market_adaptation": 0.5,
    ...                           "ecological_symbiosis": 0.5})
    >>> r.pattern, r.weakest, round(float(r.table["C"][0]), 4)
    ('system_reconstruction', 'market_adaptation', 0.9747)
    """
    from cbeclab.diagnose.recommend import load_recommendations
    from cbeclab.models.coupling import coupling_from_scores

    R = rules if isinstance(rules, Mapping) else load_empowerment_rules(rules)
    dims = _dims(R)
    cls = R["classification"]
    d_min, c_min, u_min = float(cls["d_min"]), float(cls["c_min"]), float(cls["u_min"])
    U = _as_score_frame(scores, dims, "scores")
    res = coupling_from_scores(U, model=cls.get("model", "classical"))
    t = res.table.copy()
    M = U.to_numpy(dtype=float)
    t["min_U"] = M.min(axis=1)
    t["d_ok"] = t["D"].to_numpy() >= d_min - 1e-12
    t["c_ok"] = t["C"].to_numpy() >= c_min - 1e-12
    t["u_ok"] = t["min_U"].to_numpy() >= u_min - 1e-12
    system = t["d_ok"] & t["c_ok"] & t["u_ok"]
    pats = cls["patterns"]
    t["pattern"] = np.where(system, "system_reconstruction", "single_point")
    t["pattern_en"] = np.where(system, pats["system_reconstruction"]["en"], pats["single_point"]["en"])
    t["pattern_zh"] = np.where(system, pats["system_reconstruction"]["zh"], pats["single_point"]["zh"])
    t["weakest"] = np.array(dims, dtype=object)[M.argmin(axis=1)]
    t["leading"] = np.array(dims, dtype=object)[M.argmax(axis=1)]
    t = t.drop(columns=["lagging", "lag_gap"], errors="ignore")

    names = _names(R, "dimensions")
    lib = {m.id: m for m in load_recommendations()}
    lever_ids = {str(d["key"]): list(d.get("levers") or []) for d in R["dimensions"]}
    el_ids = {str(d["key"]): list(d.get("levers") or []) for d in R.get("elements") or []}
    el_frame = None
    weakest_el: list[str | None] = [None] * len(t)
    if elements is not None:
        els = _elements(R)
        E = _as_score_frame(elements, els, "elements")
        if len(E) != len(t):
            raise DataError(_("elements and scores have different numbers of rows"), where="elements")
        EM = E.to_numpy(dtype=float)
        if not np.all(np.isfinite(EM)) or (EM < 0).any() or (EM > 1).any():
            raise DataError(_("element scores must be in [0, 1]"), where="elements")
        weakest_el = list(np.array(els, dtype=object)[EM.argmin(axis=1)])
        el_frame = E.reset_index(drop=True)
        el_frame["weakest_element"] = np.array(weakest_el, dtype=object)
        t["weakest_element"] = weakest_el

    reasons: list[dict[str, list[str]]] = []
    levers: list[list[dict[str, Any]]] = []
    for i in range(len(t)):
        r = t.iloc[i]
        w = str(r["weakest"])
        en = [
            f"D {r['D']:.3f} {'>=' if r['d_ok'] else '<'} {d_min:g} (level)",
            f"C {r['C']:.3f} {'>=' if r['c_ok'] else '<'} {c_min:g} (balance)",
            f"weakest dimension {names[w]['en']} {r['min_U']:.3f} {'>=' if r['u_ok'] else '<'} {u_min:g} (floor)",
        ]
        zh = [
            f"D {r['D']:.3f} {'≥' if r['d_ok'] else '<'} {d_min:g}（水平）",
            f"C {r['C']:.3f} {'≥' if r['c_ok'] else '<'} {c_min:g}（均衡）",
            f"最弱维度{names[w]['zh']} {r['min_U']:.3f} {'≥' if r['u_ok'] else '<'} {u_min:g}（底线）",
        ]
        reasons.append({"en": en, "zh": zh})
        ids = list(lever_ids.get(w, []))
        if weakest_el[i] is not None:
            ids += [x for x in el_ids.get(str(weakest_el[i]), []) if x not in ids]
        levers.append([lib[x].to_dict() for x in ids if x in lib])
    return EmpowermentResult(
        table=t,
        dimensions=dims,
        thresholds={"d_min": d_min, "c_min": c_min, "u_min": u_min},
        reasons=tuple(reasons),
        levers=tuple(levers),
        elements=el_frame,
        notes=res.notes,
    )


# --------------------------------------------------------------------------- cluster profiles


@dataclass(frozen=True)
class ClusterProfile:
    """A cluster empowerment profile: dimension scores (and optional element scores) in [0, 1]."""

    key: str
    name: str
    name_zh: str
    city: str
    scores: dict[str, float]
    elements: dict[str, float] | None
    estimates: tuple[str, ...]
    facts: tuple[dict[str, str], ...]
    sources: tuple[str, ...]
    notes: dict[str, str] = field(default_factory=dict)
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "name_zh": self.name_zh,
            "city": self.city,
            "scores": dict(self.scores),
            "elements": None if self.elements is None else dict(self.elements),
            "estimates": list(self.estimates),
            "facts": [dict(f) for f in self.facts],
            "sources": list(self.sources),
            "notes": dict(self.notes),
            "path": self.path,
        }


def list_cluster_profiles() -> list[str]:
    """Names of the bundled cluster profiles (``diagnose/profiles/clusters/*.yaml``)."""
    return sorted(p.stem for p in _profiles_dir("clusters").glob("*.yaml"))


def _unit_scores(
    raw: Any, keys: list[str], where: str, what: str
) -> tuple[dict[str, float], list[str], dict[str, str]]:
    vals, est, notes = _split_values(raw, where)
    missing = [k for k in keys if k not in vals]
    unknown = [k for k in vals if k not in keys]
    if missing:
        raise SpecError(
            _("{what} score {v1!r} is missing; valid range [0, 1]", what=what, v1=missing[0]),
            where=f"{where}: {what}.{missing[0]}",
            fix=_("give a score in [0, 1] for each of {keys}", keys=keys),
        )
    if unknown:
        raise SpecError(
            _("unknown {what} {v1!r}", what=what, v1=unknown[0]),
            where=f"{where}: {what}.{unknown[0]}",
            fix=_("use {keys}", keys=keys),
        )
    out: dict[str, float] = {}
    for k in keys:
        v = vals[k]
        ok = (
            isinstance(v, int | float)
            and not isinstance(v, bool)
            and math.isfinite(float(v))
            and 0 <= float(v) <= 1
        )
        if not ok:
            raise SpecError(
                _("{what} score {k!r} = {v!r} is outside its valid range [0, 1]", what=what, k=k, v=v),
                where=f"{where}: {what}.{k}",
                fix=_("give a number between 0 and 1"),
            )
        out[k] = float(v)
    return out, est, notes


def load_cluster_profile(
    source: PathLike | Mapping[str, Any], rules: PathLike | None = None
) -> ClusterProfile:
    """Load a cluster empowerment profile (YAML file, bundled name such as ``"foshan_home"``, or mapping).

    Layout::

        kind: cluster
        name: Foshan home furnishing
        name_zh: 佛山家居
        city: Foshan
        scores:                 # the three empowerment dimensions, each in [0, 1]
          technology_empowerment: {value: 0.55, estimate: true}
          market_adaptation: 0.80
          ecological_symbiosis: 0.60
        elements: {...}         # optional: the three core elements in [0, 1]
        facts: [{en: ..., zh: ..., source: ...}]
        sources: [...]
    """
    R = load_empowerment_rules(rules)
    raw, where, path = read_profile(source, "cluster")
    if "scores" not in raw:
        raise SpecError(
            _("the profile has no `scores` mapping"), where=where, fix=_("give the three dimension scores")
        )
    scores, est, notes = _unit_scores(raw["scores"], _dims(R), where, "scores")
    elements = None
    if raw.get("elements") is not None:
        elements, est2, notes2 = _unit_scores(raw["elements"], _elements(R), where, "elements")
        est += [f"elements.{e}" for e in est2]
        notes.update({f"elements.{k}": v for k, v in notes2.items()})
    facts = tuple({str(k): str(v) for k, v in dict(f).items()} for f in raw.get("facts") or [])
    return ClusterProfile(
        key=Path(where).stem if path else str(raw.get("key", raw.get("name", "cluster"))),
        name=str(raw.get("name", "cluster")),
        name_zh=str(raw.get("name_zh", raw.get("name", ""))),
        city=str(raw.get("city", "")),
        scores=scores,
        elements=elements,
        estimates=tuple(est),
        facts=facts,
        sources=tuple(str(s) for s in raw.get("sources") or []),
        notes=notes,
        path=path,
    )


def diagnose_cluster(
    profile: ClusterProfile | PathLike | Mapping[str, Any], rules: PathLike | None = None
) -> EmpowermentResult:
    """Classify a cluster profile (see :func:`classify_empowerment`); the row's entity is the cluster name."""
    prof = profile if isinstance(profile, ClusterProfile) else load_cluster_profile(profile, rules)
    U = pd.DataFrame(
        [prof.scores], index=pd.MultiIndex.from_tuples([(prof.name, None)], names=["entity", "period"])
    )
    E = None if prof.elements is None else pd.DataFrame([prof.elements])
    res = classify_empowerment(U, elements=E, rules=rules)
    notes = list(res.notes)
    if prof.estimates:
        from cbeclab.i18n.names import display_name

        shown = ", ".join(display_name("pattern", k) for k in prof.estimates)
        notes.append(_("estimated scores: {v1}", v1=shown))
    return EmpowermentResult(
        table=res.table,
        dimensions=res.dimensions,
        thresholds=res.thresholds,
        reasons=res.reasons,
        levers=res.levers,
        elements=res.elements,
        notes=tuple(notes),
    )
