"""Nonparametric bootstrap for SEM: draws, standard errors and confidence intervals.

Three layers:

* CI and SE arithmetic on a matrix of draws (:func:`norm_inter`, :func:`percentile_ci`,
  :func:`bc_ci`, :func:`boot_se`), matching lavaan 0.6's ``parameterEstimates(boot.ci.type=...)``.
* :func:`run_draws`: refits a compiled model on resampled covariance matrices, in chunks, on this
  process, a local process pool, or a Dask cluster, with identical results for the same seed.
* :func:`bootstrap`: the public entry point on a model and a data frame, returning a
  :class:`BootstrapResult` (draws of free, defined and standardized parameters; SE and CIs).

Seed 000 (§4.5, Table 5) tests mediation with the bias-corrected nonparametric percentile bootstrap;
the bias-corrected interval here is lavaan's ``"bca.simple"`` (acceleration ``a = 0``).
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from cbeclab.errors import CbecWarning, SpecError
from cbeclab.sem.resample import (
    BLOCK,
    _one_blas_thread,
    block_covariances,
    keep_freed_memory,
    pin_one_blas_thread,
)

CIMethod = Literal["bc", "perc"]
ProgressFn = Callable[[int, int], None]

#: failure share above which a :class:`~cbeclab.errors.CbecWarning` is raised
FAIL_WARN_SHARE = 0.01


# --------------------------------------------------------------------------------------------------
# CI / SE arithmetic
# --------------------------------------------------------------------------------------------------


def _as_2d(draws: np.ndarray) -> tuple[np.ndarray, bool]:
    a = np.asarray(draws, dtype=np.float64)
    if a.ndim == 1:
        return a[:, None], True
    if a.ndim != 2:
        raise SpecError(f"draws must be 1-D or 2-D, got shape {a.shape}", where="draws")
    return a, False


def norm_inter(draws: np.ndarray, alpha: np.ndarray | Sequence[float]) -> np.ndarray:
    """Quantiles of bootstrap draws by interpolation on the normal scale (``boot::norm.inter``).

    For each column ``t`` (non-finite values dropped, ``R`` left) and probability ``α``: with
    ``r = (R + 1) α`` and ``k = ⌊r⌋`` on the sorted draws ``t(1) ≤ … ≤ t(R)``,

    * ``k = r`` (integer): ``t(k)``;
    * ``k = 0``: ``t(1)``; ``k ≥ R``: ``t(R)`` (boot returns NA for ``k > R``; we clamp);
    * otherwise ``t(k) + (Φ⁻¹(α) − Φ⁻¹(k/(R+1))) / (Φ⁻¹((k+1)/(R+1)) − Φ⁻¹(k/(R+1))) · (t(k+1) − t(k))``.

    This is what lavaan 0.6 uses for its ``"perc"``, ``"basic"``, ``"bca.simple"`` and ``"bca"``
    bootstrap intervals (a local copy of ``boot:::norm.inter`` inside ``parameterEstimates``); lavaan
    does not call ``quantile()``.

    Parameters
    ----------
    draws
        Shape ``(B,)`` or ``(B, k)``.
    alpha
        Probabilities: shape ``(m,)`` (the same for every column) or ``(k, m)`` (one row per column).

    Returns
    -------
    numpy.ndarray
        Shape ``(k, m)`` (``(m,)`` for 1-D draws with 1-D ``alpha``); NaN for a column without
        finite draws.

    References
    ----------
    Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and Their Application*, eq. 5.8.
    Checked against: ``boot:::norm.inter`` (R boot 1.3-28) on a stored vector, and lavaan 0.6-14
    ``parameterEstimates`` on its own draws (``tests/fixtures/boot_*.json``).
    """
    t, one_d = _as_2d(draws)
    t = np.where(np.isfinite(t), t, np.nan)
    B, k = t.shape
    a = np.asarray(alpha, dtype=np.float64)
    a2 = np.broadcast_to(a, (k, a.shape[-1])) if a.ndim == 1 else a
    if a2.shape[0] != k:
        raise SpecError(f"alpha has {a2.shape[0]} rows for {k} columns of draws", where="alpha")
    ts = np.sort(t, axis=0)  # NaN last
    R = np.sum(np.isfinite(t), axis=0).astype(np.float64)  # (k,)
    rk = (R[:, None] + 1.0) * a2  # (k, m)
    kk = np.trunc(rk)
    kk = np.where(np.isfinite(kk), kk, 0.0)
    col = np.arange(k)[:, None]
    Rm = np.maximum(R[:, None], 1.0)

    def order_stat(j: np.ndarray) -> np.ndarray:  # 1-based order statistic, clipped into range
        jj = np.clip(j, 1, Rm).astype(np.int64) - 1
        return ts[jj, np.broadcast_to(col, jj.shape)]

    tk = order_stat(kk)
    tk1 = order_stat(kk + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        q1 = ndtri(a2)
        q2 = ndtri(kk / (R[:, None] + 1.0))
        q3 = ndtri((kk + 1.0) / (R[:, None] + 1.0))
        interp = tk + (q1 - q2) / (q3 - q2) * (tk1 - tk)
    out = np.where(kk == rk, tk, interp)
    out = np.where(kk <= 0, order_stat(np.ones_like(kk)), out)
    out = np.where(kk >= R[:, None], order_stat(np.broadcast_to(Rm, kk.shape)), out)
    out = np.where(R[:, None] > 0, out, np.nan)
    if one_d and a.ndim == 1:
        return out[0]
    return out


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise SpecError(f"level must be in (0, 1), got {level}", where="level", fix="e.g. level=0.95")


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Percentile bootstrap interval (lavaan ``boot.ci.type = "perc"``).

    ``[q(α/2), q(1 − α/2)]`` with ``α = 1 − level`` and ``q`` = :func:`norm_inter`.

    Returns
    -------
    numpy.ndarray
        Shape ``(k, 2)`` (``(2,)`` for 1-D draws): lower, upper.

    Checked against: lavaan 0.6-14 ``parameterEstimates(fit, boot.ci.type = "perc")``.
    """
    _check_level(level)
    t, one_d = _as_2d(draws)
    out = norm_inter(t, np.array([(1 - level) / 2, (1 + level) / 2]))
    return out[0] if one_d else out


def bias_correction(draws: np.ndarray, estimate: np.ndarray | float) -> np.ndarray:
    """Bias-correction constant ``z0 = Φ⁻¹(#{t_b < θ̂} / R)`` per column (finite draws only)."""
    t, _ = _as_2d(draws)
    est = np.broadcast_to(np.asarray(estimate, dtype=np.float64), (t.shape[1],))
    fin = np.isfinite(t)
    R = fin.sum(axis=0)
    below = np.sum(fin & (t < est[None, :]), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ndtri(below / R)


def bc_ci(draws: np.ndarray, estimate: np.ndarray | float, level: float = 0.95) -> np.ndarray:
    """Bias-corrected percentile bootstrap interval (lavaan ``boot.ci.type = "bca.simple"``).

    ``z0 = Φ⁻¹(#{t_b < θ̂} / R)``, ``α1 = Φ(2 z0 + z_{α/2})``, ``α2 = Φ(2 z0 + z_{1−α/2})``; the
    interval is ``[q(α1), q(α2)]`` with ``q`` = :func:`norm_inter`. A column whose draws are all equal
    gets ``[θ̂, θ̂]`` (as lavaan).

    Seed 000 (§4.5) uses this "bias-corrected nonparametric percentile" interval for Table 5.

    References
    ----------
    Efron, B. (1981). Nonparametric standard errors and confidence intervals. *Canadian Journal of
    Statistics* 9, 139–158. Checked against: lavaan 0.6-14
    ``parameterEstimates(fit, boot.ci.type = "bca.simple")`` on lavaan's own draws (fixture).
    """
    _check_level(level)
    t, one_d = _as_2d(draws)
    k = t.shape[1]
    est = np.broadcast_to(np.asarray(estimate, dtype=np.float64), (k,)).copy()
    z0 = bias_correction(t, est)
    za = ndtri(np.array([(1 - level) / 2, (1 + level) / 2]))
    adj = ndtr(2.0 * z0[:, None] + za[None, :])  # (k, 2); z0 = ±inf gives 0 / 1
    out = norm_inter(t, adj)
    with np.errstate(invalid="ignore"):
        const = np.nanvar(np.where(np.isfinite(t), t, np.nan), axis=0) == 0
    out[const] = est[const, None]
    return out[0] if one_d else out


def boot_se(draws: np.ndarray, ddof: int = 1) -> np.ndarray:
    """Bootstrap standard error: standard deviation of the finite draws, divisor ``R − ddof``.

    lavaan 0.6 uses ``ddof = 1`` for defined (``:=``) parameters (``cov(BOOT.def)``) but ``ddof = 0``
    for free parameters (``cov(COEF) * (R − 1) / R``); the two differ by ``√(R/(R−1))``, 1e-4 at
    ``R = 5000``. Checked against: ``sd()`` in R and lavaan's ``se`` column (fixture).
    """
    t, one_d = _as_2d(draws)
    t = np.where(np.isfinite(t), t, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.nanstd(t, axis=0, ddof=ddof)
    return out[0] if one_d else out


def confidence_interval(
    draws: np.ndarray, estimate: np.ndarray | float, *, method: CIMethod = "bc", level: float = 0.95
) -> np.ndarray:
    """Dispatch to :func:`bc_ci` (``"bc"``) or :func:`percentile_ci` (``"perc"``)."""
    if method == "bc":
        return bc_ci(draws, estimate, level)
    if method == "perc":
        return percentile_ci(draws, level)
    raise SpecError(f"unknown bootstrap CI method {method!r}", where="ci", fix='use "bc" or "perc"')


# --------------------------------------------------------------------------------------------------
# refitting resamples
# --------------------------------------------------------------------------------------------------


class CompiledModel(Protocol):
    """What the bootstrap needs from a compiled SEM (see ``cbeclab.sem.model.Model.compile``)."""

    def fit_cov(
        self, S: np.ndarray, n: int, start: np.ndarray | None = None
    ) -> tuple[np.ndarray, bool, int]: ...

    def standardized(self, theta: np.ndarray) -> np.ndarray: ...

    def defined(self, theta: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class RefitSpec:
    """Picklable recipe for the work of one bootstrap: how to compile, on what data, from where.

    Attributes
    ----------
    factory
        Picklable zero-argument callable returning a :class:`CompiledModel` (each worker process
        calls it once and caches the result).
    X
        Complete data in the model's variable order, shape ``(n, p)``.
    theta0
        Full-sample estimate: the warm start of every refit.
    seed
        Bootstrap seed.
    cov_ddof
        Divisor ``n − cov_ddof`` of the resampled covariance passed to ``fit_cov``.
    defined_std
        Optional picklable callable mapping the standardized vector to standardized defined
        parameters; ``None`` when the compiled model offers ``defined_std`` itself or there are none.
    groups
        Raw rows (missing values as NaN) of each group for a row-resampling refit
        (:mod:`cbeclab.sem.rowboot`: FIML, mean structures, multi-group); ``None`` for the
        covariance refits of complete-data ML.
    """

    factory: Callable[[], Any]
    X: np.ndarray
    theta0: np.ndarray
    seed: int
    cov_ddof: int = 0
    defined_std: Callable[[np.ndarray], np.ndarray] | None = None
    key: str = ""
    groups: tuple[np.ndarray, ...] | None = None

    def with_key(self) -> RefitSpec:
        h = hashlib.sha1(pickle.dumps((self.factory, self.cov_ddof)))
        return RefitSpec(
            self.factory,
            self.X,
            self.theta0,
            self.seed,
            self.cov_ddof,
            self.defined_std,
            h.hexdigest(),
            self.groups,
        )


@dataclass(frozen=True)
class ChunkOut:
    """Draws ``start .. stop-1`` of one chunk (rows of failed draws are NaN)."""

    start: int
    stop: int
    theta: np.ndarray
    std: np.ndarray
    defined: np.ndarray
    defined_std: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    errors: tuple[tuple[int, str], ...]


_WORKER_CACHE: dict[str, Any] = {}


def _compiled(spec: RefitSpec) -> Any:
    key = spec.key or "nokey"
    obj = _WORKER_CACHE.get(key)
    if obj is None:
        obj = spec.factory()
        _WORKER_CACHE.clear()
        _WORKER_CACHE[key] = obj
    return obj


def _limit_blas_threads() -> None:
    pin_one_blas_thread()  # one BLAS thread per worker: the parallelism is across draws


def run_chunk(spec: RefitSpec, start: int, stop: int) -> ChunkOut:
    """Refit draws ``start .. stop-1`` (picklable worker function; also used in-process).

    Every refit starts from ``spec.theta0`` (never from the previous draw), so the result of a draw
    does not depend on the chunking.
    """
    if spec.groups is not None:
        from cbeclab.sem.rowboot import run_rows_chunk

        return run_rows_chunk(spec, start, stop)
    cm = _compiled(spec)
    X = spec.X
    n = X.shape[0]
    # whole RNG blocks, computed once: the batched refit fits whole blocks, the rest uses the chunk
    b_lo = (start // BLOCK) * BLOCK
    blocks = block_covariances(X, spec.seed, b_lo, ((stop - 1) // BLOCK + 1) * BLOCK, ddof=spec.cov_ddof)
    covs = blocks[start - b_lo : stop - b_lo]
    m = stop - start
    k = spec.theta0.size
    std0 = np.asarray(cm.standardized(spec.theta0), dtype=np.float64)
    def0 = np.asarray(cm.defined(spec.theta0), dtype=np.float64)
    dstd_fn = getattr(cm, "defined_std", None) or spec.defined_std
    dstd0 = np.asarray(dstd_fn(std0), dtype=np.float64) if dstd_fn is not None else np.empty(0)
    theta = np.full((m, k), np.nan)
    std = np.full((m, std0.size), np.nan)
    dfn = np.full((m, def0.size), np.nan)
    dstd = np.full((m, dstd0.size), np.nan)
    conv = np.zeros(m, dtype=bool)
    nit = np.zeros(m, dtype=np.int64)
    errors: list[tuple[int, str]] = []
    fits = _fit_block_batched(cm, spec, start, stop, blocks) if hasattr(cm, "fit_many") else None
    post = getattr(cm, "post_many", None)
    set_exo = getattr(getattr(cm, "cm", None), "set_exo", None)
    for i in range(m):
        try:
            if fits is not None:
                th, ok, it = fits[0][i], bool(fits[1][i]), int(fits[2][i])
            else:
                th, ok, it = cm.fit_cov(covs[i], n, start=spec.theta0)
            th = accepted(th, ok, it, i, start, nit, errors)
            if th is None:
                continue
            theta[i] = th
            conv[i] = True
            if post is None:
                if set_exo is not None:
                    set_exo(covs[i])  # standardization uses this draw's covariate block
                s = np.asarray(cm.standardized(th), dtype=np.float64)
                std[i] = s
                dfn[i] = np.asarray(cm.defined(th), dtype=np.float64)
                dstd[i] = np.asarray(dstd_fn(s), dtype=np.float64) if dstd_fn is not None else dstd0[:0]
        except Exception as exc:  # a failed resample is recorded, never raised
            errors.append((start + i, f"{type(exc).__name__}: {exc}"))
            conv[i] = False
            theta[i] = np.nan
            continue
    if post is not None and conv.any():
        ok_idx = np.flatnonzero(conv)
        s_all, d_all = post(theta[ok_idx], covs[ok_idx])
        std[ok_idx] = s_all
        dfn[ok_idx] = d_all
        if dstd.shape[1]:
            dstd[ok_idx] = s_all[:, s_all.shape[1] - dstd.shape[1] :]
    return ChunkOut(start, stop, theta, std, dfn, dstd, conv, nit, tuple(errors))


def accepted(
    th: Any, ok: bool, it: int, i: int, start: int, nit: np.ndarray, errors: list[tuple[int, str]]
) -> np.ndarray | None:
    """Record draw ``start + i``'s iteration count; its estimate if converged and finite, else None."""
    nit[i] = int(it)
    if not ok:
        return None
    arr = np.asarray(th, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        errors.append((start + i, "non-finite estimate"))
        return None
    return arr


def _fit_block_batched(
    cm: Any, spec: RefitSpec, start: int, stop: int, blocks: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batched refits of draws ``start .. stop-1``, always one whole RNG block per batch.

    A block's draws are fitted together whatever the chunking, so each draw sees the same arithmetic
    (and gives the same bits) in one process, N processes or a Dask cluster.  ``blocks``: the
    covariance matrices of the whole blocks spanning the chunk, when the caller has them already.
    """
    n = spec.X.shape[0]
    b_lo = (start // BLOCK) * BLOCK
    th, cv, it = [], [], []
    for blk in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        b0 = blk * BLOCK
        if blocks is not None:
            covs = blocks[b0 - b_lo : b0 - b_lo + BLOCK]
        else:
            covs = block_covariances(spec.X, spec.seed, b0, b0 + BLOCK, ddof=spec.cov_ddof)
        t, c, k = cm.fit_many(covs, n, spec.theta0)
        lo, hi = max(start, b0) - b0, min(stop, b0 + BLOCK) - b0
        th.append(t[lo:hi])
        cv.append(c[lo:hi])
        it.append(k[lo:hi])
    return np.concatenate(th), np.concatenate(cv), np.concatenate(it)


def _chunks(n_boot: int, chunk: int) -> list[tuple[int, int]]:
    return [(s, min(s + chunk, n_boot)) for s in range(0, n_boot, chunk)]


def _default_chunk(n_boot: int, workers: int) -> int:
    # aligned to BLOCK so no block is generated twice; ~8 chunks per worker for balance/progress
    target = max(1, math.ceil(n_boot / max(1, 8 * workers)))
    return max(BLOCK, int(math.ceil(target / BLOCK)) * BLOCK)


def _pool_init() -> None:
    _limit_blas_threads()
    keep_freed_memory()


def _iter_local(spec: RefitSpec, ranges: list[tuple[int, int]], n_jobs: int) -> Iterable[ChunkOut]:
    if n_jobs <= 1 or len(ranges) <= 1:
        # one BLAS thread: threaded BLAS on 30x30 matrices is many times slower, not faster
        with _one_blas_thread():
            for s, e in ranges:
                yield run_chunk(spec, s, e)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx, initializer=_pool_init) as ex:
        futs = [ex.submit(run_chunk, spec, s, e) for s, e in ranges]
        for f in as_completed(futs):
            yield f.result()


def _iter_dask(spec: RefitSpec, ranges: list[tuple[int, int]], scheduler: Any) -> Iterable[ChunkOut]:
    from cbeclab.parallel import dask_client

    with dask_client(scheduler) as client:
        from distributed import as_completed as das_completed

        spec_f = client.scatter(spec, broadcast=True)
        futs = [client.submit(run_chunk, spec_f, s, e, pure=False) for s, e in ranges]
        for f in das_completed(futs):
            yield f.result()


@dataclass(frozen=True)
class Draws:
    """Raw output of :func:`run_draws`: one row per draw, NaN rows where the refit failed."""

    theta: np.ndarray
    std: np.ndarray
    defined: np.ndarray
    defined_std: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    errors: tuple[tuple[int, str], ...]


def run_draws(
    spec: RefitSpec,
    n_boot: int,
    *,
    scheduler: Any = None,
    n_jobs: int | None = None,
    chunk: int | None = None,
    progress: ProgressFn | None = None,
) -> Draws:
    """Refit ``n_boot`` resamples of ``spec`` and collect the draws in draw order.

    Parameters
    ----------
    spec
        What to fit (see :class:`RefitSpec`).
    n_boot
        Number of bootstrap draws.
    scheduler
        ``None``: local processes (``n_jobs``); a ``"tcp://host:port"`` address or a
        ``distributed.Client``: run the chunks on that Dask cluster.
    n_jobs
        Local worker processes (default ``os.cpu_count()``; 1 runs in this process).
    chunk
        Draws per task (default: a multiple of :data:`~cbeclab.sem.resample.BLOCK`, ~8 tasks a worker).
    progress
        Called as ``progress(done, n_boot)`` after each finished chunk.

    Notes
    -----
    The draw matrix is the same for one process, N processes or a Dask cluster: draw ``b`` depends only
    on ``(seed, b)`` (:func:`~cbeclab.sem.resample.draw_indices`) and every refit is warm-started from
    the full-sample estimate.
    """
    if n_boot < 1:
        raise SpecError(f"n_boot must be >= 1, got {n_boot}", where="bootstrap", fix="e.g. 5000")
    spec = spec if spec.key else spec.with_key()
    workers = n_jobs if n_jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise SpecError(f"n_jobs must be >= 1, got {workers}", where="n_jobs")
    size = (
        chunk
        if chunk is not None
        else _default_chunk(n_boot, 1 if scheduler is None and workers == 1 else max(workers, 2))
    )
    ranges = _chunks(n_boot, size)
    if scheduler is not None:
        it = _iter_dask(spec, ranges, scheduler)
    else:
        it = _iter_local(spec, ranges, workers)
    outs: list[ChunkOut] = []
    done = 0
    for out in it:
        outs.append(out)
        done += out.stop - out.start
        if progress is not None:
            progress(done, n_boot)
    outs.sort(key=lambda o: o.start)
    errors = tuple(e for o in outs for e in o.errors)
    return Draws(
        theta=np.concatenate([o.theta for o in outs]),
        std=np.concatenate([o.std for o in outs]),
        defined=np.concatenate([o.defined for o in outs]),
        defined_std=np.concatenate([o.defined_std for o in outs]),
        converged=np.concatenate([o.converged for o in outs]),
        n_iter=np.concatenate([o.n_iter for o in outs]),
        errors=errors,
    )


# --------------------------------------------------------------------------------------------------
# summaries
# --------------------------------------------------------------------------------------------------


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass(frozen=True)
class BootSummary:
    """SE and CIs of one block of parameters (free, standardized, defined...)."""

    names: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray


def summarize(
    names: Sequence[str],
    estimate: np.ndarray,
    draws: np.ndarray,
    ok: np.ndarray,
    *,
    method: CIMethod,
    level: float,
    ddof: int = 1,
) -> BootSummary:
    """SE and CI of each column of ``draws`` over the converged rows ``ok``."""
    d = draws[ok]
    est = np.asarray(estimate, dtype=np.float64)
    if d.shape[1] == 0:
        e = np.empty(0)
        return BootSummary(tuple(names), est, e, e, e)
    if d.shape[0] == 0:
        nan = np.full(d.shape[1], np.nan)
        return BootSummary(tuple(names), est, nan, nan, nan)
    ci = confidence_interval(d, est, method=method, level=level)
    return BootSummary(tuple(names), est, boot_se(d, ddof), ci[:, 0], ci[:, 1])


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap of an SEM: draws and per-parameter bootstrap SE and CI.

    Attributes
    ----------
    params
        Non-``:=`` rows of the parameter table (``lhs, op, rhs, label, free``); ``free`` is the
        1-based column of the row in ``draws`` (0 = fixed).
    defined_params
        ``:=`` rows (``lhs, op, rhs, label``), aligned with the columns of ``defined_draws``.
    estimate, draws
        Full-sample free parameters and the ``(n_boot, q)`` draw matrix (lavaan's ``BOOT``; NaN rows
        for failed draws).
    row_estimate
        Full-sample value of every row of ``params`` (fixed values included).
    std_estimate, std_draws
        ``std.all`` of every row of ``params``; each draw standardized with its own model-implied
        variances.
    defined_estimate, defined_draws, defined_std_estimate, defined_std_draws
        ``:=`` parameters on the raw and on the standardized scale (the expression evaluated on
        the std.all values of the labelled rows).
    converged
        Per-draw success flag; :attr:`n_failed` / :attr:`failed` give the count and draw numbers.
    vcov
        Covariance matrix of the full-sample free parameters from the expected information (for
        delta-method SEs), or ``None``.
    """

    params: pd.DataFrame
    defined_params: pd.DataFrame
    estimate: np.ndarray
    draws: np.ndarray
    row_estimate: np.ndarray
    std_estimate: np.ndarray
    std_draws: np.ndarray
    defined_estimate: np.ndarray
    defined_draws: np.ndarray
    defined_std_estimate: np.ndarray
    defined_std_draws: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    seed: int
    n_obs: int
    ci_method: CIMethod = "bc"
    level: float = 0.95
    vcov: np.ndarray | None = None
    errors: tuple[tuple[int, str], ...] = ()
    warnings: tuple[str, ...] = field(default=())
    seconds: float = math.nan

    @property
    def n_boot(self) -> int:
        return int(self.converged.size)

    @property
    def n_failed(self) -> int:
        return int((~self.converged).sum())

    @property
    def failed(self) -> np.ndarray:
        """Draw numbers (0-based) of the failed resamples."""
        return np.flatnonzero(~self.converged)

    def row_draws(self) -> np.ndarray:
        """``(n_boot, rows)`` draws of every row of ``params`` (fixed rows constant)."""
        free = self.params["free"].to_numpy(dtype=np.intp)
        out = np.broadcast_to(self.row_estimate, (self.n_boot, free.size)).copy()
        out[:, free > 0] = self.draws[:, free[free > 0] - 1]
        out[~self.converged] = np.nan
        return out

    def summary(
        self, which: str = "free", *, ci: CIMethod | None = None, level: float | None = None
    ) -> BootSummary:
        """SE/CI for ``which`` in ``"rows"``, ``"std"``, ``"defined"``, ``"defined_std"``, ``"free"``."""
        m = ci or self.ci_method
        lv = level or self.level
        rows = _names(self.params)
        if which == "free":
            free = self.params["free"].to_numpy(dtype=np.intp)
            first = {f: i for i, f in reversed(list(enumerate(free))) if f > 0}
            names = [rows[first[f]] for f in range(1, self.estimate.size + 1)]
            est, d = self.estimate, self.draws
        elif which == "rows":
            names, est, d = rows, self.row_estimate, self.row_draws()
        elif which == "std":
            names, est, d = rows, self.std_estimate, self.std_draws
        elif which == "defined":
            names, est, d = _names(self.defined_params), self.defined_estimate, self.defined_draws
        elif which == "defined_std":
            names, est, d = _names(self.defined_params), self.defined_std_estimate, self.defined_std_draws
        else:
            raise SpecError(
                f"unknown block {which!r}", where="which", fix="rows, std, defined, defined_std or free"
            )
        return summarize(names, est, d, self.converged, method=m, level=lv)

    def to_frame(self, *, ci: CIMethod | None = None, level: float | None = None) -> pd.DataFrame:
        """One row per table row and ``:=`` parameter: est, boot SE, CI and the std.all versions.

        Fixed rows get SE 0 and the CI ``[est, est]`` (lavaan).
        """
        parts = []
        for blk, std_blk, tab in (
            ("rows", "std", self.params),
            ("defined", "defined_std", self.defined_params),
        ):
            if len(tab) == 0:
                continue
            s = self.summary(blk, ci=ci, level=level)
            z = self.summary(std_blk, ci=ci, level=level)
            cols = ["lhs", "op", "rhs", "group", "label"] if "group" in tab else ["lhs", "op", "rhs", "label"]
            f = tab[cols].reset_index(drop=True).copy()
            f["est"] = s.estimate
            f["se"] = s.se
            f["ci_lower"] = s.ci_lower
            f["ci_upper"] = s.ci_upper
            f["std_all"] = z.estimate
            f["std_se"] = z.se
            f["std_ci_lower"] = z.ci_lower
            f["std_ci_upper"] = z.ci_upper
            parts.append(f)
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        out.attrs["n_boot"] = self.n_boot
        out.attrs["n_failed"] = self.n_failed
        out.attrs["ci"] = ci or self.ci_method
        return out

    def to_dict(self, frame: pd.DataFrame | None = None) -> dict[str, Any]:
        """JSON-safe summary (no draw matrix): settings, failures and the parameter table
        (``frame``: a :meth:`to_frame` table already computed)."""
        frame = self.to_frame() if frame is None else frame
        recs = [
            {k: _nan_to_none(v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in frame.to_dict("records")
        ]
        return {
            "n_boot": self.n_boot,
            "n_failed": self.n_failed,
            "failed": [int(i) for i in self.failed],
            "seed": int(self.seed),
            "n_obs": int(self.n_obs),
            "ci": self.ci_method,
            "level": float(self.level),
            "seconds": _nan_to_none(float(self.seconds)),
            "warnings": list(self.warnings),
            "params": recs,
        }


def _names(tab: pd.DataFrame) -> list[str]:
    labels = tab["label"].fillna("").astype(str) if "label" in tab else [""] * len(tab)
    return [
        f"{a}{o}{b}" if not lab else str(lab)
        for a, o, b, lab in zip(tab["lhs"], tab["op"], tab["rhs"], labels)
    ]


def failure_warnings(converged: np.ndarray, errors: Sequence[tuple[int, str]] = ()) -> tuple[str, ...]:
    """Texts (and a :class:`CbecWarning`) about failed resamples when their share exceeds 1 %."""
    n_fail = int((~converged).sum())
    if n_fail == 0:
        return ()
    share = n_fail / converged.size
    first = ", ".join(str(i) for i in np.flatnonzero(~converged)[:10])
    msg = (
        f"{n_fail} of {converged.size} bootstrap resamples ({share:.1%}) failed to converge and were left out "
        f"of the SEs and CIs (first draws: {first})"
    )
    if errors:
        msg += f"; first error: draw {errors[0][0]}: {errors[0][1]}"
    if share > FAIL_WARN_SHARE:
        warnings.warn(CbecWarning(msg), stacklevel=3)
    return (msg,)


# --------------------------------------------------------------------------------------------------
# SEM adapter and public entry point
# --------------------------------------------------------------------------------------------------

#: refit tolerance of bootstrap resamples (``fit_cov(tol=...)``): steps below 1e-6 (1 + max|θ|) stop
#: the Fisher scoring; estimates then sit within ~1e-5 of a fully converged refit, far below the
#: Monte-Carlo error of any bootstrap SE or CI endpoint (tests/test_bootstrap_sem.py)
REFIT_TOL = 1e-6


class SemRefitter:
    """The SEM core's :class:`cbeclab.sem.ml.CompiledModel` seen through :class:`CompiledModel`."""

    def __init__(self, cm: Any, tol: float, batched: bool = True) -> None:
        self.cm = cm
        self.tol = tol
        self.n_par_rows = int(cm.n_par_rows)
        if batched:  # run_chunk fits a whole block per call when ``fit_many`` exists
            self.fit_many = self._fit_many

    def fit_cov(self, S: np.ndarray, n: int, start: np.ndarray | None = None) -> tuple[np.ndarray, bool, int]:
        return self.cm.fit_cov(S, n, start=start, tol=self.tol)  # type: ignore[no-any-return]

    def _fit_many(
        self, covs: np.ndarray, n: int, start: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All draws of a block at once (:func:`cbeclab.sem.batchfit.fit_many`)."""
        from cbeclab.sem.batchfit import fit_many

        return fit_many(self.cm, covs, n, start, tol=self.tol)

    def standardized(self, theta: np.ndarray) -> np.ndarray:
        """std.all of every table row, then the ``:=`` parameters on that scale."""
        return np.asarray(self.cm.standardized(theta), dtype=np.float64)

    def defined(self, theta: np.ndarray) -> np.ndarray:
        return np.asarray(self.cm.defined(theta), dtype=np.float64)

    def defined_std(self, std: np.ndarray) -> np.ndarray:
        return std[self.n_par_rows :]

    def post_many(self, thetas: np.ndarray, covs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """std.all rows + standardized ``:=`` and raw ``:=`` values for many draws at once.

        The same formulas as the core's ``standardized`` / ``defined`` (lavaan
        ``standardizedSolution`` std.all: ``b·sd(cause)/sd(effect)`` with model-implied SDs,
        variances over total variances, covariances over the product of residual SDs), evaluated on
        stacked arrays instead of one draw at a time. Each draw's covariate (fixed.x) block comes from
        its own covariance matrix. Checked against: the core's per-draw ``standardized``/``defined``
        (tests/test_bootstrap_sem.py, 1e-12).

        Returns
        -------
        (std, defined)
            Shapes ``(k, rows + n_def)`` and ``(k, n_def)``.
        """
        from cbeclab.sem.mediation import eval_defined

        cm = self.cm
        k = thetas.shape[0]
        M = cm.m
        A = np.broadcast_to(cm.A0, (k, M, M)).copy()
        A[:, cm.a_r, cm.a_c] = thetas[:, cm.a_t]
        S = np.broadcast_to(cm.S0, (k, M, M)).copy()
        S[:, cm.s_r, cm.s_c] = thetas[:, cm.s_t]
        S[:, cm.s_c, cm.s_r] = thetas[:, cm.s_t]
        if len(cm.exo_r):
            S[:, cm.exo_r, cm.exo_c] = covs[:, cm.exo_r, cm.exo_c]
            S[:, cm.exo_c, cm.exo_r] = covs[:, cm.exo_r, cm.exo_c]
        r, c, kind = cm.row_r, cm.row_c, cm.row_kind
        val = np.where(kind == 0, A[:, r, c], S[:, r, c])
        try:
            B = np.linalg.inv(cm.I_m - A)
        except np.linalg.LinAlgError:
            B = np.stack([_inv_or_nan(cm.I_m - a) for a in A])
        C = B @ S @ B.transpose(0, 2, 1)
        sd = np.sqrt(np.clip(np.diagonal(C, axis1=1, axis2=2), 0, None))
        rs = np.sqrt(np.abs(np.diagonal(S, axis1=1, axis2=2)))
        with np.errstate(divide="ignore", invalid="ignore"):
            a_all = val * sd[:, c] / sd[:, r]
            v_all = np.where(r == c, val / sd[:, r] ** 2, val / (rs[:, r] * rs[:, c]))
        std_rows = np.where(kind == 0, a_all, v_all)

        def defined_of(rows: np.ndarray) -> np.ndarray:
            env: dict[str, Any] = {lab: rows[:, j] for lab, j in cm.label_rows.items()}
            out = np.empty((k, len(cm.def_names)))
            for i, (name, expr) in enumerate(cm.pt.definitions.items()):
                with np.errstate(divide="ignore", invalid="ignore"):
                    out[:, i] = eval_defined(expr, env)
                env[name] = out[:, i]
            return out

        return np.concatenate([std_rows, defined_of(std_rows)], axis=1), defined_of(val)


def _inv_or_nan(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.full_like(a, np.nan)


@dataclass(frozen=True)
class SemCompiler:
    """Picklable recipe: parse + build the parameter table + compile, once per worker process."""

    syntax: str
    ov_names: tuple[str, ...]
    std_lv: bool = False
    tol: float = REFIT_TOL
    batched: bool = True

    def compiled(self) -> Any:
        from cbeclab.sem.ml import CompiledModel as _CM
        from cbeclab.sem.partable import build_partable

        return _CM(build_partable(self.syntax, std_lv=self.std_lv), list(self.ov_names))

    def __call__(self) -> SemRefitter:
        return SemRefitter(self.compiled(), self.tol, self.batched)


def _syntax_of(model: Any) -> tuple[str, bool]:
    if isinstance(model, str):
        return model, False
    for attr in ("syntax", "model_syntax"):
        val = getattr(model, attr, None)
        if isinstance(val, str):
            return val, bool(getattr(model, "std_lv", False))
    inner = getattr(model, "model", None)
    if inner is not None and inner is not model:
        return _syntax_of(inner)
    raise SpecError(
        f"cannot read the model syntax from a {type(model).__name__}",
        where="model",
        fix="pass lavaan syntax (str) or a cbeclab.sem Model",
    )


def complete_data(data: pd.DataFrame, ov_names: Sequence[str]) -> tuple[np.ndarray, int]:
    """Observed variables as a float matrix, listwise deletion (lavaan ``missing = "listwise"``).

    Returns the matrix and the number of rows dropped.
    """
    from cbeclab.errors import DataError

    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}", where="data")
    missing = [v for v in ov_names if v not in data.columns]
    if missing:
        raise DataError(
            f"the data have no column(s) {missing}", where="data", fix="rename the columns or fix the model"
        )
    sub = data[list(ov_names)]
    bad = [c for c in sub.columns if not pd.api.types.is_numeric_dtype(sub[c])]
    if bad:
        raise DataError(f"non-numeric column(s) {bad}", where="data", fix="recode them as numbers")
    X = sub.to_numpy(dtype=np.float64)
    keep = np.all(np.isfinite(X), axis=1)
    return X[keep], int((~keep).sum())


@dataclass(frozen=True)
class FullFit:
    """Full-sample ML fit used as the bootstrap's warm start (and for delta-method SEs)."""

    compiler: SemCompiler
    compiled: Any
    X: np.ndarray
    theta: np.ndarray
    vcov: np.ndarray
    n_dropped: int


def full_fit(model: Any, data: pd.DataFrame, *, std_lv: bool | None = None) -> FullFit:
    """Compile ``model`` for ``data`` and fit it by ML on the full sample (divisor-n covariance)."""
    from cbeclab.errors import ConvergenceError, DataError
    from cbeclab.sem.partable import build_partable

    syntax, lv = _syntax_of(model)
    lv = lv if std_lv is None else std_lv
    pt = getattr(model, "partable", None)  # a Model's table: build (and check) it only once
    if pt is None or bool(getattr(model, "std_lv", False)) != lv or not getattr(model, "fixed_x", True):
        pt = build_partable(syntax, std_lv=lv)
    ov = tuple(pt.ov_names)
    X, dropped = complete_data(data, ov)
    n = X.shape[0]
    if n < len(ov) + 1:
        raise DataError(
            f"{n} complete rows for {len(ov)} observed variables", where="data", fix="use more observations"
        )
    from cbeclab.sem.ml import CompiledModel as _CM

    comp = SemCompiler(syntax, ov, lv)
    cm = _CM(pt, list(ov))
    S = np.cov(X.T, ddof=0)
    theta, ok, it = cm.fit_cov(S, n)
    if not ok:
        raise ConvergenceError(
            f"the full-sample ML fit did not converge in {it} iterations",
            where="bootstrap",
            fix="check the model and the data before bootstrapping",
        )
    return FullFit(comp, cm, X, np.asarray(theta, dtype=np.float64), cm.vcov(theta, n), dropped)


def bootstrap(
    model: Any,
    data: pd.DataFrame,
    n_boot: int = 5000,
    seed: int = 0,
    *,
    ci: CIMethod = "bc",
    level: float = 0.95,
    std_lv: bool | None = None,
    scheduler: Any = None,
    n_jobs: int | None = None,
    chunk: int | None = None,
    progress: ProgressFn | None = None,
    tol: float = REFIT_TOL,
    batched: bool = True,
) -> BootstrapResult:
    """Nonparametric (ordinary) bootstrap of an SEM, lavaan ``se = "bootstrap"`` style.

    Each draw resamples the complete rows with replacement (:mod:`cbeclab.sem.resample`), refits
    the model by ML on the resample's divisor-n covariance matrix, warm-started from the full-sample
    estimate, and records the free parameters, their std.all values (from the draw's own implied
    variances) and the ``:=`` parameters on both scales.

    Parameters
    ----------
    model
        lavaan syntax or a :class:`cbeclab.sem` model object carrying its syntax.
    data
        Raw data (one column per observed variable; incomplete rows are dropped listwise).
    n_boot, seed
        Number of draws and seed; the draws depend only on ``(seed, draw number)``.
    ci, level
        Default CI method (``"bc"`` = lavaan ``"bca.simple"``, ``"perc"``) and level of the tables.
    scheduler, n_jobs, chunk, progress
        See :func:`run_draws` (local processes by default, a Dask cluster given its address).
    tol
        Refit tolerance (:data:`REFIT_TOL`).
    batched
        Refit each block of :data:`~cbeclab.sem.resample.BLOCK` draws together
        (:func:`cbeclab.sem.batchfit.fit_many`, the default) or one draw at a time (``fit_cov``).
        Both find the same minimiser from the same start; the draws agree to the refit tolerance.

    Returns
    -------
    BootstrapResult

    Notes
    -----
    Failed resamples (no convergence, non-positive-definite implied covariance, numerical errors)
    are kept as NaN rows, counted in ``n_failed``, listed in ``failed`` and left out of SEs and CIs;
    a :class:`~cbeclab.errors.CbecWarning` is raised when more than 1 % fail.

    Checked against: lavaan 0.6-14 ``sem(..., se = "bootstrap")`` + ``parameterEstimates(boot.ci.type =
    "bca.simple" | "perc")`` within Monte-Carlo error (``tests/test_bootstrap_sem.py``).
    """
    import time

    t0 = time.perf_counter()
    ff = full_fit(model, data, std_lv=std_lv)
    comp = SemCompiler(ff.compiler.syntax, ff.compiler.ov_names, ff.compiler.std_lv, tol, batched)
    spec = RefitSpec(factory=comp, X=ff.X, theta0=ff.theta, seed=int(seed)).with_key()
    # the workers (forked, or this process) reuse a copy of the compiled model instead of parsing
    # and checking the syntax again; a Dask worker still calls the factory
    import copy

    _WORKER_CACHE.clear()
    _WORKER_CACHE[spec.key] = SemRefitter(copy.deepcopy(ff.compiled), tol, batched)
    d = run_draws(spec, n_boot, scheduler=scheduler, n_jobs=n_jobs, chunk=chunk, progress=progress)
    cm = ff.compiled
    pt = cm.pt.table
    par = pt[pt["op"] != ":="][["lhs", "op", "rhs", "label", "free"]].reset_index(drop=True)
    dfn = pt[pt["op"] == ":="][["lhs", "op", "rhs", "label"]].reset_index(drop=True)
    R = int(cm.n_par_rows)
    std0 = np.asarray(cm.standardized(ff.theta), dtype=np.float64)
    msgs = failure_warnings(d.converged, d.errors)
    if ff.n_dropped:
        msgs = (*msgs, f"{ff.n_dropped} incomplete rows dropped (listwise)")
    return BootstrapResult(
        params=par,
        defined_params=dfn,
        estimate=ff.theta,
        draws=d.theta,
        row_estimate=np.asarray(cm.row_values(ff.theta), dtype=np.float64),
        std_estimate=std0[:R],
        std_draws=d.std[:, :R],
        defined_estimate=np.asarray(cm.defined(ff.theta), dtype=np.float64),
        defined_draws=d.defined,
        defined_std_estimate=std0[R:],
        defined_std_draws=d.defined_std,
        converged=d.converged,
        n_iter=d.n_iter,
        seed=int(seed),
        n_obs=int(ff.X.shape[0]),
        ci_method=ci,
        level=level,
        vcov=ff.vcov,
        errors=d.errors,
        warnings=msgs,
        seconds=time.perf_counter() - t0,
    )


def tqdm_progress(total: int, desc: str = "bootstrap", **kwargs: Any) -> ProgressFn:
    """A ``progress(done, total)`` callback drawing a tqdm bar (for the CLI); closes itself at the end.

    Examples
    --------
    >>> cb = tqdm_progress(200, disable=True)
    >>> cb(100, 200); cb(200, 200)
    """
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="draw", **kwargs)

    def update(done: int, n_total: int) -> None:
        bar.update(done - bar.n)
        if done >= n_total:
            bar.close()

    return update
