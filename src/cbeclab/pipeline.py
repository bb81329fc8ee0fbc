"""The engine pipeline (issue 2): spec → panel → weights → synergy, coupling → stages, obstacles, forecasts.

:func:`run_spec` is what ``cbeclab run`` and the demo call; it only wires together the public functions
of :mod:`cbeclab.io`, :mod:`cbeclab.evaluate`, :mod:`cbeclab.models` and :mod:`cbeclab.diagnose`, and
returns a :class:`RunResult`. Rendering lives in :mod:`cbeclab.render.engine_report`.

The JSON schema of :meth:`RunResult.to_dict` is documented in ``docs/result-schema.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cbeclab import __version__
from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _
from cbeclab.spec import RunSpec

__all__ = ["RunResult", "imputed_cells", "load_spec_panel", "resolve_subsystems", "run_spec", "synergy_partitioned"]

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RunResult:
    """Everything one engine run produced, each part a typed result of its own stage."""

    spec: RunSpec
    panel: Any  # cbeclab.io.panel.Panel
    subsystems: dict[str, dict[str, int]]
    synergy: Any | None  # SynergyResult
    stages: pd.DataFrame | None
    coupling: Any | None  # CouplingResult
    obstacles: Any | None  # ObstacleResult
    forecasts: dict[str, Any] = field(default_factory=dict)  # name -> GM11ManyResult
    notes: tuple[str, ...] = ()
    sensitivity: Any | None = None  # SensitivityResult (cbeclab.sensitivity), when asked for

    # ---- tidy tables -------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per entity at its latest period: synergy, stage, D, coordination grade, lagging subsystem."""
        rows: pd.DataFrame | None = None
        if self.stages is not None and len(self.stages):
            st = self.stages.groupby("entity", sort=False).tail(1)
            keep = [c for c in ("entity", "period", "synergy", "stage", "stage_en", "stage_zh") if c in st]
            rows = st[keep].reset_index(drop=True)
        if self.coupling is not None:
            ct = self.coupling.table.groupby("entity", sort=False).tail(1)
            ct = ct[["entity", "period", "C", "T", "D", "grade", "grade_en", "grade_zh", "lagging"]]
            rows = (
                ct.reset_index(drop=True)
                if rows is None
                else rows.merge(ct.drop(columns=["period"]), on="entity", how="outer")
            )
        return rows if rows is not None else pd.DataFrame()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every output table by name (the sheets of result.xlsx)."""
        # wide (one row per entity-period) where the long form would run to millions of rows
        out: dict[str, pd.DataFrame] = {"summary": self.summary()}
        out["panel"] = self.panel.data.reset_index()
        if self.synergy is not None:
            out["weights_synergy"] = self.synergy.weights.to_frame()
            out["bounds"] = self.synergy.bounds
            out["order_degree"] = self.synergy.order_wide.reset_index()
            out["subsystem_order"] = self.synergy.subsystem_order
            out["synergy"] = self.synergy.synergy
        if self.stages is not None:
            out["stages"] = self.stages
        if self.coupling is not None:
            if self.coupling.weights is not None:
                out["weights_coupling"] = self.coupling.weights.to_frame()
            out["coupling"] = self.coupling.table
        if self.obstacles is not None:
            out["obstacles_indicator"] = self.obstacles.obstacle_wide.reset_index()
            out["obstacles_subsystem"] = self.obstacles.subsystem
            out["obstacles_top"] = self.obstacles.top
        for name, fc in self.forecasts.items():
            out[f"forecast_{name}"] = fc.to_frame()
            out[f"forecast_{name}_params"] = fc.params
        if self.sensitivity is not None:
            out["sensitivity"] = self.sensitivity.to_frame()
            out["sensitivity_draws"] = self.sensitivity.draws
        imputed = imputed_cells(self.panel)
        if len(imputed):
            out["imputed_cells"] = imputed
        if len(self.panel.missing):
            out["missing_cells"] = self.panel.missing
        return out

    def to_dict(self) -> dict[str, Any]:
        """Every table inline, JSON-safe (the in-memory layout of schema 1, for notebooks and small runs).

        ``result.json`` on disk is schema 2 (:func:`cbeclab.store.result_document`): the same keys, with
        long tables named by their Parquet file in the run's store instead of inlined.
        """
        from cbeclab.render.jsonout import records, to_jsonable

        p = self.panel
        return {
            "schema_version": 1,
            "cbeclab_version": __version__,
            "title": self.spec.title,
            "data": {
                "source": p.source,
                "entity": p.entity,
                "period": p.period,
                "entities": to_jsonable(list(p.entities)),
                "periods": to_jsonable(list(p.periods)),
                "indicators": list(p.indicators),
                "imputed_cells": records(imputed_cells(p)),
                "missing_cells": records(p.missing),
                "notes": list(p.notes),
            },
            "subsystems": self.subsystems,
            "options": to_jsonable(self.spec.model_dump(exclude={"base_dir"})),
            "summary": records(self.summary()),
            "synergy": None if self.synergy is None else self.synergy.to_dict(),
            "stages": None if self.stages is None else records(self.stages),
            "coupling": None if self.coupling is None else self.coupling.to_dict(),
            "obstacles": None if self.obstacles is None else self.obstacles.to_dict(),
            "forecasts": {k: v.to_dict() for k, v in self.forecasts.items()},
            "notes": list(self.notes),
        }


def imputed_cells(panel: Any) -> pd.DataFrame:
    """The imputed cells of ``panel``: entity, period, indicator and the value filled in."""
    imp = panel.imputed
    if not bool(imp.to_numpy().any()):
        return pd.DataFrame(columns=["entity", "period", "indicator", "value"])
    stacked = imp.stack()
    stacked = stacked[stacked]
    idx = stacked.index
    values = [panel.data.at[(e, t), i] for e, t, i in idx]
    return pd.DataFrame(
        {
            "entity": idx.get_level_values(0),
            "period": idx.get_level_values(1),
            "indicator": idx.get_level_values(2),
            "value": values,
        }
    )


def load_spec_panel(spec: RunSpec) -> Any:
    """Load and validate the panel the spec names (a file or a bundled dataset)."""
    from cbeclab.io.panel import load_panel
    from cbeclab.io.readers import read_table

    d = spec.data
    if d.dataset is not None:
        from cbeclab.datasets.registry import load_dataset

        source, name = load_dataset(d.dataset), f"dataset:{d.dataset}"
    else:
        path = spec.resolve(d.path or "")
        source = read_table(
            path,
            sheet=d.sheet,
            encoding=d.encoding,
            header_row=d.header_row,
            skip_footer=d.skip_footer,
            delimiter=d.delimiter,
            decimal=d.decimal,
            **({"max_mb": d.max_mb} if d.max_mb is not None else {}),
        )
        name = str(path)
    return load_panel(
        source,
        entity=d.entity,
        period=d.period,
        layout=d.layout,
        indicator_col=d.indicator_col,
        value_col=d.value_col,
        impute=d.impute,
        name=name,
    )


def resolve_subsystems(spec: RunSpec, columns: list[str]) -> dict[str, dict[str, int]]:
    """Subsystems from the spec (inline, a framework, or a framework extended inline), checked against data."""
    subs: dict[str, dict[str, int]] = {}
    if spec.framework:
        from cbeclab.frameworks import load_framework

        fw_path = spec.framework
        candidate = spec.resolve(fw_path)
        fw = load_framework(str(candidate) if candidate.is_file() else fw_path)
        subs = {k: dict(v) for k, v in fw.subsystems().items()}
        if spec.subsystems:
            for k, v in spec.subsystems.items():
                subs[k] = dict(v)
        # a framework's indicators that the data does not carry are dropped only if the spec says
        # nothing else; an empty subsystem is an error below
    else:
        subs = {k: dict(v) for k, v in (spec.subsystems or {}).items()}
    if len(subs) < 2:
        raise SpecError(
            _(
                "found {n_subs} subsystem(s); the synergy and coupling models need at least 2",
                n_subs=len(subs),
            ),
            where="subsystems",
            fix=_("list two or more subsystems, each with its indicators"),
        )
    seen: dict[str, str] = {}
    for s, inds in subs.items():
        for i in inds:
            if i in seen:
                raise SpecError(
                    _("indicator {i!r} is listed in both {v1!r} and {s!r}", i=i, v1=seen[i], s=s),
                    where=f"subsystems.{s}.{i}",
                    fix=_("an indicator belongs to one subsystem; rename or remove one"),
                )
            seen[i] = s
    missing = [i for i in seen if i not in columns]
    if missing:
        import difflib

        hints = []
        for m in missing[:5]:
            close = difflib.get_close_matches(m, columns, n=1)
            hints.append(f"{m!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise DataError(
            _(
                "{n_missing} indicator(s) named in the spec are not columns of the data: {v1}",
                n_missing=len(missing),
                v1=", ".join(hints),
            ),
            where="subsystems",
            fix=_("use column names of the data; available: {v1}", v1=", ".join(map(str, columns[:30]))),
        )
    return subs


def _weights_arg(spec: RunSpec, subs: dict[str, dict[str, int]], X: pd.DataFrame, scope: str) -> Any:
    """Compute one WeightResult per subsystem with every option of the spec (or a cheap shorthand)."""
    w = spec.weights
    if w.method == "equal":
        return "equal"
    from cbeclab.evaluate.weights import compute_weights

    out: dict[str, Any] = {}
    for s, inds in subs.items():
        cols = list(inds)
        user = None
        if w.values is not None:
            user = {k: v for k, v in w.values.items() if k in inds}
        ahp = None
        if w.ahp_matrix is not None:
            if s not in w.ahp_matrix:
                raise SpecError(
                    _("no AHP matrix for subsystem {s!r}", s=s),
                    where="weights.ahp_matrix",
                    fix=_(
                        "give a {n_cols}x{n_cols} pairwise matrix for {s!r} in indicator order {cols}",
                        n_cols=len(cols),
                        s=s,
                        cols=cols,
                    ),
                )
            m = w.ahp_matrix[s]
            if len(m) != len(cols) or any(len(r) != len(cols) for r in m):
                shape = f"{len(m)}x{max((len(r) for r in m), default=0)}"
                raise SpecError(
                    f"the AHP matrix of subsystem {s!r} is {shape}, but the subsystem has {len(cols)} "
                    f"indicator(s)",
                    where=f"weights.ahp_matrix.{s}",
                    fix=f"give a {len(cols)}x{len(cols)} pairwise matrix, rows and columns in the order {cols}",
                )
            ahp = pd.DataFrame(m, index=cols, columns=cols)
        out[s] = compute_weights(
            X[cols],
            dict(inds),
            w.method,
            scope=w.scope or scope,  # type: ignore[arg-type]
            shift=w.shift,
            user=user,
            ahp_matrix=ahp,
            ahp_allow_inconsistent=w.ahp_allow_inconsistent,
            combine=w.combine,
            standardize=w.standardize,
            ahp_method=w.ahp_method,
            compat=spec.compat_for("weights"),
        )
    return out


def _partitions(X: pd.DataFrame, n_parts: int) -> list[pd.DataFrame]:
    """Split a panel matrix into ``n_parts`` blocks of whole entities, in entity order."""
    codes, uniques = pd.factorize(X.index.get_level_values(0), sort=False)
    bounds = np.linspace(0, len(uniques), max(1, min(n_parts, len(uniques))) + 1).round().astype(int)
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        mask = (codes >= a) & (codes < b)
        if mask.any():
            out.append(X[mask])
    return out


def _merge_weights(parts: list[Any], entities: list[pd.Index]) -> Any:
    """One SubsystemWeights from the partitions', with the one-process rule: a single ``pooled`` row
    when every entity has the same weights, else one row per entity."""
    from cbeclab.models._common import SubsystemWeights

    first = parts[0]
    rows = []
    for p, ents in zip(parts, entities):
        t = p.table
        rows.append(
            pd.DataFrame(np.repeat(t.to_numpy(), len(ents), axis=0), index=ents, columns=t.columns)
            if list(t.index) == ["pooled"]
            else t.loc[list(ents)]
        )
    table = pd.concat(rows)
    W = table.to_numpy(dtype=float)
    if len(W) and np.all(W == W[0]):
        table = pd.DataFrame(W[:1], index=pd.Index(["pooled"]), columns=table.columns)
    return SubsystemWeights(
        table=table, method=first.method, subsystems=first.subsystems, details=first.details
    )


def synergy_partitioned(
    X: pd.DataFrame, subs: dict[str, dict[str, int]], scheduler: Any, **kwargs: Any
) -> Any:
    """:func:`cbeclab.models.synergy.synergy` with ``scope="per_entity"``, run by entity blocks on Dask.

    Every entity's bounds and order degrees depend on its own rows only, and the weights are given
    (computed once on the whole panel), so the blocks' results put together equal the one-process
    run (tested on a ``distributed.LocalCluster``). Notes are merged without repeats.
    """
    from dataclasses import replace

    from cbeclab.models.synergy import synergy
    from cbeclab.parallel import dask_client

    with dask_client(scheduler) as client:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        parts = _partitions(X, 4 * n_workers)
        futs = [client.submit(synergy, part, subs, pure=False, **kwargs) for part in parts]
        results = client.gather(futs)
    first = results[0]
    notes = tuple(dict.fromkeys(n for r in results for n in r.notes))
    return replace(
        first,
        order_wide=pd.concat([r.order_wide for r in results]),
        subsystem_order=pd.concat([r.subsystem_order for r in results], ignore_index=True),
        synergy=pd.concat([r.synergy for r in results], ignore_index=True),
        bounds=pd.concat([r.bounds for r in results], ignore_index=True),
        weights=_merge_weights(
            [r.weights for r in results], [r.order_wide.index.unique(level=0) for r in results]
        ),
        notes=notes,
    )


def run_spec(
    spec: RunSpec, *, progress: Progress | None = None, panel: Any | None = None, scheduler: Any = None
) -> RunResult:
    """Run every stage the spec enables and return the typed results.

    Parameters
    ----------
    spec
        A validated :class:`~cbeclab.spec.RunSpec` (see :func:`cbeclab.spec.load_spec`).
    progress
        Optional callback ``(fraction, step)`` for progress bars.
    panel
        An already loaded :class:`~cbeclab.io.panel.Panel` (skips loading; used by the web app and tests).
    scheduler
        A Dask scheduler address (``"tcp://host:port"``) or ``distributed.Client``: the per-entity
        synergy model (``synergy.scope: per_entity``) runs there by blocks of entities
        (:func:`synergy_partitioned`); pooled steps (coupling with pooled scope, weights) stay local.
        Results are identical to the local run.
    """

    def tick(frac: float, step: str) -> None:
        if progress is not None:
            progress(frac, step)

    tick(0.0, "load data")
    if panel is None:
        panel = load_spec_panel(spec)
    subs = resolve_subsystems(spec, list(panel.indicators))
    used = [i for inds in subs.values() for i in inds]
    X = panel.data[used]
    if X.isna().to_numpy().any():
        panel.require_complete(where=str(panel.source))
    notes: list[str] = []

    syn = stages = None
    if spec.synergy.enabled:
        tick(0.15, "synergy")
        from cbeclab.diagnose.stages import synergy_stage
        from cbeclab.models.synergy import synergy

        syn_args: dict[str, Any] = {
            "weights": _weights_arg(spec, subs, X, spec.synergy.scope),
            "bound_margin": spec.synergy.bound_margin,
            "aggregate": spec.synergy.aggregate,
            "base": spec.synergy.base,
            "scope": spec.synergy.scope,
        }
        if scheduler is not None and spec.synergy.scope == "per_entity":
            syn = synergy_partitioned(X, subs, scheduler, **syn_args)
        else:
            syn = synergy(X, subs, **syn_args)
        stages = synergy_stage(syn.synergy, thresholds=spec.stages.thresholds)
        notes.extend(syn.notes)

    cpl = None
    if spec.coupling.enabled:
        tick(0.45, "coupling coordination")
        from cbeclab.models.coupling import coupling_coordination

        cpl = coupling_coordination(
            X,
            subs,
            weights=_weights_arg(spec, subs, X, spec.coupling.scope),
            model=spec.coupling.model,
            scope=spec.coupling.scope,
            contribution=spec.coupling.contribution,
            compat=spec.compat_for("coupling"),  # type: ignore[arg-type]
        )
        notes.extend(cpl.notes)

    obs = None
    if spec.obstacles.enabled:
        tick(0.65, "obstacle degree")
        from cbeclab.diagnose.obstacles import obstacle_degree

        obs_weights = (
            cpl.weights
            if cpl is not None and cpl.weights is not None
            else (syn.weights if syn is not None else "equal")
        )
        obs = obstacle_degree(X, subs, obs_weights, top_k=spec.obstacles.top_k, scope=spec.coupling.scope)

    forecasts: dict[str, Any] = {}
    if spec.forecast.enabled:
        tick(0.8, "GM(1,1) forecasts")
        from cbeclab.models.gm11 import gm11_many

        fopts: dict[str, Any] = {
            "h": spec.forecast.horizon,
            "on_ratio_fail": spec.forecast.on_ratio_fail,
            "compat": spec.compat_for("forecast"),
        }
        if syn is not None:
            forecasts["subsystem_order"] = gm11_many(
                syn.subsystem_order.set_index(["entity", "period"]), **fopts
            )
            s = syn.synergy.set_index(["entity", "period"])[["synergy"]].dropna()
            forecasts["synergy"] = gm11_many(s, **fopts)
        if cpl is not None:
            forecasts["D"] = gm11_many(cpl.table.set_index(["entity", "period"])[["D"]], **fopts)
    tick(1.0, "done")
    return RunResult(
        spec=spec,
        panel=panel,
        subsystems=subs,
        synergy=syn,
        stages=stages,
        coupling=cpl,
        obstacles=obs,
        forecasts=forecasts,
        notes=tuple(dict.fromkeys(notes)),
    )
