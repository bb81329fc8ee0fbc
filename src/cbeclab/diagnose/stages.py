"""Synergy stage of a composite system (seed 001, §4): initial, development, expansion, mature.

Seed 001 names the stages and attaches countermeasures to them but gives no numeric thresholds.
The defaults live in ``rules/stages.yaml`` with the reasoning: from the paper's own synergy values
(textile < 0.2 "weak growth momentum" -> initial; jewelry ~0.2, beauty ~0.3, food ~0.4 -> the
"starting and development" stage; leather ~0.6 -> expansion) the bounds are

=====================  ===================  ==========
stage                  synergy C            Chinese
=====================  ===================  ==========
non-synergistic        C <= 0               负向协同
initial                0 < C < 0.2          起步
development            0.2 <= C < 0.5       发展
expansion              0.5 <= C < 0.8       扩张
mature                 C >= 0.8             成熟
=====================  ===================  ==========

A non-positive synergy means some subsystem's order degree fell or stayed flat against the base
period (θ = -1 in the standard model), which no growth stage describes; it gets its own stage.
A missing synergy (the base period) gets no stage.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _

__all__ = ["latest_stage", "load_stage_rules", "stage_index", "synergy_stage"]

_WHERE = "cbeclab/diagnose/rules/stages.yaml"


def load_stage_rules(thresholds: Any = None) -> dict[str, Any]:
    """Stage rules: the bundled YAML, a YAML path, a full rules mapping, or ``{stage_key: lower}``.

    A ``{stage_key: lower}`` mapping changes the lower bounds of the bundled stages and keeps their
    labels. Bounds must start at 0 and increase.
    """
    base = yaml.safe_load(
        resources.files("cbeclab.diagnose").joinpath("rules/stages.yaml").read_text("utf-8")
    )
    where = _WHERE
    if thresholds is None:
        rules = base
    elif isinstance(thresholds, str | os.PathLike):
        where = str(thresholds)
        try:
            with open(thresholds, encoding="utf-8") as fh:
                rules = yaml.safe_load(fh)
        except OSError as exc:
            raise SpecError(_("cannot read stage rules: {exc}", exc=exc), where=where) from exc
    elif isinstance(thresholds, Mapping) and "stages" in thresholds:
        rules = dict(thresholds)
        rules.setdefault("non_synergistic", base["non_synergistic"])
        where = "thresholds"
    elif isinstance(thresholds, Mapping):
        known = {s["key"] for s in base["stages"]}
        unknown = [k for k in thresholds if k not in known]
        if unknown:
            raise SpecError(
                _("unknown stage(s) {unknown}", unknown=unknown),
                where="thresholds",
                fix=_("use the stage keys {v1}", v1=sorted(known)),
            )
        rules = dict(base)
        rules["stages"] = [
            {**s, "lower": float(thresholds.get(s["key"], s["lower"]))} for s in base["stages"]
        ]
        where = "thresholds"
    else:
        raise SpecError(
            _("thresholds of type {name} are not understood", name=type(thresholds).__name__),
            where="thresholds",
            fix=_("pass None, a YAML path, or a mapping {stage: lower bound}"),
        )
    try:
        lows = np.array([float(s["lower"]) for s in rules["stages"]])
        for s in rules["stages"]:
            s["key"], s["en"], s["zh"]  # noqa: B018 - presence check
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(
            _("each stage needs key, lower, en and zh"),
            where=where,
            fix=_("follow the layout of the bundled stages.yaml"),
        ) from exc
    if len(lows) == 0 or lows[0] != 0.0 or (np.diff(lows) <= 0).any() or lows[-1] >= 1.0:
        raise SpecError(
            _("stage lower bounds {v1} must start at 0, increase and stay below 1", v1=lows.tolist()),
            where=where,
            fix=_("e.g. initial 0, development 0.2, expansion 0.5, mature 0.8"),
        )
    return rules


def _as_long(values: Any) -> pd.DataFrame:
    """``entity``, ``period``, ``synergy`` from a SynergyResult, DataFrame or Series."""
    if hasattr(values, "synergy") and isinstance(values.synergy, pd.DataFrame):
        values = values.synergy
    if isinstance(values, pd.Series):
        if isinstance(values.index, pd.MultiIndex) and values.index.nlevels == 2:
            return pd.DataFrame(
                {
                    "entity": np.asarray(values.index.get_level_values(0)),
                    "period": np.asarray(values.index.get_level_values(1)),
                    "synergy": values.to_numpy(dtype=float),
                }
            )
        return pd.DataFrame(
            {"entity": np.asarray(values.index), "period": None, "synergy": values.to_numpy(dtype=float)}
        )
    if isinstance(values, pd.DataFrame):
        if "synergy" not in values.columns:
            raise DataError(
                _("no 'synergy' column"),
                where="values",
                fix=_("pass a SynergyResult, its .synergy frame, or a Series of synergy degrees"),
            )
        frame = values
        if "entity" not in frame.columns:
            if isinstance(frame.index, pd.MultiIndex) and frame.index.nlevels == 2:
                frame = frame.reset_index(names=["entity", "period"])
            else:
                frame = frame.reset_index(names="entity").assign(period=None)
        if "period" not in frame.columns:
            frame = frame.assign(period=None)
        try:
            syn = frame["synergy"].to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(_("synergy values must be numbers"), where="values['synergy']") from exc
        return pd.DataFrame(
            {"entity": frame["entity"].to_numpy(), "period": frame["period"].to_numpy(), "synergy": syn}
        )
    raise DataError(
        _("cannot read synergy values from {name}", name=type(values).__name__),
        where="values",
        fix=_("pass a SynergyResult, its .synergy frame, or a Series of synergy degrees"),
    )


def stage_index(c: np.ndarray, rules: dict[str, Any]) -> np.ndarray:
    """Position of each synergy degree's stage in ``rules["stages"]``; ``len(stages)`` for non-synergistic.

    Works on arrays of any shape (the sensitivity analysis classifies many draws at once); NaN gets
    the index of the first stage, so mask missing values yourself. Used by :func:`synergy_stage`.
    """
    stages = rules["stages"]
    lows = np.array([float(s["lower"]) for s in stages])
    c = np.asarray(c, dtype=float)
    idx = np.searchsorted(lows, np.round(np.nan_to_num(c, nan=0.0), 12), side="right") - 1
    return np.where(c <= 0, len(stages), np.clip(idx, 0, len(stages) - 1))


def synergy_stage(values: Any, thresholds: Any = None) -> pd.DataFrame:
    """Stage of every synergy degree.

    Parameters
    ----------
    values
        A :class:`~cbeclab.models.synergy.SynergyResult`, its ``synergy`` frame (columns ``entity``,
        ``period``, ``synergy``), or a Series of synergy degrees (MultiIndex entity, period).
    thresholds
        ``None`` (bundled ``rules/stages.yaml``), a YAML path, or ``{stage_key: lower}``.

    Returns
    -------
    DataFrame
        ``entity``, ``period``, ``synergy``, ``stage`` (key), ``stage_en``, ``stage_zh``; ``None``
        stage where the synergy is missing (base period).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([-0.1, 0.0, 0.15, 0.3, 0.6, 0.85], index=list("abcdef"))
    >>> synergy_stage(s)["stage"].tolist()
    ['non_synergistic', 'non_synergistic', 'initial', 'development', 'expansion', 'mature']

    Checked against: the stage bounds of ``rules/stages.yaml`` at and around each boundary
    (tests/test_diagnose_stages.py).
    """
    rules = load_stage_rules(thresholds)
    long = _as_long(values)
    c = long["synergy"].to_numpy(dtype=float)
    stages = rules["stages"]
    keys = np.array([s["key"] for s in stages] + [rules["non_synergistic"]["key"]], dtype=object)
    en = np.array([s["en"] for s in stages] + [rules["non_synergistic"]["en"]], dtype=object)
    zh = np.array([s["zh"] for s in stages] + [rules["non_synergistic"]["zh"]], dtype=object)
    idx = stage_index(c, rules)
    missing = ~np.isfinite(c)
    out = long.copy()
    for col, labels in (("stage", keys), ("stage_en", en), ("stage_zh", zh)):
        arr = labels[idx]
        arr[missing] = None
        out[col] = pd.Series(arr, index=out.index, dtype=object)
    return out


def latest_stage(values: Any, thresholds: Any = None) -> pd.DataFrame:
    """Stage of each entity's latest period that has a synergy degree (one row per entity)."""
    staged = synergy_stage(values, thresholds)
    have = staged[staged["synergy"].notna()]
    return have.groupby("entity", sort=False).tail(1).reset_index(drop=True)
