"""Multi-group models (lavaan ``group =``, ``group.equal =``, ``c(...)`` modifiers) and invariance.

The parameter table is lavaan's with a ``group`` column: every row of the one-group table is
repeated per group, with its own free position unless

* the same label is used (within or across groups: equal parameters, as in lavaan), or
* its kind is listed in ``group_equal``: ``loadings`` (=~), ``intercepts`` (observed ~1),
  ``means`` (latent ~1), ``residuals`` (observed variances), ``residual.covariances``,
  ``lv.variances``, ``lv.covariances``, ``regressions`` (~); then groups 2..G share group 1's
  position (lavaan writes ``==`` rows instead; estimates, SEs and df are the same).

As in lavaan, the mean structure is on; latent means are 0 in every group, and freed in groups
2..G when ``intercepts`` are equal (and ``means`` are not).  The log-likelihood is the sum over
groups; multi-group RMSEA is multiplied by sqrt(G) and SRMR is the n-weighted mean of the groups'
(lavaan 0.6 ``lav_fit_rmsea``, ``lav_fit_srmr``).

Checked against: lavaan 0.6-14 ``cfa(..., group =, group.equal =)`` (fixture
``tests/fixtures/sem_multigroup.json`` made by ``tests/fixtures/r/sem_multigroup.R``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.linalg import block_diag

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _
from cbeclab.sem import dist as stats
from cbeclab.sem.estimate import (
    casewise_scores,
    chain_gradient,
    expected_information,
    fit_ml,
    numeric_jacobian,
)
from cbeclab.sem.fiml import Patterns, em_h1
from cbeclab.sem.fit import fit_measures
from cbeclab.sem.fit.fiml_corrected import GroupMoments, fiml_corrected
from cbeclab.sem.fit.gfi import gfi_family, gfi_value
from cbeclab.sem.fit.robust import robust_family, robust_measures
from cbeclab.sem.fit.srmr import srmr
from cbeclab.sem.fit.state import FitState
from cbeclab.sem.ml import Array
from cbeclab.sem.moments import MomentModel
from cbeclab.sem.partable import ParTable, build_partable
from cbeclab.sem.syntax import parse_model, select_group

if TYPE_CHECKING:
    from cbeclab.sem.model import Model

__all__ = [
    "GROUP_EQUAL",
    "build_group_partable",
    "fit_multigroup",
    "group_bootstrap",
    "MultiGroupResult",
    "invariance",
]

GROUP_EQUAL = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "regressions",
)


def _kind(op: str, lhs: str, rhs: str, lv: set[str]) -> str:
    if op == "=~":
        return "loadings"
    if op == "~":
        return "regressions"
    if op == "~1":
        return "means" if lhs in lv else "intercepts"
    if op == "~~":
        if lhs in lv:
            return "lv.variances" if lhs == rhs else "lv.covariances"
        return "residuals" if lhs == rhs else "residual.covariances"
    return ""


def build_group_partable(
    syntax: str,
    groups: tuple[str, ...],
    *,
    group_equal: tuple[str, ...] = (),
    std_lv: bool = False,
    fixed_x: bool = True,
) -> tuple[pd.DataFrame, list[ParTable], int]:
    """The multi-group table (with ``group``), one single-group view per group, and the number of
    free parameters.  Each view's ``free`` column points into the shared ``theta``."""
    bad = [e for e in group_equal if e not in GROUP_EQUAL]
    if bad:
        raise SpecError(
            _("unknown group_equal entry {e!r}", e=bad[0]),
            where="group_equal",
            fix=_("use some of {v}", v=", ".join(GROUP_EQUAL)),
        )
    parsed = parse_model(syntax)
    G = len(groups)
    tabs = [
        build_partable(
            select_group(parsed, g, G, keep_definitions=False),
            std_lv=std_lv,
            fixed_x=fixed_x,
            meanstructure=True,
        )
        for g in range(G)
    ]
    lv = set(tabs[0].lv_names)
    eq = set(group_equal)
    by_label: dict[str, int] = {}
    first: dict[tuple[str, str, str], int] = {}
    n_free = 0
    views: list[ParTable] = []
    frames = []
    for g, pt in enumerate(tabs):
        tab = pt.table.copy()
        free_new = np.zeros(len(tab), dtype=int)
        local: dict[int, int] = {}
        for k, (lhs, op, rhs, fr, lab) in enumerate(
            zip(tab["lhs"], tab["op"], tab["rhs"], tab["free"], tab["label"], strict=True)
        ):
            kind = _kind(op, lhs, rhs, lv)
            if op == "~1" and lhs in lv and g > 0 and "intercepts" in eq and "means" not in eq and fr == 0:
                fr = -1  # latent means free in groups 2..G when intercepts are equal
                tab.loc[k, "ustart"] = np.nan
            if fr == 0 or op == ":=":
                continue
            key = (lhs, op, rhs)
            if lab and lab in by_label:
                free_new[k] = by_label[lab]
            elif g > 0 and kind in eq and key in first:
                free_new[k] = first[key]
            elif fr > 0 and fr in local:
                free_new[k] = local[fr]
            else:
                n_free += 1
                free_new[k] = n_free
            if fr > 0:
                local.setdefault(int(fr), int(free_new[k]))
            if lab:
                by_label.setdefault(str(lab), int(free_new[k]))
            if g == 0:
                first.setdefault(key, int(free_new[k]))
        tab["free"] = free_new
        tab["group"] = groups[g]
        frames.append(tab)
        views.append(replace(pt, table=tab.drop(columns="group"), n_free=0))
    all_labels = set(by_label)
    defs: dict[str, str] = {}
    for d in parsed.definitions:
        for nm in d.names:
            if nm not in all_labels and nm not in defs:
                raise SpecError(
                    _(
                        "the label {n!r} used in '{d} := {e}' is not defined in any group",
                        n=nm,
                        d=d.name,
                        e=d.expr,
                    ),
                    where=_("model syntax line {line}, column {col}", line=d.line, col=d.col),
                    fix=_("label the parameter per group with c(a1, a2)*variable"),
                )
        defs[d.name] = d.expr
    views = [replace(v, n_free=n_free, definitions=defs) for v in views]
    return pd.concat(frames, ignore_index=True), views, n_free


@dataclass(frozen=True)
class MultiGroupResult:
    """A fitted multi-group model: lavaan ``parameterEstimates`` rows with ``group``, fit measures."""

    params: pd.DataFrame
    groups: tuple[str, ...]
    nobs: tuple[int, ...]
    n_dropped: int
    npar: int
    converged: bool
    estimator: str
    missing: str
    group_equal: tuple[str, ...]
    fit: dict[str, float]
    theta: Array
    vcov: Array
    warnings: tuple[str, ...] = ()
    _boot: Any = field(default=None, repr=False)

    def fit_measures(self) -> dict[str, float]:
        return dict(self.fit)

    def to_frame(self) -> pd.DataFrame:
        return self.params.copy()

    def to_dict(self) -> dict[str, Any]:
        from cbeclab.sem.model import _json_safe

        return {
            "estimator": self.estimator,
            "missing": self.missing,
            "groups": list(self.groups),
            "group_equal": list(self.group_equal),
            "nobs": list(self.nobs),
            "n_dropped": self.n_dropped,
            "converged": self.converged,
            "params": [
                {k: _json_safe(v) for k, v in r.items()} for r in self.params.to_dict(orient="records")
            ],
            "fit": _json_safe(self.fit),
            "warnings": list(self.warnings),
        }


def fit_multigroup(
    model: Model,
    data: pd.DataFrame,
    group: str,
    *,
    group_equal: tuple[str, ...] = (),
    estimator: str = "ML",
    missing: str = "listwise",
) -> MultiGroupResult:
    """Fit ``model`` in every group of the column ``group`` (groups in order of appearance, as lavaan)."""
    from cbeclab.sem.general import (
        _baseline_delta,
        _baseline_jacobian,
        _baseline_moments,
        _delta_sat,
        _gamma,
        _h1_expected,
        _matrix,
        _mean_cols,
        _sb_factor,
        _std_rows,
        _vech_keep,
        _yb_scaled,
        covariate_loglik,
    )

    if group not in data.columns:
        raise DataError(
            _("the group column {g!r} is not in the data", g=group),
            where=f"group={group}",
            fix=_("name one of the data columns"),
        )
    gcol = data[group]
    labels = tuple(str(v) for v in pd.unique(gcol.dropna()))
    if len(labels) < 2:
        raise DataError(
            _("the group column {g!r} has fewer than two groups", g=group),
            where=f"group={group}",
            fix=_("choose a column with two or more groups"),
        )
    _full, views, q = build_group_partable(
        model.syntax, labels, group_equal=group_equal, std_lv=model.std_lv, fixed_x=model.fixed_x
    )
    ov = list(views[0].ov_names)
    exo = [ov.index(v) for v in views[0].ov_x]
    absent = [v for v in ov if v not in data.columns]
    if absent:
        raise model._unknown(absent, list(data.columns))
    mms, pss, h1s = [], [], []
    n_dropped = int(gcol.isna().sum())
    for lab, pt in zip(labels, views, strict=True):
        X = _matrix(data[gcol.astype(str) == lab], ov)
        fin = np.isfinite(X)
        keep = fin.all(axis=1) if missing == "listwise" else fin.any(axis=1)
        if missing == "ml" and exo:
            keep &= fin[:, exo].all(axis=1)
        n_dropped += int((~keep).sum())
        pats = Patterns(X[keep], tuple(ov))
        mean1, cov1, _it = em_h1(pats)
        mm = MomentModel(pt)
        mm.set_exo(mean1, cov1)
        mms.append(mm)
        pss.append(pats)
        h1s.append((mean1, cov1))
    # starting values: each group's simple starts, averaged where parameters are shared
    start = np.zeros(q)
    count = np.zeros(q)
    for mm, (m1, c1) in zip(mms, h1s, strict=True):
        th = mm.start_values(m1, c1)
        used = np.zeros(q, dtype=bool)
        used[mm.row_free[mm.row_free > 0] - 1] = True
        start[used] += th[used]
        count[used] += 1
    start = start / np.maximum(count, 1)
    theta, converged, _n_iter = fit_ml(mms, pss, start)
    N = sum(pat.n for pat in pss)
    complete = all(pat.complete for pat in pss)

    def grad(th: Array) -> Array:
        out = np.zeros(q)
        for mm, pat in zip(mms, pss, strict=True):
            m_, s_ = mm.implied(th)
            dm_, ds_ = mm.jacobian(th)
            out += chain_gradient(*pat.gradient(m_, s_), dm_, ds_)
        return out

    exp_info = np.zeros((q, q))
    scores = []
    for mm, pat in zip(mms, pss, strict=True):
        m_, s_ = mm.implied(theta)
        dm_, ds_ = mm.jacobian(theta)
        exp_info += expected_information(pat, s_, dm_, ds_)
        if estimator == "MLR":
            scores.append(casewise_scores(pat, m_, s_, dm_, ds_))
    exp_info /= N
    A0 = exp_info if (complete and estimator != "MLR") else -numeric_jacobian(grad, theta) / N
    A0_inv = np.linalg.inv(A0)
    keep_m = _vech_keep(len(ov), exo, True)
    if estimator == "MLR":
        Sc = np.concatenate(scores, axis=0)
        V = A0_inv @ (Sc.T @ Sc / N) @ A0_inv / N
    elif estimator == "ML":
        V = A0_inv / N
    else:  # MLM: Satorra-Bentler over groups, A = sum f_g D_g' W_g D_g, B = sum f_g D_g' W_g G_g W_g D_g
        if not complete:
            raise SpecError(
                _("estimator MLM needs complete data (lavaan refuses MLM with missing = 'ml')"),
                where="estimator",
                fix=_("use estimator='MLR' with missing='ml', or missing='listwise'"),
            )
        mlm_parts = []
        A = np.zeros((q, q))
        B = np.zeros((q, q))
        for mm, pat in zip(mms, pss, strict=True):
            _m, s_ = mm.implied(theta)
            dm_, ds_ = mm.jacobian(theta)
            W = _h1_expected(s_, len(ov))[np.ix_(keep_m, keep_m)]
            D = _delta_sat(dm_, ds_)[keep_m]
            Gm = _gamma(pat.X)[np.ix_(keep_m, keep_m)]
            fg = pat.n / N
            A += fg * D.T @ W @ D
            B += fg * D.T @ W @ Gm @ W @ D
            mlm_parts.append((fg, W, D, Gm))
        Ai = np.linalg.inv(A)
        V = Ai @ B @ Ai / N
    se_t = np.sqrt(np.clip(np.diag(V), 0, None))

    # --- fit
    ll0 = ll1 = llb = 0.0
    srmr_w: dict[str, float] = {}  # every SRMR/RMR/CRMR variant: n-weighted mean of the groups' (lavaan)
    gfi_w = nel = 0.0
    p = len(ov)
    moments = 0
    corr_groups = []
    for mm, ps, (m1, c1) in zip(mms, pss, h1s, strict=True):
        mu, Sig = mm.implied(theta)
        a, b = ps.loglik(mu, Sig), ps.loglik(m1, c1)
        mb, Sb = _baseline_moments(ps, m1, c1, exo)
        c_ = ps.loglik(mb, Sb)
        if exo:
            lx = covariate_loglik(c1, exo, ps.n)
            a, b, c_ = a - lx, b - lx, c_ - lx
        ll0, ll1, llb = ll0 + a, ll1 + b, llb + c_
        st = FitState(
            S=c1, Sigma=Sig, n=ps.n, npar=0, n_moments=0, exo=tuple(exo), mean_S=m1, mean_Sigma=mu,
            fiml_gfi=None if ps.complete else (ps, m1, mu),
        )  # fmt: skip
        for key, val in srmr(st).items():
            srmr_w[key] = srmr_w.get(key, 0.0) + val * ps.n / N
        g_val, g_nel = gfi_value(st)
        gfi_w += g_val * ps.n / N
        nel += g_nel
        if not complete:
            dm_, ds_ = mm.jacobian(theta)
            corr_groups.append(
                GroupMoments(ps, m1, c1, mu, Sig, _delta_sat(dm_, ds_), mb, Sb, _baseline_delta(p, exo))
            )
        moments += p * (p + 1) // 2 - len(exo) * (len(exo) + 1) // 2 + p - len(exo)
    G = len(labels)
    free_per_group = 2 * (p - len(exo))
    state = FitState(
        S=h1s[0][1],
        Sigma=mms[0].implied(theta)[1],
        n=N,
        npar=q,
        n_moments=moments,
        exo=tuple(exo),
        logl_h0=ll0,
        logl_h1=ll1,
        logl_base=llb,
        n_groups=G,
        baseline_free=free_per_group * G,
    )
    robust = None
    if estimator == "MLR":
        # Yuan-Bentler (Mplus form) over groups: traces summed, the model's E over all rows
        tr1 = tr0 = trb = 0.0
        for ps, (m1, c1), sc in zip(pss, h1s, scores, strict=True):
            fg = ps.n / N
            r = _yb_scaled(ps, m1, c1, exo, True, 1, np.linalg.inv(A0) * fg, sc)
            # _yb_scaled returns c = tr1 - tr0 (df = 1) and cb = (tr1 - trb) / dfb_g
            tr1_g = r.factor_h1 * _n_sat(p, exo)  # type: ignore[operator]
            tr1 += tr1_g
            tr0 += tr1_g - r.scaling
            dfb_g = _n_sat(p, exo) - free_per_group
            trb += tr1_g - r.baseline_scaling * dfb_g
        df = state.df
        robust = (
            (tr1 - tr0) / df if df > 0 else math.nan,
            (tr1 - trb) / state.baseline_df,
        )
        state = replace(
            state,
            scaling=robust[0],
            baseline_scaling=robust[1],
            test="yuan.bentler.mplus",
            factor_h1=tr1 / (G * _n_sat(p, exo)),
            # lavaan divides by the free parameters before the equality constraints
            factor_h0=tr0 / sum(int((mm.row_free > 0).sum()) for mm in mms),
        )
    if estimator == "MLM":
        U_all = block_diag(*[fg * W for fg, W, _D, _G in mlm_parts])
        D_all = np.concatenate([fg * W @ D for fg, W, D, _G in mlm_parts], axis=0)
        G_all = block_diag(*[Gm / fg for fg, _W, _D, Gm in mlm_parts])
        U_all = U_all - D_all @ Ai @ D_all.T
        trb = 0.0
        for ps, (m1, c1) in zip(pss, h1s, strict=True):
            mb, Sb = _baseline_moments(ps, m1, c1, exo)
            dmu_b, dS_b = _baseline_jacobian(p, exo)
            dmu_b = np.concatenate([dmu_b, _mean_cols(p, exo)], axis=1)
            dS_b = np.concatenate([dS_b, np.zeros((p, p, p - len(exo)))], axis=2)
            trb += _sb_factor(Sb, dmu_b, dS_b, _gamma(ps.X), keep_m, 1)
        df = state.df
        robust = (float(np.trace(U_all @ G_all)) / df if df > 0 else math.nan, trb / state.baseline_df)
        state = replace(state, scaling=robust[0], baseline_scaling=robust[1], test="satorra.bentler")
    if not complete:
        df_b = state.baseline_df
        try:
            corrected = fiml_corrected(
                corr_groups, state.df, df_b, scaled=estimator == "MLR", keep=keep_m if exo else None
            )
        except np.linalg.LinAlgError:
            corrected = None
        state = replace(state, fiml=True, corrected=corrected)
    fit = fit_measures(state)
    fit.update(srmr_w)
    fit.update(gfi_family(gfi_w, nel, state.df))  # lavaan: n-weighted GFI, nel summed over groups
    if robust is not None:
        fit.update(robust_measures(state))
    elif not complete:
        fit.update(robust_family(state))
    # --- parameter rows
    rows = []
    for glab, mm in zip(labels, mms, strict=True):
        tab = mm.pt.table
        n_par = mm.n_par_rows
        vals = mm.row_values(theta)
        fr = mm.row_free
        sl, sa = _std_rows(mm, theta)
        for k in range(n_par):
            se = float(se_t[fr[k] - 1]) if fr[k] > 0 else 0.0
            rows.append(
                {
                    "lhs": tab["lhs"].iloc[k],
                    "op": tab["op"].iloc[k],
                    "rhs": tab["rhs"].iloc[k],
                    "group": glab,
                    "label": tab["label"].iloc[k],
                    "est": float(vals[k]),
                    "se": se,
                    "z": float(vals[k]) / se if se > 0 else math.nan,
                    "std_lv": float(sl[k]),
                    "std_all": float(sa[k]),
                }
            )
    defs = _Definitions(views, labels)
    if defs.names:
        vals = defs.values(mms, theta)
        J = np.zeros((len(vals), q))
        for t in range(q):
            h = 1e-6 * max(1.0, abs(theta[t]))
            tp, tm = theta.copy(), theta.copy()
            tp[t] += h
            tm[t] -= h
            J[:, t] = (defs.values(mms, tp) - defs.values(mms, tm)) / (2 * h)
        dse = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, V, J), 0, None))
        for name, expr, v, e in zip(defs.names, defs.exprs, vals, dse, strict=True):
            rows.append(
                {"lhs": name, "op": ":=", "rhs": expr, "group": "", "label": name, "est": float(v),
                 "se": float(e), "z": float(v) / float(e) if e > 0 else math.nan,
                 "std_lv": math.nan, "std_all": math.nan}
            )  # fmt: skip
    params = pd.DataFrame(rows)
    params["pvalue"] = 2.0 * stats.norm.sf(np.abs(params["z"]))
    crit = stats.norm.ppf(0.5 + model.ci_level / 2.0)
    params["ci_lower"] = params["est"] - crit * params["se"]
    params["ci_upper"] = params["est"] + crit * params["se"]
    return MultiGroupResult(
        params=params,
        groups=labels,
        nobs=tuple(p_.n for p_ in pss),
        n_dropped=n_dropped,
        npar=q,
        converged=converged,
        estimator=estimator,
        missing=missing,
        group_equal=tuple(group_equal),
        fit=fit,
        theta=theta,
        vcov=V,
        _boot=(mms, [p_.X for p_ in pss], defs),
    )


class _Definitions:
    """The ``:=`` parameters of a multi-group model, evaluated on the labels of all groups."""

    def __init__(self, views: list[ParTable], labels: tuple[str, ...]) -> None:
        from cbeclab.sem.syntax import compile_expression

        self.names = list(views[0].definitions)
        self.exprs = [views[0].definitions[n] for n in self.names]
        self.trees = [compile_expression(e, 0, 0)[0] for e in self.exprs]
        self.where: dict[str, tuple[int, int]] = {}
        for g, pt in enumerate(views):
            tab = pt.table
            for k, lab in enumerate(tab["label"].iloc[: int((tab["op"] != ":=").sum())]):
                if lab and lab not in self.where:
                    self.where[str(lab)] = (g, k)

    def values(self, mms: list[MomentModel], theta: Array) -> Array:
        from cbeclab.sem.ml import eval_expression

        rv = [mm.row_values(theta) for mm in mms]
        env = {lab: float(rv[g][k]) for lab, (g, k) in self.where.items()}
        out = np.empty(len(self.names))
        for i, (name, tree) in enumerate(zip(self.names, self.trees, strict=True)):
            out[i] = eval_expression(tree, env)
            env[name] = out[i]
        return out


def group_bootstrap(
    res: MultiGroupResult, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Bootstrap of the ``:=`` parameters of a multi-group fit (rows resampled within each group).

    A summary of :func:`cbeclab.sem.rowboot.multigroup_bootstrap` (which has every row, both
    scales and the bias-corrected interval): est (full sample), the delta-method se, the
    bootstrap se and lavaan's percentile interval, e.g. for ``ind_small := a1*b1``,
    ``ind_large := a2*b2``, ``diff := ind_small - ind_large`` (the difference of the indirect
    effects between groups).  Checked against lavaan 0.6-14 ``se = "bootstrap"``,
    ``boot.ci.type = "perc"`` within Monte-Carlo error (``tests/test_sem_multigroup.py``,
    ``tests/test_bootstrap_rows.py``).
    """
    from cbeclab.sem.rowboot import multigroup_bootstrap

    if res._boot is not None and not res._boot[2].names:
        raise SpecError(
            _("the model has no defined (:=) parameters to bootstrap"),
            where="model",
            fix=_("define the indirect effects, e.g. ind1 := a1*b1 with c(a1, a2) labels"),
        )
    boot = multigroup_bootstrap(res, n_boot, seed, ci="perc", level=level, n_jobs=1)
    summ = boot.summary("defined", ci="perc", level=level)
    tab = res.params[res.params["op"] == ":="].reset_index(drop=True)
    return pd.DataFrame(
        {
            "lhs": tab["lhs"],
            "rhs": tab["rhs"],
            "est": tab["est"],
            "se": tab["se"],
            "boot_se": summ.se,
            "ci_lower": summ.ci_lower,
            "ci_upper": summ.ci_upper,
            "n_boot": int(boot.n_boot - boot.n_failed),
        }
    )


def _n_sat(p: int, exo: list[int]) -> int:
    k = len(exo)
    return p * (p + 1) // 2 - k * (k + 1) // 2 + p - k


#: the measurement-invariance sequence (lavaan / semTools order)
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("configural", ()),
    ("metric", ("loadings",)),
    ("scalar", ("loadings", "intercepts")),
    ("strict", ("loadings", "intercepts", "residuals")),
)


def invariance(
    model: Model, data: pd.DataFrame, group: str, *, estimator: str = "ML", missing: str = "listwise"
) -> pd.DataFrame:
    """Configural -> metric -> scalar -> strict, one row per step.

    Columns: step, chisq, df, cfi, tli, rmsea, srmr, chisq_diff, df_diff, pvalue_diff, delta_cfi,
    delta_rmsea (the differences against the previous step).  Under MLR ``chisq`` is the scaled
    statistic and the difference is Satorra & Bentler's (2001) scaled difference,
    ``T_d = (T0 - T1) / c_d``, ``c_d = (df0 c0 - df1 c1) / (df0 - df1)`` (lavaan ``lavTestLRT``,
    ``method = "satorra.bentler.2001"``), with T0, T1 the unscaled statistics; the fit indices
    are then lavaan's ``.scaled`` ones.
    """
    out = []
    prev: dict[str, float] | None = None
    suffix = "_scaled" if estimator == "MLR" else ""
    for step, eq in STEPS:
        fm = fit_multigroup(model, data, group, group_equal=eq, estimator=estimator, missing=missing).fit
        row: dict[str, Any] = {
            "step": step,
            "chisq": fm["chisq" + suffix],
            "df": fm["df"],
            "cfi": fm["cfi" + suffix],
            "tli": fm["tli" + suffix],
            "rmsea": fm["rmsea" + suffix],
            "srmr": fm["srmr"],
            "chisq_diff": math.nan,
            "df_diff": math.nan,
            "pvalue_diff": math.nan,
            "delta_cfi": math.nan,
            "delta_rmsea": math.nan,
        }
        if prev is not None:
            ddf = fm["df"] - prev["df"]
            if estimator == "MLR":
                cd = (fm["df"] * fm["chisq_scaling_factor"] - prev["df"] * prev["chisq_scaling_factor"]) / ddf
                diff = (fm["chisq"] - prev["chisq"]) / cd
            else:
                diff = fm["chisq"] - prev["chisq"]
            row.update(
                chisq_diff=diff,
                df_diff=ddf,
                pvalue_diff=float(stats.chi2.sf(diff, ddf)) if ddf > 0 else math.nan,
                delta_cfi=row["cfi"] - prev["cfi" + suffix],
                delta_rmsea=row["rmsea"] - prev["rmsea" + suffix],
            )
        out.append(row)
        prev = fm
    return pd.DataFrame(out)
