r"""Sensitivity of a run's verdicts to the analyst's choices: weights, bound margin, base period.

For draw :math:`d = 0, \dots, N-1` (random numbers from ``SeedSequence([seed, d])`` only, so a draw is
the same whichever process, machine or chunk computes it):

* **weights**: within each subsystem, :math:`w^{(d)} \sim \mathrm{Dirichlet}(c\,\hat w)` around the
  run's estimated weights :math:`\hat w` (per entity when the weights are per entity), drawn as
  independent gamma variates :math:`g_i \sim \Gamma(c\,\hat w_i, 1)` normalised to sum 1. The mean is
  :math:`\hat w`, and the variance :math:`\hat w_i(1-\hat w_i)/(c+1)` shrinks as the concentration
  :math:`c` grows; the synergy and the coupling weights are drawn independently;
* **bound margin** of the synergy model: :math:`m^{(d)} \sim U(m_{lo}, m_{hi})` (default: the spec's
  margin times 0.5 and 1.5);
* **base** (optional, ``vary_base``): "first" or "previous" with probability 1/2 each.

Each draw recomputes, at every entity's latest period, the composite-system synergy degree and its
stage (the order degrees of :func:`cbeclab.models.synergy.order_degrees` written out for many margins, :func:`cbeclab.diagnose.stages.stage_index`) and
the coupling coordination degree D and its grade (:func:`cbeclab.models.coupling.coupling_degree`,
:func:`cbeclab.models.coupling.grade_of`) from the same normalised data as the main run. The
per-entity summary gives how often the stage and the grade stay what the main run says, and the
p05/p50/p95 of synergy and D over the draws.

Checked against: a draw with its weights and margin passed to :func:`cbeclab.models.synergy.synergy`
and :func:`cbeclab.models.coupling.coupling_coordination` gives the same synergy and D
(tests/test_sensitivity.py); with a very large concentration and a fixed margin every draw equals the
main run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import SpecError

__all__ = ["SensitivityResult", "SensitivityProblem", "draw_chunk", "sensitivity"]

#: entity-draw-indicator cells computed at once in one chunk (memory per chunk ~ a few of these x 8 B)
CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class SensitivityProblem:
    """Everything a worker needs to compute draws (plain arrays; pickled to processes / Dask)."""

    seed: int
    concentration: float
    margin_range: tuple[float, float]
    vary_base: bool
    base: str
    aggregate: str
    blocks: np.ndarray  # start of each subsystem's columns
    dirs: np.ndarray  # (K,) +1/-1
    # synergy (None when the run has no synergy)
    v_last: np.ndarray | None = None  # (E, K) latest row
    v_first: np.ndarray | None = None  # (E, K) first row
    v_prev: np.ndarray | None = None  # (E, K) previous row
    mn: np.ndarray | None = None  # (E, K) bounds' min/max of each entity's scope group
    mx: np.ndarray | None = None
    w_syn: np.ndarray | None = None  # (E, K) or (1, K)
    has_base: np.ndarray | None = None  # (E,) entity has >= 2 periods
    stage_rules: dict[str, Any] | None = None
    # coupling (None when the run has no coupling)
    z_last: np.ndarray | None = None  # (E, K) normalised latest row
    w_cpl: np.ndarray | None = None  # (E, K) or (1, K)
    contribution: np.ndarray | None = None  # (n_subsystems,)
    model: str = "classical"


def _dirichlet(rng: np.random.Generator, w: np.ndarray, c: float, blocks: np.ndarray) -> np.ndarray:
    g = rng.standard_gamma(c * w)
    s = np.add.reduceat(g, blocks, axis=-1)
    sizes = np.diff(np.append(blocks, w.shape[-1]))
    s = np.repeat(s, sizes, axis=-1)
    return np.divide(g, s, out=np.array(w, dtype=float, copy=True), where=s > 0)


def draw_params(prob: SensitivityProblem, d: int) -> dict[str, Any]:
    """The random choices of draw ``d``: ``bound_margin``, ``base``, ``w_syn``, ``w_cpl``."""
    rng = np.random.default_rng(np.random.SeedSequence([prob.seed, d]))
    lo, hi = prob.margin_range
    margin = float(rng.uniform(lo, hi)) if hi > lo else float(lo)
    first = bool(rng.random() < 0.5)
    base = ("first" if first else "previous") if prob.vary_base else prob.base
    w_syn = None if prob.w_syn is None else _dirichlet(rng, prob.w_syn, prob.concentration, prob.blocks)
    w_cpl = None if prob.w_cpl is None else _dirichlet(rng, prob.w_cpl, prob.concentration, prob.blocks)
    return {"bound_margin": margin, "base": base, "w_syn": w_syn, "w_cpl": w_cpl}


@dataclass(frozen=True)
class ChunkOut:
    start: int
    margin: np.ndarray  # (n,)
    base: np.ndarray  # (n,) object
    synergy: np.ndarray | None  # (n, E)
    stage: np.ndarray | None  # (n, E) int
    D: np.ndarray | None  # (n, E)
    grade: np.ndarray | None  # (n, E) int (0 where D is missing)


def _subsystem_scores(W: np.ndarray, u: np.ndarray, blocks: np.ndarray, aggregate: str) -> np.ndarray:
    if aggregate == "weighted":
        return np.add.reduceat(W * u, blocks, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(W > 0, W * np.log(u), 0.0)
    return np.exp(np.add.reduceat(logs, blocks, axis=-1))


def _span(prob: SensitivityProblem, m: np.ndarray) -> np.ndarray:
    """hi - lo for margins ``m`` (n, 1, 1): (max - min) + m (|min| + |max|); 0 where zero width."""
    assert prob.mn is not None and prob.mx is not None
    a, b = np.abs(prob.mn), np.abs(prob.mx)
    span = (prob.mx - prob.mn) + m * (a + b)
    # the zero-width rule of cbeclab.models.synergy._zero_width, with hi/lo bounded by (1 + m) max(|min|, |max|)
    scale = (1 + m) * np.maximum(a, b)
    flat = ~((span > np.finfo(float).tiny) & (span > np.finfo(float).eps * scale))
    return np.where(flat, 0.0, span)


def _order(prob: SensitivityProblem, rows: np.ndarray, m: np.ndarray, span: np.ndarray) -> np.ndarray:
    r"""Order degrees of ``rows`` (E, K) for margins ``m``: the formula of
    :func:`cbeclab.models.synergy.order_degrees` with lo = min - m|min|, hi = max + m|max| written out,
    u = ((e - min) + m|min|) / span (benefit), ((max - e) + m|max|) / span (cost), 0.5 at zero width."""
    assert prob.mn is not None and prob.mx is not None
    up = prob.dirs > 0
    base = np.where(up, rows - prob.mn, prob.mx - rows)
    slope = np.where(up, np.abs(prob.mn), np.abs(prob.mx))
    num = base + m * slope
    with np.errstate(divide="ignore", invalid="ignore"):
        u = num / span
    return np.where(span > 0, u, 0.5)


def draw_chunk(prob: SensitivityProblem, start: int, stop: int) -> ChunkOut:
    """Draws ``start .. stop-1``, vectorised over draws and entities."""
    from cbeclab.diagnose.stages import stage_index
    from cbeclab.models.coupling import coupling_degree, grade_of

    params = [draw_params(prob, d) for d in range(start, stop)]
    n = stop - start
    margin = np.array([p["bound_margin"] for p in params])
    base = np.array([p["base"] for p in params], dtype=object)
    syn = stage = D = grade = None
    if prob.v_last is not None:
        assert prob.mn is not None and prob.mx is not None and prob.has_base is not None
        m = margin[:, None, None]
        W = np.stack([p["w_syn"] for p in params])  # (n, E|1, K)
        span = _span(prob, m)
        U_last = _subsystem_scores(W, _order(prob, prob.v_last, m, span), prob.blocks, prob.aggregate)
        first = base == "first"
        U_base = np.empty_like(U_last)
        for mask, rows in ((first, prob.v_first), (~first, prob.v_prev)):
            if mask.any():
                assert rows is not None
                u_b = _order(prob, rows, m[mask], span[mask])
                U_base[mask] = _subsystem_scores(W[mask], u_b, prob.blocks, prob.aggregate)
        dU = U_last - U_base
        k = dU.shape[-1]
        theta = np.where(dU.min(axis=-1) > 0, 1.0, -1.0)
        with np.errstate(divide="ignore"):
            mag = np.exp(np.log(np.abs(dU)).sum(axis=-1) / k)
        C = np.where(mag > 0, theta * mag, 0.0)
        syn = np.where(prob.has_base[None, :], C, np.nan)
        assert prob.stage_rules is not None
        stage = stage_index(syn, prob.stage_rules).astype(np.int16)
    if prob.z_last is not None:
        assert prob.contribution is not None
        W = np.stack([p["w_cpl"] for p in params])
        U = np.clip(np.add.reduceat(W * prob.z_last[None], prob.blocks, axis=-1), 0.0, 1.0)
        flat = U.reshape(-1, U.shape[-1])
        Cc, _deg = coupling_degree(flat, prob.model)  # type: ignore[arg-type]
        T = flat @ prob.contribution
        Dv = np.sqrt(Cc * T)
        D = Dv.reshape(n, -1)
        grade = (
            np.nan_to_num(grade_of(Dv)["grade"].to_numpy(dtype=float), nan=0).astype(np.int16).reshape(n, -1)
        )
    return ChunkOut(start, margin, base, syn, stage, D, grade)


@dataclass(frozen=True)
class SensitivityResult:
    """Per-entity stability of the run's verdicts over ``n_draws`` perturbed runs.

    ``table``: one row per entity: ``entity``, ``period`` (latest), ``synergy`` and ``stage`` of the
    main run, ``stage_stability`` (share of draws with the same stage), ``synergy_p05/p50/p95``, ``D``,
    ``grade``, ``grade_stability``, ``D_p05/p50/p95``. ``draws``: one row per draw with its
    ``bound_margin`` and ``base``.
    """

    table: pd.DataFrame
    draws: pd.DataFrame
    n_draws: int
    options: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        from cbeclab.jsonsafe import json_safe, records

        return {"options": json_safe(self.options), "n_draws": self.n_draws, "table": records(self.table)}


def problem_from_run(
    result: Any,
    *,
    seed: int,
    concentration: float,
    margin_range: tuple[float, float] | None,
    vary_base: bool,
) -> tuple[SensitivityProblem, pd.DataFrame]:
    """The arrays of a :class:`~cbeclab.pipeline.RunResult` the draws need, and the entity keys."""
    from cbeclab.diagnose.stages import load_stage_rules
    from cbeclab.models._common import check_panel, rows_for_entities
    from cbeclab.models.coupling import _normalised

    spec = result.spec
    subs = result.subsystems
    cols = [i for d in subs.values() for i in d]
    X = result.panel.data[cols]
    panel = check_panel(X, cols)
    V = panel.values
    sizes = [len(d) for d in subs.values()]
    blocks = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    dirs = np.array([subs[s][i] for s in subs for i in subs[s]], dtype=float)
    first = panel.starts
    last = panel.starts + panel.counts - 1
    prev = np.maximum(last - 1, first)
    E = len(panel.entities)
    keys = pd.DataFrame({"entity": panel.entities, "period": panel.index.get_level_values(1)[last]})
    margin0 = float(spec.synergy.bound_margin)
    rng = margin_range if margin_range is not None else (0.5 * margin0, 1.5 * margin0)
    if not (0 <= rng[0] <= rng[1]) or not all(math.isfinite(v) for v in rng):
        raise SpecError(
            f"bound margin range {rng} must be 0 <= low <= high",
            where="--bound-margin-range",
            fix="e.g. 0.05,0.2",
        )
    args: dict[str, Any] = {}
    syn = result.synergy
    if syn is not None:
        G = syn.bounds["group"].nunique()
        K = len(cols)
        b = syn.bounds
        order = {c: j for j, c in enumerate(cols)}
        if list(b["indicator"].iloc[:K]) != cols:
            b = b.assign(_j=b["indicator"].map(order)).sort_values(["group", "_j"], kind="stable")
        mn = b["min"].to_numpy(float).reshape(G, K)
        mx = b["max"].to_numpy(float).reshape(G, K)
        if G > 1:
            gi = pd.Index(b["group"].iloc[::K]).get_indexer(panel.entities)
            mn, mx = mn[gi], mx[gi]
        args.update(
            v_last=V[last],
            v_first=V[first],
            v_prev=V[prev],
            mn=np.broadcast_to(mn, (E, K)).copy(),
            mx=np.broadcast_to(mx, (E, K)).copy(),
            w_syn=_weights(syn.weights.table, cols, panel.entities, rows_for_entities),
            has_base=panel.counts >= 2,
            stage_rules=load_stage_rules(spec.stages.thresholds),
        )
    cpl = result.coupling
    if cpl is not None and cpl.compat is None and cpl.weights is not None:
        z = _normalised(X, {i: d for s in subs.values() for i, d in s.items()}, spec.coupling.scope)
        Z = z.loc[panel.index, cols].to_numpy(dtype=float)
        args.update(
            z_last=Z[last],
            w_cpl=_weights(cpl.weights.table, cols, panel.entities, rows_for_entities),
            contribution=np.array([cpl.contribution[s] for s in cpl.subsystems], dtype=float),
            model=cpl.model,
        )
    prob = SensitivityProblem(
        seed=int(seed),
        concentration=float(concentration),
        margin_range=(float(rng[0]), float(rng[1])),
        vary_base=bool(vary_base),
        base=str(spec.synergy.base),
        aggregate=str(spec.synergy.aggregate),
        blocks=blocks,
        dirs=dirs,
        **args,
    )
    return prob, keys


def _weights(table: pd.DataFrame, cols: list[str], entities: pd.Index, rows: Any) -> np.ndarray:
    if len(table.index) == 1:
        return table[cols].to_numpy(dtype=float)[:1]
    return np.asarray(rows(table, cols, entities, "weights"))


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def _iter_local(prob: SensitivityProblem, ranges: list[tuple[int, int]], n_jobs: int) -> Iterable[ChunkOut]:
    if n_jobs <= 1 or len(ranges) <= 1:
        for s, e in ranges:
            yield draw_chunk(prob, s, e)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as ex:
        yield from ex.map(draw_chunk, [prob] * len(ranges), [s for s, _ in ranges], [e for _, e in ranges])


def _iter_dask(prob: SensitivityProblem, ranges: list[tuple[int, int]], scheduler: Any) -> Iterable[ChunkOut]:
    from cbeclab.parallel import dask_client

    with dask_client(scheduler) as client:
        pf = client.scatter(prob, broadcast=True)
        futs = [client.submit(draw_chunk, pf, s, e, pure=False) for s, e in ranges]
        yield from client.gather(futs)


def sensitivity(
    result: Any,
    n_draws: int = 1000,
    *,
    seed: int = 20240601,
    concentration: float = 100.0,
    margin_range: tuple[float, float] | None = None,
    vary_base: bool = False,
    scheduler: Any = None,
    n_jobs: int | None = None,
) -> SensitivityResult:
    """Sensitivity analysis of a :class:`~cbeclab.pipeline.RunResult` (see the module docstring).

    Parameters
    ----------
    result
        The main run.
    n_draws
        Number of perturbed runs N.
    seed
        Draw ``d`` uses ``SeedSequence([seed, d])`` only: the numbers do not depend on workers/chunks.
    concentration
        Dirichlet concentration c > 0 (default 100: weights move by about ±10% of themselves).
    margin_range
        (low, high) of the uniformly drawn bound margin (default: the spec's margin x 0.5 .. 1.5).
    vary_base
        Also draw the synergy base ("first"/"previous").
    scheduler
        ``None``: local processes; a ``"tcp://host:port"`` address or ``distributed.Client``: Dask.
    n_jobs
        Local processes (default: the CPU count when the work is large, else 1).
    """
    if n_draws < 1:
        raise SpecError(
            f"--sensitivity needs at least 1 draw, got {n_draws}", where="--sensitivity", fix="e.g. 1000"
        )
    if not (concentration > 0 and math.isfinite(concentration)):
        raise SpecError(
            f"concentration must be a positive number, got {concentration}",
            where="--concentration",
            fix="e.g. 100 (larger keeps the weights closer to the estimate)",
        )
    prob, keys = problem_from_run(
        result, seed=seed, concentration=concentration, margin_range=margin_range, vary_base=vary_base
    )
    E = len(keys)
    K = len(prob.dirs)
    per_draw = max(1, E * K)
    size = max(1, min(n_draws, CHUNK_CELLS // per_draw))
    ranges = _chunks(n_draws, size)
    if scheduler is not None:
        outs = list(_iter_dask(prob, ranges, scheduler))
    else:
        big = n_draws * per_draw > 20 * CHUNK_CELLS
        workers = n_jobs if n_jobs is not None else ((os.cpu_count() or 1) if big else 1)
        outs = list(_iter_local(prob, ranges, workers))
    outs.sort(key=lambda o: o.start)
    table = keys.copy()
    if prob.v_last is not None:
        syn_all = np.concatenate([o.synergy for o in outs if o.synergy is not None])
        st_all = np.concatenate([o.stage for o in outs if o.stage is not None])
        main = _main_latest(result.synergy.synergy, keys, "synergy")
        from cbeclab.diagnose.stages import stage_index

        assert prob.stage_rules is not None
        main_stage = stage_index(main, prob.stage_rules)
        ok = np.isfinite(main)
        table["synergy"] = main
        table["stage"] = _stage_keys(main, prob.stage_rules)
        table["stage_stability"] = np.where(ok, (st_all == main_stage[None, :]).mean(axis=0), np.nan)
        with np.errstate(all="ignore"):
            q = (
                np.nanquantile(np.where(ok[None, :], syn_all, np.nan), [0.05, 0.5, 0.95], axis=0)
                if ok.any()
                else np.full((3, E), np.nan)
            )
        table["synergy_p05"], table["synergy_p50"], table["synergy_p95"] = q
    if prob.z_last is not None:
        D_all = np.concatenate([o.D for o in outs if o.D is not None])
        g_all = np.concatenate([o.grade for o in outs if o.grade is not None])
        from cbeclab.models.coupling import grade_of

        main_D = _main_latest(result.coupling.table, keys, "D")
        main_g = np.nan_to_num(grade_of(main_D)["grade"].to_numpy(dtype=float), nan=0).astype(int)
        table["D"] = main_D
        table["grade"] = np.where(np.isfinite(main_D), main_g, np.nan)
        table["grade_stability"] = np.where(
            np.isfinite(main_D), (g_all == main_g[None, :]).mean(axis=0), np.nan
        )
        q = np.quantile(D_all, [0.05, 0.5, 0.95], axis=0)
        table["D_p05"], table["D_p50"], table["D_p95"] = q
    draws = pd.DataFrame(
        {
            "draw": np.arange(n_draws),
            "bound_margin": np.concatenate([o.margin for o in outs]),
            "base": np.concatenate([o.base for o in outs]),
        }
    )
    options = {
        "n_draws": n_draws,
        "seed": seed,
        "concentration": concentration,
        "bound_margin_range": list(prob.margin_range),
        "vary_base": vary_base,
        "perturbed": [
            p
            for p, on in (
                ("synergy weights", prob.v_last is not None),
                ("bound margin", prob.v_last is not None),
                ("base", vary_base and prob.v_last is not None),
                ("coupling weights", prob.z_last is not None),
            )
            if on
        ],
    }
    return SensitivityResult(table=table, draws=draws, n_draws=n_draws, options=options)


def _main_latest(frame: pd.DataFrame, keys: pd.DataFrame, col: str) -> np.ndarray:
    last = frame.groupby("entity", sort=False).tail(1).set_index("entity")[col]
    return last.reindex(keys["entity"]).to_numpy(dtype=float)


def _stage_keys(c: np.ndarray, rules: dict[str, Any]) -> np.ndarray:
    from cbeclab.diagnose.stages import stage_index

    keys = np.array([s["key"] for s in rules["stages"]] + [rules["non_synergistic"]["key"]], dtype=object)
    out = keys[stage_index(c, rules)]
    out[~np.isfinite(c)] = None
    return out
