"""SEM with ordered (ordinal) indicators: lavaan's ``WLSMV`` and ``ULSMV`` (delta parameterization).

**Model.**  Each ordered item ``y`` is a cut latent response ``y*`` (thresholds ``tau``,
:mod:`cbeclab.sem.polychoric`).  Under lavaan's default ``parameterization = "delta"`` the latent
responses have unit variance: the residual variances of the ordered items are not free, they are
whatever makes ``diag Sigma*(theta) = 1`` (``theta_jj = 1 - (Lambda Psi Lambda')_jj`` for plain
indicators; in general the linear system ``sum_k B_jk^2 theta_kk = 1 - (B S_0 B')_jj``), the
intercepts are 0 and the scale factors (``~*~``) 1.  The model reproduces the vector
``m(theta) = (tau, offdiag Sigma*)`` against the sample ``s = (thresholds, polychoric correlations)``
(continuous variables contribute ``-mean``, their variance and covariances, as lavaan).

**Estimation.**  Least squares with the diagonal weight of the asymptotic covariance ``Gamma``
(Muthen, du Toit & Spisic 1997):

    F(theta) = (s - m)' W (s - m) / 2,   W = diag(Gamma)^-1 (DWLS, WLSMV)  or  W = I (ULS, ULSMV),

minimised by Gauss-Newton with step halving (the Jacobian ``Delta = dm/dtheta`` by central
differences).

**Standard errors** (lavaan ``se = "robust.sem"``): with ``A = Delta' W Delta``,
``V = A^-1 Delta' W Gamma W Delta A^-1 / (n - 1)`` (lavaan counts n - 1 for least-squares
estimators; checked: its SEs are ours times sqrt(n / (n - 1)) with n in place of n - 1).

**Test** (lavaan ``test = "scaled.shifted"``; Asparouhov & Muthen 2010):
``T = (n - 1) (s - m)' W (s - m)`` (lavaan's ``fmin`` is ``T / (2 n)``), ``U = W - W Delta A^-1 Delta' W``, ``a = sqrt(df / tr[(U Gamma)^2])``,
``b = df - a tr(U Gamma)``; ``chisq.scaled = a T + b`` on ``df`` degrees of freedom,
``chisq.scaling.factor = 1 / a``, ``shift = b``.  The baseline model has the thresholds (and
continuous means and variances) free and all correlations zero; its test is scaled the same way.

Checked against: lavaan 0.6-14 ``sem(..., ordered = ..., estimator = "WLSMV" / "ULSMV")``
(``tests/fixtures/sem_ord_*.json`` from ``tests/fixtures/r/sem_ordinal.R``) in
``tests/test_sem_ordinal.py``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbeclab.errors import CbecWarning, SpecError
from cbeclab.i18n import _
from cbeclab.sem import dist as stats
from cbeclab.sem.ml import Array
from cbeclab.sem.moments import MomentModel
from cbeclab.sem.partable import ParTable, build_partable
from cbeclab.sem.polychoric import OrdinalStats, ordinal_stats
from cbeclab.sem.rsquare import r_square

if TYPE_CHECKING:
    from cbeclab.sem.model import Model, SEMResult

__all__ = ["ORDINAL_ESTIMATORS", "OrdinalFit", "fit_ordinal", "resolve_ordered"]

ORDINAL_ESTIMATORS = ("WLSMV", "ULSMV")


class _DeltaMoments(MomentModel):
    """A :class:`MomentModel` whose ordered indicators get the residual variances that give their
    latent responses unit variance (delta parameterization); under ``theta`` they stay at their
    fixed value 1 and the scale factors do the standardising."""

    def __init__(self, pt: ParTable, ordered_idx: Sequence[int], parameterization: str = "delta") -> None:
        super().__init__(pt)
        self.ord_idx = np.asarray(ordered_idx, dtype=np.intp)
        self.delta = parameterization == "delta"

    def matrices(self, theta: Array) -> tuple[Array, Array, Array]:
        A, S, M = super().matrices(theta)
        if len(self.ord_idx) and self.delta:
            B = np.linalg.inv(self.I_m - A)
            o = self.ord_idx
            S[o, o] = 0.0
            C0 = B @ S @ B.T
            Msys = B[np.ix_(o, o)] ** 2
            S[o, o] = np.linalg.solve(Msys, 1.0 - np.diag(C0)[o])
        return A, S, M


def resolve_ordered(ordered: Sequence[str] | str | bool | None, ov_names: Sequence[str]) -> list[str]:
    """The model's ordered variables from lavaan-style ``ordered`` (list, ``"a,b"``, or True = all)."""
    if ordered is None or ordered is False:
        return []
    if ordered is True:
        return list(ov_names)
    items = [s.strip() for s in ordered.split(",")] if isinstance(ordered, str) else [str(s) for s in ordered]
    items = [s for s in items if s]
    return [v for v in ov_names if v in set(items)]


@dataclass(frozen=True)
class OrdinalFit:
    """Everything a WLSMV / ULSMV fit computes besides the parameter table (for tests and reports)."""

    stats: OrdinalStats
    m: Array
    W: Array
    Delta: Array
    A_inv: Array
    chisq: float
    df: int
    scaling: float
    shift: float
    baseline_chisq: float
    baseline_df: int
    baseline_scaling: float
    baseline_shift: float
    baseline_chisq_scaled: float
    chisq_scaled: float
    parameterization: str = "delta"


def _numeric_jacobian(f: object, x: Array) -> Array:
    fn = f  # type: ignore[assignment]
    f0 = fn(x)  # type: ignore[operator]
    J = np.zeros((len(f0), len(x)))
    for t in range(len(x)):
        h = 1e-6 * max(1.0, abs(x[t]))
        xp, xm = x.copy(), x.copy()
        xp[t] += h
        xm[t] -= h
        J[:, t] = (fn(xp) - fn(xm)) / (2.0 * h)  # type: ignore[operator]
    return J


def _scaled_shifted(W: Array, D: Array, G: Array, T: float, df: int) -> tuple[float, float, float]:
    """``a T + b``, ``1 / a`` and ``b`` of the mean-and-variance adjusted (scaled-shifted) test."""
    if df <= 0:
        return math.nan, math.nan, math.nan
    w = np.diag(W)
    WG = w[:, None] * G
    if D.shape[1]:
        WD = w[:, None] * D
        UG = WG - WD @ np.linalg.solve(D.T @ WD, WD.T @ G)
    else:
        UG = WG
    tr1 = float(np.trace(UG))
    tr2 = float(np.sum(UG * UG.T))
    a = math.sqrt(df / tr2)
    b = df - a * tr1
    return a * T + b, 1.0 / a, b


def fit_ordinal(
    model: Model,
    data: pd.DataFrame,
    *,
    estimator: str,
    ordered: Sequence[str],
    missing: str = "listwise",
    start: Array | None = None,
    parameterization: str = "delta",
) -> SEMResult:
    """Fit ``model`` with ordered indicators by WLSMV or ULSMV (see the module docstring).

    ``parameterization="theta"`` (lavaan's alternative) fixes the residual variances of the ordered
    items at 1 instead; the latent responses are then standardised by the scale factors
    ``Delta_jj = 1 / sqrt(Sigma_jj)`` (the ``~*~`` rows): ``Sigma* = Delta Sigma Delta`` and the
    implied thresholds ``Delta_jj tau_j``.  Same fit and test as delta, other estimates.
    """
    parameterization = str(parameterization).lower()
    if parameterization not in ("delta", "theta"):
        raise SpecError(
            _("unknown parameterization {p!r}", p=parameterization),
            where="parameterization",
            fix=_("use parameterization='delta' (lavaan's default) or 'theta'"),
        )
    theta_par = parameterization == "theta"
    from cbeclab.sem.model import SEMResult

    est = estimator.upper()
    if est not in ORDINAL_ESTIMATORS:
        raise SpecError(
            _("estimator {e} cannot fit ordered items", e=estimator),
            where="estimator",
            fix=_("use estimator='WLSMV' (lavaan's default for ordered data) or 'ULSMV'"),
        )
    if missing not in ("listwise", "pairwise"):
        raise SpecError(
            _("ordered items cannot be combined with FIML (missing = {m!r})", m=missing),
            where="missing",
            fix=_(
                "use missing='listwise' with --ordered (lavaan's default for categorical data), "
                "or drop --ordered and treat the items as continuous with missing='ml'"
            ),
        )
    pt = build_partable(model.syntax, std_lv=model.std_lv, fixed_x=model.fixed_x)
    ov = list(pt.ov_names)
    absent = [v for v in ov if v not in data.columns]
    if absent:
        raise model._unknown(absent, list(data.columns))
    if pt.ov_x:
        raise SpecError(
            _(
                "observed covariates ({v}) with ordered items need lavaan's conditional.x "
                "probit regressions, which cbeclab does not fit yet",
                v=", ".join(pt.ov_x),
            ),
            where="model syntax",
            fix=_("measure the covariate with a single-indicator latent variable (f =~ x) or drop it"),
        )
    if pt.meanstructure:
        raise SpecError(
            _("intercepts (~ 1) are fixed by the delta parameterization of ordered items"),
            where="model syntax",
            fix=_("remove the ~ 1 lines"),
        )
    ordered = [v for v in ov if v in set(ordered)]
    if not ordered:
        raise SpecError(
            _("none of the model's observed variables is in ordered"),
            where="ordered",
            fix=_("list the ordered items by their column names, e.g. --ordered a1,a2,a3"),
        )
    n_rows = len(data)
    st = ordinal_stats(data, ov, ordered, missing=missing)
    n = st.n
    ord_idx = [ov.index(v) for v in ordered]
    is_ord = np.array(st.ordered)
    num_idx = [j for j in range(len(ov)) if not is_ord[j]]
    # --- parameter table: residual variances of ordered items fixed (computed), renumbered
    tab = pt.table.copy()
    is_resvar_ord = ((tab["op"] == "~~") & (tab["lhs"] == tab["rhs"]) & tab["lhs"].isin(ordered)).to_numpy()
    tab.loc[is_resvar_ord, "free"] = 0
    tab.loc[is_resvar_ord, "ustart"] = 1.0 if theta_par else np.nan
    old = tab["free"].to_numpy(dtype=int)
    uniq = sorted({int(f) for f in old if f > 0})
    remap = {f: i + 1 for i, f in enumerate(uniq)}
    tab["free"] = [remap.get(int(f), 0) for f in old]
    q_s = len(uniq)
    pt2 = ParTable(
        table=tab,
        ov_names=pt.ov_names,
        lv_names=pt.lv_names,
        ov_x=pt.ov_x,
        n_free=q_s,
        definitions=pt.definitions,
        parsed=pt.parsed,
        ov_x_free=pt.ov_x_free,
    )
    mm = _DeltaMoments(pt2, ord_idx, parameterization)
    p = len(ov)
    pairs_i, pairs_j = [], []
    for j in range(p - 1):
        for i in range(j + 1, p):
            pairs_i.append(i)
            pairs_j.append(j)
    pi_, pj_ = np.array(pairs_i, dtype=np.intp), np.array(pairs_j, dtype=np.intp)
    n_th = st.n_th
    n_num = len(num_idx)
    th_is_num = ~is_ord[st.th_var]
    sample = st.wls_obs

    def scales(Sig: Array) -> Array:
        """Scale factors: 1 / sd of the latent responses (theta), 1 under delta and for continuous."""
        d = np.ones(p)
        if theta_par:
            d[ord_idx] = 1.0 / np.sqrt(np.diag(Sig)[ord_idx])
        return d

    def moments(th: Array) -> Array:
        _mu, Sig = mm.implied(th[:q_s])
        tau = th[q_s:].copy()
        tau[th_is_num] = -tau[th_is_num]  # continuous: the intercept enters as -mean
        if theta_par:
            d = scales(Sig)
            tau = tau * d[st.th_var]
            Sig = Sig * np.outer(d, d)
        return np.concatenate([tau, np.diag(Sig)[num_idx], Sig[pi_, pj_]])

    Gam = st.nacov
    w = 1.0 / np.diag(Gam) if est == "WLSMV" else np.ones(len(sample))
    W = np.diag(w)
    th_start = np.where(th_is_num, -st.th, st.th)
    cov0 = st.cov
    if start is not None:
        theta = np.asarray(start, float).copy()
    else:
        theta = np.concatenate([mm.start_values(np.zeros(p), cov0), th_start])
    # --- Gauss-Newton
    ord_arr = np.asarray(ord_idx, dtype=np.intp)
    n_extra = n_th

    def jacobian(th: Array) -> Array:
        """dm/dtheta: analytic (MomentModel.jacobian) when no variable depends on an ordered one, so
        that the computed residual variances touch only the unit diagonal; numeric otherwise."""
        A, _S, _M = mm.matrices(th[:q_s])
        J = np.zeros((len(sample), q_s + n_extra))
        J[np.arange(n_th), q_s + np.arange(n_th)] = np.where(th_is_num, -1.0, 1.0)
        if theta_par:
            return _numeric_jacobian(moments, th)
        if np.any(A[:, ord_arr] != 0):
            J[:, :q_s] = _numeric_jacobian(lambda t: moments(np.concatenate([t, th[q_s:]])), th[:q_s])
            return J
        _dmu, dS = MomentModel.jacobian(mm, th[:q_s])
        J[n_th : n_th + n_num, :q_s] = dS[num_idx, num_idx, :]
        J[n_th + n_num :, :q_s] = dS[pi_, pj_, :]
        return J

    def fval(th: Array) -> float:
        e = sample - moments(th)
        return 0.5 * float(e @ (w * e))

    f = fval(theta)
    converged = False
    n_iter = 0
    for n_iter in range(1, 301):  # noqa: B007
        e = sample - moments(theta)
        if theta_par:  # the implied thresholds depend on the scale factors: one joint step
            J = jacobian(theta)
            WJ = w[:, None] * J
            try:
                step = np.linalg.solve(J.T @ WJ, WJ.T @ e)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(J.T @ WJ, WJ.T @ e, rcond=None)[0]
        else:  # delta: the thresholds (and continuous means) are reproduced exactly, apart from the rest
            J = jacobian(theta)[n_th:, :q_s]
            WJ = w[n_th:, None] * J
            try:
                step_s = np.linalg.solve(J.T @ WJ, WJ.T @ e[n_th:])
            except np.linalg.LinAlgError:
                step_s = np.linalg.lstsq(J.T @ WJ, WJ.T @ e[n_th:], rcond=None)[0]
            step = np.concatenate([step_s, np.where(th_is_num, -1.0, 1.0) * e[:n_th]])
        alpha = 1.0
        ok = False
        for _h in range(40):
            cand = theta + alpha * step
            try:
                fc = fval(cand)
            except np.linalg.LinAlgError:
                fc = math.inf
            if math.isfinite(fc) and fc <= f + 1e-15 * (1 + f):
                ok = True
                break
            alpha /= 2
        if not ok:
            converged = bool(np.max(np.abs(step)) < 1e-7)
            break
        theta, f = cand, fc
        if np.max(np.abs(alpha * step)) < 1e-9 * (1.0 + np.max(np.abs(theta))):
            converged = True
            break
    J = jacobian(theta)
    mvec = moments(theta)
    e = sample - mvec
    WJ = w[:, None] * J
    Amat = J.T @ WJ
    notes: list[str] = []
    try:
        A_inv = np.linalg.inv(Amat)
    except np.linalg.LinAlgError:
        A_inv = np.full_like(Amat, np.nan)
        notes.append(_("the information matrix is singular: the model may not be identified"))
    V = A_inv @ (WJ.T @ Gam @ WJ) @ A_inv / (n - 1)
    se_theta = np.sqrt(np.clip(np.diag(V), 0, None))
    T = float((n - 1) * (e @ (w * e)))
    npar = len(theta)
    df = len(sample) - npar
    Ts, c, b = _scaled_shifted(W, J, Gam, T, df)
    # baseline: thresholds (and continuous means, variances) free, correlations 0
    nb = n_th + n_num
    Jb = np.zeros((len(sample), nb))
    Jb[np.arange(nb), np.arange(nb)] = 1.0
    eb = sample.copy()
    eb[:nb] = 0.0
    Tb = float((n - 1) * (eb @ (w * eb)))
    dfb = len(sample) - nb
    Tbs, cb, bb = _scaled_shifted(W, Jb, Gam, Tb, dfb)
    if st.empty_cells:
        notes.append(
            _(
                "{k} pairs of ordered items have empty cells in their contingency table (e.g. {a} x {b}); "
                "the polychoric correlations use them as they are, as lavaan does",
                k=len(st.empty_cells),
                a=st.empty_cells[0][0],
                b=st.empty_cells[0][1],
            )
        )
    if not converged:
        notes.append(_("the optimiser did not fully converge"))
    fit = OrdinalFit(
        stats=st, m=mvec, W=W, Delta=J, A_inv=A_inv, chisq=T, df=df, scaling=c, shift=b,
        baseline_chisq=Tb, baseline_df=dfb, baseline_scaling=cb, baseline_shift=bb,
        baseline_chisq_scaled=Tbs, chisq_scaled=Ts, parameterization=parameterization,
    )  # fmt: skip
    from cbeclab.sem.fit.categorical import categorical_fit_measures

    _mu, Sigma = mm.implied(theta[:q_s])
    Sigma = Sigma * np.outer(scales(Sigma), scales(Sigma))  # the latent responses' scale (Sigma*)
    fm = categorical_fit_measures(fit, Sigma, npar, estimator=est)
    params, r2 = _param_rows(model, pt2, mm, theta, V, se_theta, st, q_s, notes)
    for msg in notes:
        warnings.warn(msg, CbecWarning, stacklevel=4)
    out_tab = params[["lhs", "op", "rhs", "label", "est", "se"]].copy()
    new_pt = ParTable(
        table=out_tab,
        ov_names=pt.ov_names,
        lv_names=pt.lv_names,
        ov_x=pt.ov_x,
        n_free=npar,
        definitions=pt.definitions,
        parsed=pt.parsed,
        meanstructure=True,
        ov_x_free=pt.ov_x_free,
    )
    res = SEMResult(
        params=params,
        partable=new_pt,
        theta=theta,
        vcov=V,
        S=st.cov,
        Sigma=Sigma,
        nobs=n,
        n_dropped=n_rows - n,
        r2=r2,
        warnings=tuple(notes),
        converged=converged,
        n_iter=n_iter,
        syntax=model.syntax,
        std_lv=model.std_lv,
        estimator=est,
        missing=missing,
        ordinal=fit,
    )
    res._fit.update(fm)
    return res


def _param_rows(
    model: Model,
    pt: ParTable,
    mm: _DeltaMoments,
    theta: Array,
    V: Array,
    se_theta: Array,
    st: OrdinalStats,
    q_s: int,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.Series]:
    """lavaan's ``parameterEstimates(standardized = TRUE)`` rows: =~ / ~, thresholds, ~~, ~*~, ~1, :=."""
    from cbeclab.sem.general import _std_rows

    tab = pt.table
    n_par = mm.n_par_rows
    vals = mm.row_values(theta[:q_s])
    free = mm.row_free
    se = np.where(free > 0, se_theta[np.maximum(free - 1, 0)], 0.0)
    std_lv, std_all = _std_rows(mm, theta[:q_s])
    base = pd.DataFrame(
        {
            "lhs": tab["lhs"].iloc[:n_par].to_numpy(),
            "op": tab["op"].iloc[:n_par].to_numpy(),
            "rhs": tab["rhs"].iloc[:n_par].to_numpy(),
            "label": tab["label"].iloc[:n_par].to_numpy(),
            "est": vals,
            "se": se,
            "free": free > 0,
            "std_lv": std_lv,
            "std_all": std_all,
        }
    )
    ov = list(st.names)
    is_ord = np.array(st.ordered)
    th_est = theta[q_s:]
    th_se = se_theta[q_s:]
    th_rows = []
    mean_rows = []
    for k, name in enumerate(st.th_names):
        v = ov[int(st.th_var[k])]
        if is_ord[int(st.th_var[k])]:
            t = name.split("|", 1)[1]
            th_rows.append((v, "|", t, "", th_est[k], th_se[k], True, th_est[k], th_est[k]))
        else:
            mean_rows.append((v, th_est[k], th_se[k]))
    _A, _S, _M = mm.matrices(theta[:q_s])
    _B, _mu, C = mm.implied_all(theta[:q_s])
    sd = np.sqrt(np.diag(C))
    cols = ["lhs", "op", "rhs", "label", "est", "se", "free", "std_lv", "std_all"]
    thr = pd.DataFrame(th_rows, columns=cols)
    for i, r in enumerate(th_rows):  # std.all divides by the latent response SD (1 under delta)
        j = ov.index(r[0])
        thr.loc[i, "std_all"] = r[4] / sd[j]
        thr.loc[i, "std_lv"] = r[4]
    scale_val = 1.0 / sd if not mm.delta else np.ones(len(sd))  # theta: 1 / sd of y*
    scale = pd.DataFrame(
        [
            (v, "~*~", v, "", scale_val[j], 0.0, False, scale_val[j], 1.0)
            for j, v in enumerate(ov)
            if is_ord[j]
        ],
        columns=cols,
    )
    means = []
    mdict = {v: (m, s) for v, m, s in mean_rows}
    for v in ov:
        if v in mdict:
            m, s = mdict[v]
            j = ov.index(v)
            means.append((v, "~1", "", "", m, s, True, m, m / sd[j]))
        else:
            means.append((v, "~1", "", "", 0.0, 0.0, False, 0.0, 0.0))
    for lv in pt.lv_names:
        means.append((lv, "~1", "", "", 0.0, 0.0, False, 0.0, 0.0))
    means_df = pd.DataFrame(means, columns=cols)
    is_dir = base["op"].isin(["=~", "~"]).to_numpy()
    parts = [base[is_dir], thr, base[~is_dir], scale, means_df]
    P = pd.concat([x for x in parts if len(x)], ignore_index=True)
    defs = list(pt.definitions.items())
    if defs:
        from cbeclab.sem.general import defined_delta_se, defined_values

        labels = {str(lab): k for k, lab in enumerate(tab["label"].iloc[:n_par]) if lab}
        dvals = defined_values(defs, labels)
        dv = dvals(vals)
        dse = defined_delta_se(dvals, mm.row_values, theta, V, n=q_s)
        drows = pd.DataFrame(
            {
                "lhs": [d for d, _e in defs],
                "op": ":=",
                "rhs": [e for _d, e in defs],
                "label": [d for d, _e in defs],
                "est": dv,
                "se": dse,
                "free": True,
                "std_lv": dvals(std_lv),
                "std_all": dvals(std_all),
            }
        )
        P = pd.concat([P, drows], ignore_index=True)
    est = P["est"].to_numpy(dtype=float)
    se_all = P["se"].to_numpy(dtype=float)
    is_free = P["free"].to_numpy(dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(is_free & (se_all > 0), est / se_all, np.nan)
    crit = stats.norm.ppf(0.5 + model.ci_level / 2.0)
    params = pd.DataFrame(
        {
            "lhs": P["lhs"],
            "op": P["op"],
            "rhs": P["rhs"],
            "label": P["label"].fillna(""),
            "est": est,
            "se": se_all,
            "z": z,
            "pvalue": 2.0 * stats.norm.sf(np.abs(z)),
            "ci_lower": np.where(is_free, est - crit * se_all, est),
            "ci_upper": np.where(is_free, est + crit * se_all, est),
            "std_lv": P["std_lv"].to_numpy(dtype=float),
            "std_all": P["std_all"].to_numpy(dtype=float),
        }
    )
    resvar = (params["op"] == "~~") & (params["lhs"] == params["rhs"])
    for row in np.flatnonzero(resvar.to_numpy()).tolist():
        if params["est"].iloc[row] < 0:
            notes.append(
                _(
                    "Heywood case: the variance of {v} is negative ({x:.4g}); the solution is improper",
                    v=params["lhs"].iloc[row],
                    x=float(params["est"].iloc[row]),
                )
            )
    has_path = np.zeros(mm.m, dtype=bool)
    has_path[mm.row_r[mm.row_kind == 0]] = True
    endo = np.flatnonzero(has_path)
    r2 = r_square(np.diag(_S)[endo], np.diag(C)[endo], [mm.var_names[int(i)] for i in endo], notes)
    return params, r2
