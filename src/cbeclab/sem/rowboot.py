"""Row-resampling bootstrap: FIML (``missing = "ml" / "ml.x"``), mean structures, MLR and multi-group.

The complete-data ML bootstrap of :mod:`cbeclab.sem.bootstrap` refits covariance matrices.  With
missing values a resample is a set of *rows*, each with its own missing pattern, and the refit is
the casewise (FIML) likelihood of those rows; with groups, rows are resampled within each group
(stratified, as lavaan's ``se = "bootstrap"`` does for multi-group models).  Everything else is the
same machinery: draw ``b`` of group ``g`` depends only on ``(seed, b, g)``
(:func:`cbeclab.sem.resample.draw_indices`; a one-group bootstrap uses the same streams as the
covariance bootstrap, so on complete data both see the same resamples), refits start from the
full-sample estimate, chunks run in local processes or on Dask, and the result is a
:class:`~cbeclab.sem.bootstrap.BootstrapResult` with lavaan's percentile and bias-corrected
intervals.

``MLR`` (and ``MLM``) have the ML point estimates, so their bootstrap is the ML (or FIML) bootstrap:
only the standard errors of the full-sample fit differ, and the bootstrap replaces them.

Checked against: lavaan 0.6-14 ``sem(..., se = "bootstrap")`` with ``missing = "ml"``, with
``estimator = "MLR"``, and with ``group =`` (percentile CIs and SEs within Monte-Carlo error;
``tests/fixtures/boot_fiml_mg.json`` made by ``tests/fixtures/r/boot_fiml_mg.R``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import SpecError
from cbeclab.i18n import _
from cbeclab.sem.bootstrap import (
    REFIT_TOL,
    BootstrapResult,
    ChunkOut,
    CIMethod,
    ProgressFn,
    RefitSpec,
    _compiled,
    accepted,
    failure_warnings,
    run_draws,
)
from cbeclab.sem.ml import Array

__all__ = ["RowsRefitter", "StackedPatterns", "bootstrap_rows", "multigroup_bootstrap", "run_rows_chunk"]


@dataclass(frozen=True)
class _Defs:
    """``:=`` parameters evaluated on row values of one or more groups (label -> (group, row))."""

    names: tuple[str, ...]
    exprs: tuple[str, ...]
    where: tuple[tuple[str, int, int], ...]

    def values(self, rows: Sequence[Array]) -> Array:
        """Defined values; ``rows[g]`` are the values (raw or std.all) of group ``g``'s rows.
        Each entry of ``rows`` may be 1-D (one draw) or 2-D (draws x rows)."""
        from cbeclab.sem.mediation import eval_defined

        env: dict[str, Any] = {lab: rows[g][..., k] for lab, g, k in self.where}
        out = []
        for name, expr in zip(self.names, self.exprs, strict=True):
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.asarray(eval_defined(expr, env), dtype=np.float64)
            env[name] = v
            out.append(v)
        if not out:
            shape = np.shape(rows[0])[:-1]
            return np.empty((*shape, 0))
        return np.stack(out, axis=-1)


def _defs_of(views: Sequence[Any]) -> _Defs:
    where: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for g, pt in enumerate(views):
        tab = pt.table
        n_par = int((tab["op"] != ":=").sum())
        for k, lab in enumerate(tab["label"].iloc[:n_par]):
            if lab and str(lab) not in seen:
                seen.add(str(lab))
                where.append((str(lab), g, k))
    defs = views[0].definitions
    return _Defs(tuple(defs), tuple(defs.values()), tuple(where))


LOG2PI = float(np.log(2.0 * np.pi))


class StackedPatterns:
    """Missing-data patterns of a resample as equal-sized stacks (the bootstrap's FIML kernel).

    A resample repeats rows of the data, so its patterns are those of the data, weighted by how
    often each row was drawn.  Pattern ``k`` (observed set ``o``, mask ``M_k``) contributes with
    ``n_k``, mean ``ȳ_k`` and divisor-``n_k`` covariance ``S_k``, embedded in ``p × p`` with zeros
    outside ``o``.  With ``Σ̃_k = M_k Σ M_k + (I − M_k)``, ``P_k = Σ̃_k⁻¹ − (I − M_k)`` is
    ``Σ_oo⁻¹`` embedded, and ``log|Σ̃_k| = log|Σ_oo|``, so all patterns are one ``(K, p, p)``
    stack instead of a Python loop over matrices of different sizes:

    * ``l = −½ Σ_k n_k [p_k log 2π + log|Σ_oo| + tr(P_k (S_k + d_k d_k'))]``, ``d_k = ȳ_k − μ``;
    * ``∂l/∂μ = Σ_k n_k P_k d_k``, ``∂l/∂Σ = −½ Σ_k n_k (P_k − P_k (S_k + d_k d_k') P_k)``;
    * expected information ``Σ_k n_k [dμ' P_k dμ + ½ tr(P_k dΣ_s P_k dΣ_t)]``.

    These are :class:`cbeclab.sem.fiml.Patterns`' ``loglik``/``gradient`` and
    :func:`cbeclab.sem.estimate.expected_information` written on stacks; checked against them to
    1e-9 (``tests/test_bootstrap_rows.py``).
    """

    def __init__(self, masks: Array, n_k: Array, ybar: Array, S_k: Array) -> None:
        keep = n_k > 0
        self.mask = masks[keep].astype(np.float64)
        self.n_k = n_k[keep]
        self.ybar = ybar[keep]
        self.S_k = S_k[keep]
        self.p_k = self.mask.sum(axis=1)
        self.off = 1.0 - self.mask
        self.p = masks.shape[1]

    @classmethod
    def of(cls, X: Array, counts: Array, codes: Array, inv: Array) -> StackedPatterns:
        """Patterns of the resample with row ``i`` of ``X`` drawn ``counts[i]`` times."""
        K, p = codes.shape
        Y = np.where(np.isfinite(X), X, 0.0)
        n_k = np.bincount(inv, weights=counts, minlength=K)
        s1 = np.zeros((K, p))
        np.add.at(s1, inv, counts[:, None] * Y)
        s2 = np.zeros((K, p, p))
        np.add.at(s2, inv, counts[:, None, None] * (Y[:, :, None] * Y[:, None, :]))
        with np.errstate(divide="ignore", invalid="ignore"):
            ybar = np.where(n_k[:, None] > 0, s1 / n_k[:, None], 0.0)
            S_k = np.where(n_k[:, None, None] > 0, s2 / n_k[:, None, None], 0.0)
        S_k = S_k - ybar[:, :, None] * ybar[:, None, :]
        return cls(codes, n_k, ybar, S_k)

    def _inverse(self, Sigma: Array) -> tuple[Array, Array] | None:
        m = self.mask
        St = m[:, :, None] * Sigma[None] * m[:, None, :]
        idx = np.arange(self.p)
        St[:, idx, idx] += self.off
        try:
            L = np.linalg.cholesky(St)
        except np.linalg.LinAlgError:
            return None
        P = np.linalg.inv(St)
        P[:, idx, idx] -= self.off
        logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        return P, logdet

    def _centred(self, mu: Array) -> tuple[Array, Array]:
        d = (self.ybar - mu[None]) * self.mask
        return d, self.S_k + d[:, :, None] * d[:, None, :]

    def loglik(self, mu: Array, Sigma: Array) -> float:
        inv = self._inverse(Sigma)
        if inv is None:
            return -math.inf
        P, logdet = inv
        _d, C = self._centred(mu)
        tr = (P * C).sum(axis=(1, 2))  # P, C symmetric
        return float(-0.5 * np.sum(self.n_k * (self.p_k * LOG2PI + logdet + tr)))

    def gradient_information(self, mu: Array, Sigma: Array, dmu: Array, dS: Array) -> tuple[Array, Array]:
        """``∂l/∂θ`` and the expected information (not divided by n) at ``(μ, Σ)``."""
        from cbeclab.sem.estimate import chain_gradient

        inv = self._inverse(Sigma)
        if inv is None:
            raise np.linalg.LinAlgError("a pattern's model-implied covariance is not positive definite")
        P, _ = inv
        d, C = self._centred(mu)
        n = self.n_k
        gmu = n @ (P @ d[:, :, None])[:, :, 0]
        PCP = P @ C @ P
        GS = -0.5 * np.einsum("k,kij->ij", n, P - PCP)
        g = chain_gradient(gmu, GS, dmu, dS)
        p = self.p
        q = dmu.shape[1]
        # Σ_k n_k tr(P_k dΣ_s P_k dΣ_t) = vec(dΣ_t)' [Σ_k n_k P_k ⊗ P_k] vec(dΣ_s): one p² x p² matrix
        Pf = P.reshape(-1, p * p)
        Wk = ((Pf * n[:, None]).T @ Pf).reshape(p, p, p, p).transpose(0, 2, 1, 3).reshape(p * p, p * p)
        D = dS.reshape(p * p, q)
        info = dmu.T @ np.einsum("k,kij->ij", n, P) @ dmu + 0.5 * (D.T @ (Wk @ D))
        return g, 0.5 * (info + info.T)


class RowsRefitter:
    """Moment models of one or more groups refitted by FIML on resampled rows."""

    def __init__(self, mms: Sequence[Any], defs: _Defs, tol: float) -> None:
        self.mms = list(mms)
        self.defs = defs
        self.tol = tol
        self.exo = any(bool(np.any(mm.row_exo)) for mm in self.mms)

    def prepare(self, groups: Sequence[Array]) -> None:
        """Pattern codes of every row of each group's data (once per worker)."""
        self.codes: list[tuple[Array, Array]] = []
        for X in groups:
            R = np.isfinite(X)
            codes, inv = np.unique(R, axis=0, return_inverse=True)
            self.codes.append((codes, np.asarray(inv).reshape(-1)))

    def fit_counts(
        self, groups: Sequence[Array], counts: Sequence[Array], start: Array
    ) -> tuple[Array, bool, int]:
        """FIML refit of the resample drawing row ``i`` of group ``g`` ``counts[g][i]`` times
        (fixed.x blocks re-estimated by EM on the resample, as the full-sample fit does)."""
        pss = []
        for g, (mm, X, w) in enumerate(zip(self.mms, groups, counts, strict=True)):
            codes, inv = self.codes[g]
            if self.exo:
                from cbeclab.sem.fiml import Patterns, em_h1

                rows = np.repeat(np.arange(X.shape[0]), w.astype(np.int64))
                m1, c1, _it = em_h1(Patterns(X[rows], mm.ov_names))
                mm.set_exo(m1, c1)
            pss.append(StackedPatterns.of(X, w, codes, inv))
        from cbeclab.sem.estimate import fit_ml

        # fit_ml stops on steps below tol^(1/2) (1 + max|theta|): square the step tolerance
        return fit_ml(self.mms, pss, start, tol=self.tol * self.tol)  # type: ignore[arg-type]

    def rows(self, theta: Array) -> tuple[list[Array], list[Array]]:
        """Row values and std.all per group at ``theta`` (lavaan ``standardizedSolution``)."""
        from cbeclab.sem.general import _std_rows

        vals = [mm.row_values(theta) for mm in self.mms]
        std = [_std_rows(mm, theta)[1] for mm in self.mms]
        return vals, std


@dataclass(frozen=True)
class RowsCompiler:
    """Picklable recipe of a :class:`RowsRefitter` (the fitted moment models travel pickled)."""

    mms: tuple[Any, ...]
    defs: _Defs
    tol: float = REFIT_TOL

    def __call__(self) -> RowsRefitter:
        import copy

        return RowsRefitter(copy.deepcopy(list(self.mms)), self.defs, self.tol)


def run_rows_chunk(spec: RefitSpec, start: int, stop: int) -> ChunkOut:
    """Refit draws ``start .. stop-1`` of a row bootstrap (worker function, see ``run_chunk``)."""
    from cbeclab.sem.resample import draw_counts, draw_indices

    cm: RowsRefitter = _compiled(spec)
    groups = spec.groups
    assert groups is not None
    G = len(groups)
    idx = [
        draw_indices(spec.seed, X.shape[0], start, stop, stream=None if G == 1 else g)
        for g, X in enumerate(groups)
    ]
    m = stop - start
    q = spec.theta0.size
    n_rows = sum(mm.n_par_rows for mm in cm.mms)
    n_def = len(cm.defs.names)
    theta = np.full((m, q), np.nan)
    std = np.full((m, n_rows + n_def), np.nan)
    dfn = np.full((m, n_def), np.nan)
    dstd = np.full((m, n_def), np.nan)
    conv = np.zeros(m, dtype=bool)
    nit = np.zeros(m, dtype=np.int64)
    errors: list[tuple[int, str]] = []
    if not hasattr(cm, "codes"):
        cm.prepare(groups)
    counts = [draw_counts(ix, X.shape[0]) for X, ix in zip(groups, idx, strict=True)]
    for i in range(m):
        try:
            fit, ok, it = cm.fit_counts(groups, [c[i] for c in counts], spec.theta0)
            th = accepted(fit, ok, it, i, start, nit, errors)
            if th is None:
                continue
            vals, sa = cm.rows(th)
            theta[i] = th
            dfn[i] = cm.defs.values(vals)
            dstd[i] = cm.defs.values(sa)
            std[i] = np.concatenate([*sa, dstd[i]])
            conv[i] = True
        except Exception as exc:  # noqa: BLE001 - a failed resample is recorded, never raised
            errors.append((start + i, f"{type(exc).__name__}: {exc}"))
    return ChunkOut(start, stop, theta, std, dfn, dstd, conv, nit, tuple(errors))


def bootstrap_rows(
    model: Any,
    data: pd.DataFrame,
    n_boot: int = 1000,
    seed: int = 0,
    *,
    estimator: str = "ML",
    missing: str = "ml",
    meanstructure: bool | None = None,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    ci: CIMethod = "bc",
    level: float = 0.95,
    scheduler: Any = None,
    n_jobs: int | None = None,
    chunk: int | None = None,
    progress: ProgressFn | None = None,
    tol: float = REFIT_TOL,
) -> BootstrapResult:
    """Nonparametric bootstrap of a FIML, mean-structure, MLR or multi-group fit (lavaan
    ``se = "bootstrap"``), resampling raw rows (within groups when ``group`` is given).

    Parameters
    ----------
    model
        lavaan syntax or a :class:`cbeclab.sem.Model`.
    data
        Raw data; missing cells as NaN (kept under ``missing = "ml"``, dropped listwise otherwise).
    estimator, missing, meanstructure, group, group_equal
        As :meth:`cbeclab.sem.Model.fit`; ``MLR``/``MLM`` bootstrap the ML estimates.
    ci, level, scheduler, n_jobs, chunk, progress, tol
        As :func:`cbeclab.sem.bootstrap.bootstrap`.

    Returns
    -------
    BootstrapResult
        Rows of every group (``params`` has a ``group`` column in multi-group fits) and the
        ``:=`` parameters, e.g. ``diff := a1*b1 - a2*b2`` for the difference of two groups'
        indirect effects.

    Checked against: lavaan 0.6-14 ``se = "bootstrap"`` (``tests/test_bootstrap_rows.py``).
    """
    from cbeclab.sem.model import Model

    t0 = time.perf_counter()
    mdl = model if isinstance(model, Model) else Model(str(model))
    est = str(estimator).upper()
    if est not in ("ML", "MLR", "MLM"):
        raise SpecError(
            _("the bootstrap refits ML-type estimators only, not {e}", e=estimator),
            where="estimator",
            fix=_("use ML, MLR or MLM"),
        )
    if group:
        from cbeclab.sem.multigroup import fit_multigroup

        if est == "MLM":
            est = "ML"  # same point estimates; multi-group fits offer ML and MLR
        res = fit_multigroup(mdl, data, group, group_equal=tuple(group_equal), estimator=est, missing=missing)
        return multigroup_bootstrap(
            res, n_boot, seed, ci=ci, level=level, scheduler=scheduler, n_jobs=n_jobs, chunk=chunk,
            progress=progress, tol=tol,
        )  # fmt: skip
    else:
        from cbeclab.sem.fiml import Patterns, em_h1
        from cbeclab.sem.general import check_options, fit_general, prepare_rows
        from cbeclab.sem.moments import MomentModel
        from cbeclab.sem.partable import build_partable

        est, mis = check_options(est, missing)
        ms = bool(meanstructure) or mis != "listwise"
        fitted = fit_general(mdl, data, estimator=est, missing=mis, meanstructure=ms)
        pt = build_partable(mdl.syntax, std_lv=mdl.std_lv, fixed_x=mdl.fixed_x, meanstructure=True)
        X, n_dropped, _notes = prepare_rows(mdl, pt, data, mis)
        mm = MomentModel(pt)
        m1, c1, _it = em_h1(Patterns(X, tuple(pt.ov_names)))
        mm.set_exo(m1, c1)
        theta = np.asarray(fitted.theta, dtype=np.float64)
        if theta.size != pt.n_free:  # pragma: no cover - both come from the same table
            raise SpecError(
                _(
                    "the fitted model has {a} free parameters, the bootstrap model {b}",
                    a=theta.size,
                    b=pt.n_free,
                ),
                where="bootstrap",
                fix=_("report this model: the two parameter tables disagree"),
            )
        vcov = fitted.vcov
        mms, views, Xs = [mm], [pt], [X]
        ops = pt.table["op"].iloc[: mm.n_par_rows].to_numpy()
        show = [np.ones(mm.n_par_rows, dtype=bool) if ms else ops != "~1"]
    return _boot_fitted(
        mms, views, (), Xs, theta, vcov, n_dropped, show, n_boot, seed,
        ci=ci, level=level, scheduler=scheduler, n_jobs=n_jobs, chunk=chunk, progress=progress, tol=tol, t0=t0,
    )  # fmt: skip


def multigroup_bootstrap(
    res: Any,
    n_boot: int = 1000,
    seed: int = 0,
    *,
    ci: CIMethod = "bc",
    level: float = 0.95,
    scheduler: Any = None,
    n_jobs: int | None = None,
    chunk: int | None = None,
    progress: ProgressFn | None = None,
    tol: float = REFIT_TOL,
) -> BootstrapResult:
    """Bootstrap of a fitted :class:`~cbeclab.sem.multigroup.MultiGroupResult` (rows resampled
    within each group, refits from its estimate); see :func:`bootstrap_rows`."""
    t0 = time.perf_counter()
    if res._boot is None:
        raise SpecError(_("this result has no data to resample"), where="bootstrap", fix=_("refit the model"))
    mms, Xs, _defs_mg = res._boot
    return _boot_fitted(
        list(mms), [mm.pt for mm in mms], tuple(res.groups), [np.asarray(x, dtype=np.float64) for x in Xs],
        np.asarray(res.theta, dtype=np.float64), res.vcov, int(res.n_dropped),
        [np.ones(mm.n_par_rows, dtype=bool) for mm in mms], n_boot, seed,
        ci=ci, level=level, scheduler=scheduler, n_jobs=n_jobs, chunk=chunk, progress=progress, tol=tol, t0=t0,
    )  # fmt: skip


def _boot_fitted(
    mms: Sequence[Any],
    views: Sequence[Any],
    labels: tuple[str, ...],
    Xs: Sequence[Array],
    theta: Array,
    vcov: Array | None,
    n_dropped: int,
    show: Sequence[Array],
    n_boot: int,
    seed: int,
    *,
    ci: CIMethod,
    level: float,
    scheduler: Any,
    n_jobs: int | None,
    chunk: int | None,
    progress: ProgressFn | None,
    tol: float,
    t0: float,
) -> BootstrapResult:
    defs = _defs_of(views)
    comp = RowsCompiler(tuple(mms), defs, tol)
    spec = RefitSpec(
        factory=comp, X=np.empty((0, 0)), theta0=theta, seed=int(seed), groups=tuple(Xs)
    ).with_key()
    d = run_draws(spec, n_boot, scheduler=scheduler, n_jobs=n_jobs, chunk=chunk, progress=progress)
    ref = comp()
    vals0, std0 = ref.rows(theta)
    frames, row_est, std_est, keep = [], [], [], []
    for g, (mm, pt) in enumerate(zip(mms, views, strict=True)):
        tab = pt.table.iloc[: mm.n_par_rows][["lhs", "op", "rhs", "label", "free"]].copy()
        if labels:
            tab.insert(3, "group", labels[g])
        frames.append(tab[show[g]])
        row_est.append(vals0[g][show[g]])
        std_est.append(std0[g][show[g]])
        keep.append(show[g])
    params = pd.concat(frames, ignore_index=True)
    mask = np.concatenate(keep)
    n_rows = mask.size
    dfn = pd.DataFrame(
        {
            "lhs": list(defs.names),
            "op": ":=",
            "rhs": [e.replace(" ", "") for e in defs.exprs],
            "label": list(defs.names),
        }
    )
    if labels:
        dfn.insert(3, "group", "")
    msgs = failure_warnings(d.converged, d.errors)
    if n_dropped:
        msgs = (*msgs, f"{n_dropped} rows dropped before resampling")
    return BootstrapResult(
        params=params,
        defined_params=dfn,
        estimate=theta,
        draws=d.theta,
        row_estimate=np.concatenate(row_est),
        std_estimate=np.concatenate(std_est),
        std_draws=d.std[:, :n_rows][:, mask],
        defined_estimate=defs.values(vals0),
        defined_draws=d.defined,
        defined_std_estimate=defs.values(std0),
        defined_std_draws=d.defined_std,
        converged=d.converged,
        n_iter=d.n_iter,
        seed=int(seed),
        n_obs=int(sum(x.shape[0] for x in Xs)),
        ci_method=ci,
        level=level,
        vcov=vcov,
        errors=d.errors,
        warnings=msgs,
        seconds=time.perf_counter() - t0,
    )
