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
from cbeclab.sem.resample import BLOCK, block_covariances

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
    """

    factory: Callable[[], Any]
    X: np.ndarray
    theta0: np.ndarray
    seed: int
    cov_ddof: int = 0
    defined_std: Callable[[np.ndarray], np.ndarray] | None = None
    key: str = ""

    def with_key(self) -> RefitSpec:
        h = hashlib.sha1(pickle.dumps((self.factory, self.cov_ddof)))
        return RefitSpec(
            self.factory, self.X, self.theta0, self.seed, self.cov_ddof, self.defined_std, h.hexdigest()
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
    try:  # one BLAS thread per worker: the parallelism is across draws
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # pragma: no cover - optional
        pass


def run_chunk(spec: RefitSpec, start: int, stop: int) -> ChunkOut:
    """Refit draws ``start .. stop-1`` (picklable worker function; also used in-process).

    Every refit starts from ``spec.theta0`` (never from the previous draw), so the result of a draw
    does not depend on the chunking.
    """
    cm = _compiled(spec)
    X = spec.X
    n = X.shape[0]
    covs = block_covariances(X, spec.seed, start, stop, ddof=spec.cov_ddof)
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
    for i in range(m):
        try:
            th, ok, it = cm.fit_cov(covs[i], n, start=spec.theta0)
            nit[i] = int(it)
            if not ok:
                continue
            th = np.asarray(th, dtype=np.float64)
            s = np.asarray(cm.standardized(th), dtype=np.float64)
            d = np.asarray(cm.defined(th), dtype=np.float64)
            ds = np.asarray(dstd_fn(s), dtype=np.float64) if dstd_fn is not None else dstd0[:0]
        except Exception as exc:  # a failed resample is recorded, never raised
            errors.append((start + i, f"{type(exc).__name__}: {exc}"))
            continue
        if not (np.all(np.isfinite(th))):
            errors.append((start + i, "non-finite estimate"))
            continue
        theta[i], std[i], dfn[i], dstd[i] = th, s, d, ds
        conv[i] = True
    return ChunkOut(start, stop, theta, std, dfn, dstd, conv, nit, tuple(errors))


def _chunks(n_boot: int, chunk: int) -> list[tuple[int, int]]:
    return [(s, min(s + chunk, n_boot)) for s in range(0, n_boot, chunk)]


def _default_chunk(n_boot: int, workers: int) -> int:
    # aligned to BLOCK so no block is generated twice; ~4 chunks per worker for balance/progress
    target = max(1, math.ceil(n_boot / max(1, 4 * workers)))
    return max(BLOCK, int(math.ceil(target / BLOCK)) * BLOCK)


def _pool_init() -> None:
    _limit_blas_threads()


def _iter_local(spec: RefitSpec, ranges: list[tuple[int, int]], n_jobs: int) -> Iterable[ChunkOut]:
    if n_jobs <= 1 or len(ranges) <= 1:
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
    try:
        from distributed import Client
        from distributed import as_completed as das_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise SpecError(
            "a Dask scheduler was given but `distributed` is not installed",
            where="scheduler",
            fix="pip install 'dask[distributed]' or leave scheduler=None",
        ) from exc
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        spec_f = client.scatter(spec, broadcast=True)
        futs = [client.submit(run_chunk, spec_f, s, e, pure=False) for s, e in ranges]
        for f in das_completed(futs):
            yield f.result()
    finally:
        if own:
            client.close()


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
        Draws per task (default: a multiple of :data:`~cbeclab.sem.resample.BLOCK`, ~4 tasks a worker).
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
        Parameter rows (``lhs, op, rhs, label``), free parameters first then ``:=`` rows, aligned with
        the columns of ``draws`` / ``defined_draws``.
    estimate, draws
        Full-sample estimates of the free parameters and the ``(n_boot, k)`` draw matrix (NaN rows
        for failed draws).
    std_estimate, std_draws
        The same on the standardized (``std.all``) scale, each draw standardized with its own
        model-implied variances.
    defined_*, defined_std_*
        ``:=`` parameters on the raw and standardized scale.
    converged
        Per-draw success flag; ``n_failed`` / ``failed`` give the count and draw numbers.
    """

    free_params: pd.DataFrame
    defined_params: pd.DataFrame
    estimate: np.ndarray
    draws: np.ndarray
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
    errors: tuple[tuple[int, str], ...] = ()
    warnings: tuple[str, ...] = field(default=())

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

    def summary(
        self, which: str = "free", *, ci: CIMethod | None = None, level: float | None = None
    ) -> BootSummary:
        """SE/CI for ``which`` in ``"free"``, ``"std"``, ``"defined"``, ``"defined_std"``."""
        m = ci or self.ci_method
        lv = level or self.level
        if which == "free":
            names, est, d = _names(self.free_params), self.estimate, self.draws
        elif which == "std":
            names, est, d = _names(self.free_params), self.std_estimate, self.std_draws
        elif which == "defined":
            names, est, d = _names(self.defined_params), self.defined_estimate, self.defined_draws
        elif which == "defined_std":
            names, est, d = _names(self.defined_params), self.defined_std_estimate, self.defined_std_draws
        else:
            raise SpecError(
                f"unknown block {which!r}", where="which", fix="free, std, defined or defined_std"
            )
        return summarize(names, est, d, self.converged, method=m, level=lv)

    def to_frame(self, *, ci: CIMethod | None = None, level: float | None = None) -> pd.DataFrame:
        """One row per free and defined parameter: est, boot SE, CI, and the standardized versions."""
        rows = []
        for blk, std_blk, tab in (
            ("free", "std", self.free_params),
            ("defined", "defined_std", self.defined_params),
        ):
            if len(tab) == 0:
                continue
            s = self.summary(blk, ci=ci, level=level)
            z = self.summary(std_blk, ci=ci, level=level)
            f = tab[["lhs", "op", "rhs", "label"]].reset_index(drop=True).copy()
            f["est"] = s.estimate
            f["se"] = s.se
            f["ci_lower"] = s.ci_lower
            f["ci_upper"] = s.ci_upper
            if z.estimate.size == len(f):
                f["std_all"] = z.estimate
                f["std_se"] = z.se
                f["std_ci_lower"] = z.ci_lower
                f["std_ci_upper"] = z.ci_upper
            rows.append(f)
        out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
        out.attrs["n_boot"] = self.n_boot
        out.attrs["n_failed"] = self.n_failed
        out.attrs["ci"] = ci or self.ci_method
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (no draw matrix): settings, failures and the parameter table."""
        frame = self.to_frame()
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
            "warnings": list(self.warnings),
            "params": recs,
        }


def _names(tab: pd.DataFrame) -> list[str]:
    return [
        f"{a}{o}{b}" if not lab else str(lab)
        for a, o, b, lab in zip(tab["lhs"], tab["op"], tab["rhs"], tab["label"].fillna(""))
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
