"""The general fitting path: mean structures, FIML (``missing = "ml" / "ml.x"``), MLR and MLM.

``Model.fit`` sends a model here when it needs means, missing-data ML or a robust estimator; plain
ML with listwise deletion keeps the fast covariance core of :mod:`cbeclab.sem.ml`.

Standard errors and tests follow lavaan 0.6's defaults for each option:

* ``ML``, complete data: expected information; ``missing = "ml"``: observed information (the
  Hessian), as lavaan's ``information = "observed"`` default under FIML.
* ``MLR``: Huber-White sandwich ``A^-1 B A^-1 / n`` with ``A`` the observed information and ``B``
  the mean outer product of the casewise scores; also under FIML; the Yuan-Bentler test in Mplus's form (lavaan ``test = "yuan.bentler.mplus"``),
  see :func:`_yb_scaled` (Yuan & Bentler 2000; Asparouhov & Muthen 2010).
* ``MLM``: Satorra-Bentler: expected information ``A = Delta' W Delta`` (W the normal-theory weight
  of the moments), robust SEs ``A^-1 Delta' W Gamma W Delta A^-1 / n`` (lavaan ``se = "robust.sem"``)
  and ``c = tr(U Gamma) / df``, ``U = W - W Delta A^-1 Delta' W``, with ``Gamma`` the fourth-moment
  (ADF) covariance of the sample moments (Satorra & Bentler 1994).

Checked against: lavaan 0.6-14 (fixtures ``tests/fixtures/sem_{hs,lk}_*.json`` made by
``tests/fixtures/r/sem_fiml.R``) in ``tests/test_sem_fiml.py``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cbeclab.errors import CbecWarning, DataError, SpecError
from cbeclab.i18n import _
from cbeclab.sem import dist as stats
from cbeclab.sem.estimate import (
    casewise_scores,
    chain_gradient,
    expected_information,
    fit_ml,
    numeric_jacobian,
    saturated_jacobian,
)
from cbeclab.sem.fiml import Patterns, em_h1
from cbeclab.sem.ml import Array
from cbeclab.sem.moments import MomentModel
from cbeclab.sem.partable import ParTable, build_partable
from cbeclab.sem.rsquare import r_square

if TYPE_CHECKING:
    from cbeclab.sem.model import Model, SEMResult

ESTIMATORS = ("ML", "MLR", "MLM")
MISSING = ("listwise", "ml", "ml.x")


@dataclass(frozen=True)
class Robust:
    """Scaled test of a robust estimator (``scaling`` = lavaan's ``chisq.scaling.factor``)."""

    test: str
    scaling: float
    baseline_scaling: float
    factor_h1: float | None = None
    factor_h0: float | None = None


def check_options(estimator: str, missing: str) -> tuple[str, str]:
    """Normalise lavaan's spellings (``"MLR"``, ``"ml"``, ``"fiml"``, ``"direct"``, ``"listwise"``)."""
    est = str(estimator).upper()
    if est not in ESTIMATORS:
        raise SpecError(
            _("unknown estimator {e!r}", e=estimator),
            where="estimator",
            fix=_("use one of {v}", v=", ".join(ESTIMATORS)),
        )
    mis = str(missing).lower()
    mis = {"fiml": "ml", "direct": "ml", "fiml.x": "ml.x", "default": "listwise"}.get(mis, mis)
    if mis not in MISSING:
        raise SpecError(
            _("unknown missing-data method {m!r}", m=missing),
            where="missing",
            fix=_("use one of {v}", v=", ".join(MISSING)),
        )
    if est == "MLM" and mis != "listwise":
        raise SpecError(
            _("estimator MLM needs complete data (lavaan refuses MLM with missing = 'ml')"),
            where="estimator",
            fix=_("use estimator='MLR' with missing='ml', or missing='listwise'"),
        )
    return est, mis


def _vech_keep(p: int, exo: list[int], means: bool) -> Array:
    """Saturated coordinates (mu, vech Sigma) without the fixed covariate block (and means)."""
    iu, ju = np.tril_indices(p)
    ex = np.zeros(p, dtype=bool)
    ex[exo] = True
    keep_mu = ~ex if means else np.zeros(p, dtype=bool)
    keep_s = ~(ex[iu] & ex[ju])
    return np.flatnonzero(np.concatenate([keep_mu, keep_s]))


def _gamma(X: Array) -> Array:
    """ADF covariance of (mean, vech S) of complete data (divisor n), lavaan ``NACOV``."""
    n, p = X.shape
    D = X - X.mean(axis=0)
    iu, ju = np.tril_indices(p)
    Z = np.concatenate([D, D[:, iu] * D[:, ju]], axis=1)
    Z[:, p:] -= Z[:, p:].mean(axis=0)
    return Z.T @ Z / n


def _std_rows(mm: MomentModel, theta: Array) -> tuple[Array, Array]:
    """``std_lv, std_all`` per row (lavaan ``standardizedSolution``; intercepts divided by the SD)."""
    A, S, M = mm.matrices(theta)
    B, _, C = mm.implied_all(theta)
    sd_all = np.sqrt(np.clip(np.diag(C), 0, None))
    sd_lv = np.where(mm.is_lv, sd_all, 1.0)
    rs_all = np.sqrt(np.abs(np.diag(S)))
    rs_lv = np.where(mm.is_lv, rs_all, 1.0)
    r, c, kind = mm.row_r, mm.row_c, mm.row_kind
    val = mm.row_values(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        a_all, a_lv = val * sd_all[c] / sd_all[r], val * sd_lv[c] / sd_lv[r]
        v_all = np.where(r == c, val / sd_all[r] ** 2, val / (rs_all[r] * rs_all[c]))
        v_lv = np.where(r == c, val / sd_lv[r] ** 2, val / (rs_lv[r] * rs_lv[c]))
        m_all, m_lv = val / sd_all[r], val / sd_lv[r]
    std_all = np.where(kind == 0, a_all, np.where(kind == 1, v_all, m_all))
    std_lv = np.where(kind == 0, a_lv, np.where(kind == 1, v_lv, m_lv))
    return std_lv, std_all


def _matrix(data: pd.DataFrame, ov: list[str]) -> Array:
    X = data[ov]
    for c in ov:
        if not pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c]):
            conv = pd.to_numeric(X[c], errors="coerce")
            bad = X[c][conv.isna() & X[c].notna()]
            if len(bad):
                raise DataError(
                    _("column {c!r} is not numeric (e.g. {v!r})", c=c, v=bad.iloc[0]),
                    where=_("column {c}, row {r}", c=c, r=bad.index[0]),
                    fix=_("recode the answers as numbers or drop the column from the model"),
                )
    return X.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def prepare_rows(
    model: Model, pt: ParTable, data: pd.DataFrame, missing: str
) -> tuple[Array, int, list[str]]:
    """The numeric rows a fit uses: complete rows (listwise), or rows with at least one observed
    value (FIML; under ``missing = "ml"`` rows missing a fixed covariate are dropped, as lavaan).

    Returns the matrix, the number of dropped rows and the notes to report."""
    ov = list(pt.ov_names)
    absent = [v for v in ov if v not in data.columns]
    if absent:
        raise model._unknown(absent, list(data.columns))
    X = _matrix(data, ov)
    exo = [ov.index(v) for v in pt.ov_x]
    fin = np.isfinite(X)
    if missing == "listwise":
        keep = fin.all(axis=1)
    else:
        keep = fin.any(axis=1)
        if missing == "ml" and exo:
            keep &= fin[:, exo].all(axis=1)
    n_dropped = int((~keep).sum())
    X = X[keep]
    notes: list[str] = []
    if missing == "ml" and exo and n_dropped:
        notes.append(
            _(
                "{n} rows were dropped because an exogenous covariate is missing (fixed.x); "
                "use missing='ml.x' to keep them",
                n=n_dropped,
            )
        )
    if X.shape[0] < 2:
        raise DataError(
            _("only {n} usable rows remain", n=X.shape[0]),
            where="data",
            fix=_("check the columns used by the model for missing values"),
        )
    return X, n_dropped, notes


def fit_general(
    model: Model,
    data: pd.DataFrame,
    *,
    estimator: str,
    missing: str,
    meanstructure: bool,
    start: Array | None = None,
) -> SEMResult:
    """Fit ``model`` to raw ``data`` (see the module docstring for the methods)."""
    from cbeclab.sem.model import SEMResult, _check_pd, _json_safe  # noqa: F401  (circular)

    pt = build_partable(model.syntax, std_lv=model.std_lv, fixed_x=model.fixed_x, meanstructure=True)
    X, n_dropped, notes = prepare_rows(model, pt, data, missing)
    ov = list(pt.ov_names)
    exo = [ov.index(v) for v in pt.ov_x]
    pats = Patterns(X, tuple(ov))
    n = pats.n
    mean1, cov1, em_iter = em_h1(pats)
    _check_pd(cov1, ov)
    mm = MomentModel(pt)
    mm.set_exo(mean1, cov1)
    th0 = mm.start_values(mean1, cov1) if start is None else np.asarray(start, float)
    theta, converged, n_iter = fit_ml(mm, pats, th0)
    mu, Sigma = mm.implied(theta)
    dmu, dS = mm.jacobian(theta)

    def grad(th: Array) -> Array:
        m_, s_ = mm.implied(th)
        dm_, ds_ = mm.jacobian(th)
        return chain_gradient(*pats.gradient(m_, s_), dm_, ds_)

    complete = pats.complete
    exp_info = expected_information(pats, Sigma, dmu, dS) / n
    obs_info = -numeric_jacobian(grad, theta) / n if (not complete or estimator == "MLR") else exp_info
    A0 = exp_info if (complete and estimator != "MLR") else obs_info
    robust: Robust | None = None
    scores = None
    try:
        A0_inv = np.linalg.inv(A0)
    except np.linalg.LinAlgError:
        A0_inv = np.full_like(A0, np.nan)
        notes.append(_("the information matrix is singular: the model may not be identified"))
    q = pt.n_free
    if estimator == "ML":
        V = A0_inv / n
    elif estimator == "MLR":
        scores = casewise_scores(pats, mu, Sigma, dmu, dS)
        B0 = scores.T @ scores / n
        V = A0_inv @ B0 @ A0_inv / n
    else:  # MLM
        W = _h1_expected(Sigma, pats.p)
        keep_m = _vech_keep(pats.p, exo, True)
        Dsat = _delta_sat(dmu, dS)[keep_m]
        Wk = W[np.ix_(keep_m, keep_m)]
        G = _gamma(X)[np.ix_(keep_m, keep_m)]
        A = Dsat.T @ Wk @ Dsat
        Ai = np.linalg.inv(A)
        V = Ai @ (Dsat.T @ Wk @ G @ Wk @ Dsat) @ Ai / n
    se_theta = np.sqrt(np.clip(np.diag(V), 0, None))

    # --- H0 / H1 / baseline likelihoods
    ll0 = pats.loglik(mu, Sigma)
    ll1 = pats.loglik(mean1, cov1)
    # fixed.x = FALSE: lavaan's baseline frees the covariances among the exogenous covariates too
    x_free = [ov.index(v) for v in pt.ov_x_free]
    mu_b, Sig_b = _baseline_moments(pats, mean1, cov1, exo + x_free)
    llb = pats.loglik(mu_b, Sig_b)
    ll1_reported = None
    if exo:  # lavaan reports the likelihood conditional on the fixed covariates (fixed.x)
        ll_x = covariate_loglik(cov1, exo, n)
        if missing == "ml.x":
            xs = pd.DataFrame(pats.X[:, exo]).cov().to_numpy() * (n - 1) / n
            ll1_reported = ll1 - covariate_loglik(xs, list(range(len(exo))), n)
        ll0, ll1, llb = ll0 - ll_x, ll1 - ll_x, llb - ll_x
    npar_hidden = 0 if meanstructure else pats.p - len(exo)
    df = pt.n_moments - q
    if estimator == "MLR":
        assert scores is not None
        hidden = np.zeros(q, dtype=bool)
        if not meanstructure:  # the internal saturated intercepts are not part of lavaan's model
            ms_rows = (pt.table["op"].iloc[: mm.n_par_rows] == "~1").to_numpy() & (mm.row_free > 0)
            hidden[mm.row_free[ms_rows] - 1] = True
        vis = ~hidden
        E_vis, sc_vis = obs_info[np.ix_(vis, vis)], scores[:, vis]
        if not meanstructure and complete and pats.p > 0:
            # lavaan's model has no mean structure: the means stay at the sample means and the
            # scores / observed information are those of the covariance structure alone (with
            # regressions on covariates, the hidden intercepts are not orthogonal to the slopes)
            dmu0 = np.zeros_like(dmu)

            def grad_cov(th: Array) -> Array:
                _m, s_ = mm.implied(th)
                return chain_gradient(*pats.gradient(mu, s_), dmu0, mm.jacobian(th)[1])

            E_vis = (-numeric_jacobian(grad_cov, theta) / n)[np.ix_(vis, vis)]
            sc_vis = casewise_scores(pats, mu, Sigma, dmu0, dS)[:, vis]
        robust = _yb_scaled(
            pats, mean1, cov1, exo, meanstructure, df, np.linalg.inv(E_vis), sc_vis, x_free
        )  # fmt: skip
    if estimator == "MLM":
        robust = _scaled(pats, X, Sigma, dmu, dS, exo, df, mean1, cov1, x_free)

    from cbeclab.sem.fit.general import general_fit_measures

    corrected = None
    if not complete:
        corrected = _corrected(
            pats, mean1, cov1, mu, Sigma, dmu, dS, mu_b, Sig_b, exo, df, estimator, x_free
        )  # fmt: skip
    fm = general_fit_measures(
        n=n,
        p=pats.p,
        exo=tuple(exo),
        exo_free=tuple(x_free),
        npar=q - npar_hidden,
        df=df,
        ll0=ll0,
        ll1=ll1,
        llb=llb,
        mean_obs=mean1,
        cov_obs=cov1,
        mu=mu,
        Sigma=Sigma,
        meanstructure=meanstructure,
        robust=robust,
        fiml=not complete,
        corrected=corrected,
        ll1_reported=ll1_reported,
        patterns=pats,
    )
    return _assemble(
        model, pt, mm, theta, V, se_theta, mean1, cov1, mu, Sigma, n, n_dropped, pats, notes,
        converged, n_iter, estimator, missing, meanstructure, fm,
    )  # fmt: skip


def covariate_loglik(cov1: Array, exo: list[int], n: int) -> float:
    """The covariates' saturated log-likelihood lavaan subtracts under ``fixed.x``:
    ``-n/2 [q log(2 pi) + log|S_xx| + q]`` with S_xx the (EM) covariance of the q covariates and n
    all rows used -- also under ``missing = "ml.x"``, where some covariate cells are missing
    (lavaan ``lav_mvnorm_missing_loglik_samplestats``; checked against its ``logl``)."""
    q = len(exo)
    _s, ld = np.linalg.slogdet(cov1[np.ix_(exo, exo)])
    return -0.5 * n * (q * math.log(2.0 * math.pi) + ld + q)


def _baseline_delta(p: int, exo: list[int], x_free: Sequence[int] = ()) -> Array:
    """Jacobian of the independence model (means and variances of the non-covariates) in
    saturated coordinates (mu, vech Sigma)."""
    dmu_b, dS_b = _baseline_jacobian(p, exo, x_free)
    dmu_b = np.concatenate([dmu_b, _mean_cols(p, exo)], axis=1)
    dS_b = np.concatenate([dS_b, np.zeros((p, p, p - len(exo)))], axis=2)
    return _delta_sat(dmu_b, dS_b)


def _corrected(
    pats: Patterns,
    mean1: Array,
    cov1: Array,
    mu: Array,
    Sigma: Array,
    dmu: Array,
    dS: Array,
    mu_b: Array,
    Sig_b: Array,
    exo: list[int],
    df: int,
    estimator: str,
    x_free: Sequence[int] = (),
) -> Any:
    """FIML-corrected statistics for lavaan's ``.robust`` indices (None when they cannot be had)."""
    from cbeclab.sem.fit.fiml_corrected import GroupMoments, fiml_corrected

    p = pats.p
    delta_b = _baseline_delta(p, exo, x_free)
    g = GroupMoments(pats, mean1, cov1, mu, Sigma, _delta_sat(dmu, dS), mu_b, Sig_b, delta_b)
    dfb = p * (p + 1) // 2 + p - len(exo) * (len(exo) + 1) // 2 - len(exo) - delta_b.shape[1]
    try:
        keep = _vech_keep(p, exo, True) if exo else None
        return fiml_corrected([g], df, dfb, scaled=estimator == "MLR", keep=keep)
    except np.linalg.LinAlgError:
        return None


def _h1_expected(Sigma: Array, p: int) -> Array:
    """Normal-theory information of one row for (mu, vech Sigma) at Sigma (block diagonal)."""
    dmu, dS = saturated_jacobian(p)
    Si = np.linalg.inv(Sigma)
    X = np.einsum("ij,jkt->ikt", Si, dS)
    return dmu.T @ Si @ dmu + 0.5 * np.einsum("ijs,jit->st", X, X)


def _delta_sat(dmu: Array, dS: Array) -> Array:
    """The model Jacobian in saturated coordinates (mu, vech Sigma)."""
    p = dmu.shape[0]
    iu, ju = np.tril_indices(p)
    return np.concatenate([dmu, dS[iu, ju, :]], axis=0)


def _baseline_moments(pats: Patterns, mean1: Array, cov1: Array, exo: list[int]) -> tuple[Array, Array]:
    """Independence model under FIML: each variable its own observed-case mean and variance
    (the likelihood factorises); the covariate block stays at its H1 values."""
    X = pats.X
    mu = np.nanmean(X, axis=0)
    Sig = np.diag(np.nanvar(X, axis=0))
    if exo:
        ix = np.ix_(exo, exo)
        Sig[ix] = cov1[ix]
        mu[exo] = mean1[exo]
    return mu, Sig


def _scaled(
    pats: Patterns,
    X: Array,
    Sigma: Array,
    dmu: Array,
    dS: Array,
    exo: list[int],
    df: int,
    mean1: Array,
    cov1: Array,
    x_free: Sequence[int] = (),
) -> Robust:
    """Satorra-Bentler scaling factors of the model and the baseline model."""
    p = pats.p
    keep = _vech_keep(p, exo, True)
    mu_b, Sig_b = _baseline_moments(pats, mean1, cov1, exo + list(x_free))
    dmu_b, dS_b = _baseline_jacobian(p, exo, x_free)
    dmu_b = np.concatenate([dmu_b, _mean_cols(p, exo)], axis=1)
    dS_b = np.concatenate([dS_b, np.zeros((p, p, p - len(exo)))], axis=2)
    dfb = len(keep) - dmu_b.shape[1]
    G = _gamma(X)
    c = _sb_factor(Sigma, dmu, dS, G, keep, df)
    return Robust("satorra.bentler", c, _sb_factor(Sig_b, dmu_b, dS_b, G, keep, dfb))


def _observed_at(pats: Patterns, mu: Array, Sigma: Array, dmu: Array, dS: Array) -> Array:
    """Observed information (not divided by n) of the linear parametrisation ``(mu, Sigma) + J t``
    at ``t = 0``: the Hessian of -l, by central differences of the analytic gradient."""

    def grad(t: Array) -> Array:
        m_ = mu + dmu @ t
        s_ = Sigma + np.einsum("ijt,t->ij", dS, t)
        return chain_gradient(*pats.gradient(m_, s_), dmu, dS)

    return -numeric_jacobian(grad, np.zeros(dmu.shape[1]))


def _yb_scaled(
    pats: Patterns,
    mean1: Array,
    cov1: Array,
    exo: list[int],
    meanstructure: bool,
    df: int,
    E_inv: Array,
    scores0: Array,
    x_free: Sequence[int] = (),
) -> Robust:
    """Yuan-Bentler scaling factors (Mplus form) of the model and of the baseline model.

    ``c = [tr(A1^-1 B1) - tr(E^-1 B0)] / df``: A1, B1 the observed and first-order information of
    the saturated model at the unrestricted (EM) moments (lavaan sets ``h1.information =
    "unstructured"`` for this test), E the observed information of the model and B0 the mean
    outer product of its casewise scores at the estimates.
    """
    p, n = pats.p, pats.n
    keep = _vech_keep(p, exo, meanstructure)
    dmu1, dS1 = saturated_jacobian(p, keep)
    A1 = _observed_at(pats, mean1, cov1, dmu1, dS1) / n
    s1 = casewise_scores(pats, mean1, cov1, dmu1, dS1)
    tr1 = float(np.trace(np.linalg.solve(A1, s1.T @ s1 / n)))
    tr0 = float(np.trace(E_inv @ (scores0.T @ scores0 / n)))
    # baseline: variances (and means with a mean structure) of the non-covariates
    mu_b, Sig_b = _baseline_moments(pats, mean1, cov1, exo + list(x_free))
    dmu_b, dS_b = _baseline_jacobian(p, exo, x_free)
    if meanstructure:
        dmu_b = np.concatenate([dmu_b, _mean_cols(p, exo)], axis=1)
        dS_b = np.concatenate([dS_b, np.zeros((p, p, p - len(exo)))], axis=2)
    Eb = _observed_at(pats, mu_b, Sig_b, dmu_b, dS_b) / n
    sb = casewise_scores(pats, mu_b, Sig_b, dmu_b, dS_b)
    trb = float(np.trace(np.linalg.solve(Eb, sb.T @ sb / n)))
    dfb = len(keep) - dmu_b.shape[1]
    c = (tr1 - tr0) / df if df > 0 else math.nan
    cb = (tr1 - trb) / dfb if dfb > 0 else math.nan
    return Robust("yuan.bentler.mplus", c, cb, tr1 / len(keep), tr0 / scores0.shape[1])


def _mean_cols(p: int, exo: list[int]) -> Array:
    cols = [i for i in range(p) if i not in exo]
    out = np.zeros((p, len(cols)))
    out[cols, np.arange(len(cols))] = 1.0
    return out


def _baseline_jacobian(p: int, exo: list[int], x_free: Sequence[int] = ()) -> tuple[Array, Array]:
    """Jacobian of the independence model's variances (means excluded), covariate block fixed;
    with ``fixed.x = FALSE`` the covariances among the covariates ``x_free`` are free as well
    (lavaan's baseline; checked against its robust ``baseline.chisq.scaling.factor``)."""
    cols = [i for i in range(p) if i not in exo]
    pairs = [(a, b) for k, a in enumerate(x_free) for b in x_free[k + 1 :]]
    dS = np.zeros((p, p, len(cols) + len(pairs)))
    for t, i in enumerate(cols):
        dS[i, i, t] = 1.0
    for t, (a, b) in enumerate(pairs, start=len(cols)):
        dS[a, b, t] = dS[b, a, t] = 1.0
    return np.zeros((p, dS.shape[2])), dS


def _sb_factor(Sigma: Array, dmu: Array, dS: Array, Gamma: Array, keep: Array, df: int) -> float:
    """tr(U Gamma) / df, U = W - W Delta (Delta' W Delta)^-1 Delta' W."""
    p = Sigma.shape[0]
    W = _h1_expected(Sigma, p)[np.ix_(keep, keep)]
    D = _delta_sat(dmu, dS)[keep]
    G = Gamma[np.ix_(keep, keep)]
    WD = W @ D
    U = W - WD @ np.linalg.solve(D.T @ WD, WD.T)
    return float(np.trace(U @ G)) / df if df > 0 else math.nan


def defined_values(defs: list[tuple[str, str]], labels: dict[str, int]) -> Callable[[Array], Array]:
    """The values of the ``:=`` parameters as a function of the parameter-table row values.

    ``labels`` maps a label to its row; a definition may use the definitions before it, as in lavaan.
    Used by the ML/FIML/robust assembly and the ordinal one.
    """
    from cbeclab.sem.ml import eval_expression
    from cbeclab.sem.syntax import compile_expression

    trees = [compile_expression(e, 0, 0)[0] for _n, e in defs]

    def dvals(rv: Array) -> Array:
        env = {lab: float(rv[k]) for lab, k in labels.items()}
        out = np.empty(len(defs))
        for i, ((name, _e), tree) in enumerate(zip(defs, trees, strict=True)):
            out[i] = eval_expression(tree, env)
            env[name] = out[i]
        return out

    return dvals


def defined_delta_se(
    dvals: Callable[[Array], Array],
    row_values: Callable[[Array], Array],
    theta: Array,
    V: Array,
    n: int | None = None,
) -> Array:
    """Delta-method SEs of the ``:=`` parameters: ``sqrt(diag(J V J'))``.

    ``J`` is the central-difference Jacobian (step 1e-6 relative) over the first ``n`` entries of
    ``theta`` (all by default; the ordinal fit passes the structural ones), zero for the others. As
    lavaan's delta method; checked against lavaan's ``:=`` standard errors in tests/test_sem_*.
    """
    n = len(theta) if n is None else n
    base = np.asarray(theta[:n], dtype=float)
    Jd = np.zeros((len(dvals(row_values(base))), len(theta)))
    for t in range(n):
        h = 1e-6 * max(1.0, abs(float(base[t])))
        tp, tm = base.copy(), base.copy()
        tp[t] += h
        tm[t] -= h
        Jd[:, t] = (dvals(row_values(tp)) - dvals(row_values(tm))) / (2 * h)
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Jd, V, Jd), 0, None))


def _assemble(
    model: Model,
    pt: ParTable,
    mm: MomentModel,
    theta: Array,
    V: Array,
    se_theta: Array,
    mean1: Array,
    cov1: Array,
    mu: Array,
    Sigma: Array,
    n: int,
    n_dropped: int,
    pats: Patterns,
    notes: list[str],
    converged: bool,
    n_iter: int,
    estimator: str,
    missing: str,
    meanstructure: bool,
    fm: dict[str, float],
) -> SEMResult:
    from cbeclab.sem.model import SEMResult

    tab = pt.table.copy()
    n_par = mm.n_par_rows
    vals = mm.row_values(theta)
    free = mm.row_free
    est = np.empty(len(tab))
    se = np.empty(len(tab))
    est[:n_par] = vals
    se[:n_par] = np.where(free > 0, se_theta[np.maximum(free - 1, 0)], 0.0)
    std_lv, std_all = _std_rows(mm, theta)
    sl, sa = np.empty(len(tab)), np.empty(len(tab))
    sl[:n_par], sa[:n_par] = std_lv, std_all
    labels = {str(lab): k for k, lab in enumerate(tab["label"].iloc[:n_par]) if lab}
    defs = list(pt.definitions.items())
    if defs:
        dvals = defined_values(defs, labels)
        est[n_par:] = dvals(vals)
        se[n_par:] = defined_delta_se(dvals, mm.row_values, theta, V)
        sl[n_par:] = dvals(std_lv)
        sa[n_par:] = dvals(std_all)
    is_free = np.concatenate([free > 0, np.ones(len(tab) - n_par, dtype=bool)])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(is_free & (se > 0), est / se, np.nan)
    pval = 2.0 * stats.norm.sf(np.abs(z))
    crit = stats.norm.ppf(0.5 + model.ci_level / 2.0)
    tab["est"], tab["se"] = est, se
    params = pd.DataFrame(
        {
            "lhs": tab["lhs"],
            "op": tab["op"],
            "rhs": tab["rhs"],
            "label": tab["label"],
            "est": est,
            "se": se,
            "z": z,
            "pvalue": pval,
            "ci_lower": np.where(is_free, est - crit * se, est),
            "ci_upper": np.where(is_free, est + crit * se, est),
            "std_lv": sl,
            "std_all": sa,
        }
    )
    shown_pt = pt
    if not meanstructure:  # the saturated intercepts were fitted internally; lavaan does not show them
        hide = (tab["op"] == "~1").to_numpy()
        params = params[~hide].reset_index(drop=True)
        tab = tab[~hide].reset_index(drop=True)
        shown_pt = build_partable(model.syntax, std_lv=model.std_lv, fixed_x=model.fixed_x)
    for i in np.flatnonzero(((tab["op"] == "~~") & (tab["lhs"] == tab["rhs"])).to_numpy()):
        if tab["est"].iloc[i] < 0:
            notes.append(
                _(
                    "Heywood case: the variance of {v} is negative ({x:.4g}); the solution is improper",
                    v=tab["lhs"].iloc[i],
                    x=float(tab["est"].iloc[i]),
                )
            )
    if not converged:
        notes.append(_("the optimiser did not fully converge"))
    A, Sm, _M = mm.matrices(theta)
    _B, _mu, C = mm.implied_all(theta)
    has_path = np.zeros(mm.m, dtype=bool)
    has_path[mm.row_r[mm.row_kind == 0]] = True
    endo = np.flatnonzero(has_path)
    r2 = r_square(np.diag(Sm)[endo], np.diag(C)[endo], [mm.var_names[int(i)] for i in endo], notes)
    for msg in notes:
        warnings.warn(msg, CbecWarning, stacklevel=4)
    new_pt = ParTable(
        table=tab,
        ov_names=pt.ov_names,
        lv_names=pt.lv_names,
        ov_x=pt.ov_x,
        ov_x_free=pt.ov_x_free,
        n_free=shown_pt.n_free,
        definitions=pt.definitions,
        parsed=pt.parsed,
        meanstructure=meanstructure,
    )
    res = SEMResult(
        params=params,
        partable=new_pt,
        theta=theta,
        vcov=V,
        S=cov1,
        Sigma=Sigma,
        nobs=n,
        n_dropped=n_dropped,
        r2=r2,
        warnings=tuple(notes),
        converged=converged,
        n_iter=n_iter,
        syntax=model.syntax,
        std_lv=model.std_lv,
        estimator=estimator,
        missing=missing,
        patterns=pats if missing != "listwise" else None,
        mean=mean1,
        mu=mu,
    )
    res._fit.update(fm)
    return res
