"""Modification indices with expected parameter changes (lavaan ``modindices()``).

For every parameter fixed at zero that lavaan would consider (a loading of each latent variable on
each observed indicator it does not load, and a residual covariance of each pair of observed
variables without one), the model is augmented by that parameter, held at 0, and the score test is

    MI_j  = g_j^2 / V_jj,      EPC_j = g_j / V_jj,
    V = I_22 - I_21 I_11^-1 I_12

with ``g`` the gradient of the log-likelihood at the estimates and ``I`` the information of the
augmented model (the expected information, also under FIML: lavaan's ``modindices`` does the same)
partitioned into model (1) and added (2) parameters (Sorbom 1989; Saris, Satorra & Sorbom 1987).
``sepc_all`` is the EPC standardized as in the completely standardized solution: loadings times
``sd(factor) / sd(indicator)``, residual covariances divided by ``sqrt(theta_ii theta_jj)``;
``sepc_lv`` standardizes the latent variables only.

With groups (``group=``) each candidate is added in every group with its own free position and
the information is summed over the groups (lavaan does the same for multi-group fits).

Checked against: lavaan 0.6-14 ``modindices(fit, sort. = FALSE)`` (fixtures
``tests/fixtures/sem_modindices.json`` made by ``tests/fixtures/r/sem_modindices.R``; multi-group,
with ``group.equal`` and under FIML: ``sem_matrix.json`` made by ``tests/fixtures/r/sem_matrix.R``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbeclab.sem.estimate import chain_gradient, expected_information
from cbeclab.sem.fiml import Patterns
from cbeclab.sem.ml import Array
from cbeclab.sem.moments import MomentModel
from cbeclab.sem.partable import ParTable, build_partable

if TYPE_CHECKING:
    from cbeclab.sem.model import Model

__all__ = ["modindices"]


def _candidates(pt: ParTable) -> list[tuple[str, str, str]]:
    tab = pt.table
    have = {(a, o, b) for a, o, b in zip(tab["lhs"], tab["op"], tab["rhs"], strict=True)}
    have |= {(b, o, a) for a, o, b in have if o == "~~"}
    ov = [v for v in pt.ov_names if v not in pt.ov_x]
    out = [(f, "=~", x) for f in pt.lv_names for x in ov if (f, "=~", x) not in have]
    out += [(a, "~~", b) for i, a in enumerate(ov) for b in ov[i + 1 :] if (a, "~~", b) not in have]
    return out


def modindices(
    model: Model,
    data: pd.DataFrame,
    *,
    missing: str = "listwise",
    minimum_value: float = 0.0,
    sort: bool = True,
    group: str | None = None,
    group_equal: Sequence[str] = (),
) -> pd.DataFrame:
    """Modification indices of ``model`` fitted to ``data`` by ML (lavaan ``modindices``).

    Parameters
    ----------
    missing
        ``"listwise"``, ``"ml"`` or ``"ml.x"`` as in :meth:`cbeclab.sem.Model.fit`.
    minimum_value
        Keep rows with ``mi >= minimum_value`` (lavaan ``minimum.value``).
    sort
        Largest MI first (lavaan ``sort. = TRUE``).
    group, group_equal
        A multi-group model (as ``fit(group=, group_equal=)``): every candidate is added in each
        group separately, the score test uses the information of all groups together and the
        rows carry ``group`` (lavaan's multi-group ``modindices``).

    Returns
    -------
    DataFrame with lhs, op, rhs, (group,) mi, epc, sepc_lv, sepc_all.
    """
    from cbeclab.sem.general import check_options, fit_general, prepare_rows

    _est, mis = check_options("ML", missing)
    if group is not None:
        return _modindices_groups(model, data, mis, group, tuple(group_equal), minimum_value, sort)
    res = fit_general(model, data, estimator="ML", missing=mis, meanstructure=mis != "listwise")
    pt = build_partable(model.syntax, std_lv=model.std_lv, fixed_x=model.fixed_x, meanstructure=True)
    X, _n, _notes = prepare_rows(model, pt, data, mis)
    pats = Patterns(X, tuple(pt.ov_names))
    assert res.mean is not None
    out = _score_tests([(pt, pats, res.mean, res.S)], res.theta, pt.n_free)
    return _finish(out, minimum_value, sort)


def _finish(out: pd.DataFrame, minimum_value: float, sort: bool) -> pd.DataFrame:
    out = out[out["mi"] >= minimum_value]
    if sort:
        out = out.sort_values("mi", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def _modindices_groups(
    model: Model,
    data: pd.DataFrame,
    missing: str,
    group: str,
    group_equal: tuple[str, ...],
    minimum_value: float,
    sort: bool,
) -> pd.DataFrame:
    from cbeclab.sem.fiml import em_h1
    from cbeclab.sem.multigroup import build_group_partable, fit_multigroup

    res = fit_multigroup(model, data, group, group_equal=group_equal, estimator="ML", missing=missing)
    _full, views, q = build_group_partable(
        model.syntax, res.groups, group_equal=group_equal, std_lv=model.std_lv, fixed_x=model.fixed_x
    )
    mms, Xs, _defs = res._boot
    parts = []
    for view, mm, X in zip(views, mms, Xs, strict=True):
        pats = Patterns(X, mm.ov_names)
        mean1, cov1, _it = em_h1(pats)
        parts.append((view, pats, mean1, cov1))
    out = _score_tests(parts, res.theta, q, markers="loadings" in group_equal)
    out.insert(3, "group", np.repeat(np.asarray(res.groups, dtype=object), len(out) // len(res.groups)))
    return _finish(out, minimum_value, sort)


def _fixed_loadings(pt: ParTable) -> list[tuple[str, str, str]]:
    """The fixed (marker) loadings: with loadings equal across groups lavaan also tests freeing
    each of them in one group (checked against its multi-group ``modindices``)."""
    t = pt.table
    sel = (t["op"] == "=~") & (t["free"] == 0)
    return list(zip(t.loc[sel, "lhs"], t.loc[sel, "op"], t.loc[sel, "rhs"], strict=True))


def _score_tests(
    parts: list[tuple[ParTable, Patterns, Array, Array]], theta: Array, q: int, *, markers: bool = False
) -> pd.DataFrame:
    """Score test of every candidate of every group (one block of rows per group, same order).

    ``parts`` holds per group its parameter table (``free`` pointing into ``theta``), data patterns
    and H1 (EM) moments; each group's candidates get their own free positions after ``theta``.
    With ``markers`` the fixed loadings are candidates too, tested at their fixed value."""
    fixed = _fixed_loadings(parts[0][0]) if markers else []
    cands = fixed + _candidates(parts[0][0])
    nf = len(fixed)
    k = len(cands)
    G = len(parts)
    theta_aug = np.concatenate([theta, np.zeros(G * k)])
    n_tot = q + G * k
    g = np.zeros(n_tot)
    info = np.zeros((n_tot, n_tot))
    mms = []
    for gi, (pt, pats, mean1, cov1) in enumerate(parts):
        tab = pt.table
        par = tab[tab["op"] != ":="].copy()
        for j, (lhs, op, rhs) in enumerate(fixed):  # free the marker in place, at its fixed value
            row = np.flatnonzero(((par["lhs"] == lhs) & (par["op"] == op) & (par["rhs"] == rhs)).to_numpy())[
                0
            ]
            theta_aug[q + gi * k + j] = float(par["ustart"].iloc[row])
            par.loc[par.index[row], "free"] = q + gi * k + j + 1
        new = cands[nf:]
        extra = pd.DataFrame(
            {
                "id": np.arange(len(par) + 1, len(par) + len(new) + 1),
                "lhs": [c[0] for c in new],
                "op": [c[1] for c in new],
                "rhs": [c[2] for c in new],
                "user": 0,
                "free": np.arange(q + gi * k + nf + 1, q + (gi + 1) * k + 1),
                "ustart": np.nan,
                "exo": 0,
                "label": "",
                "plabel": "",
                "start": np.nan,
                "est": np.nan,
                "se": np.nan,
            }
        )
        aug = replace(pt, table=pd.concat([par, extra], ignore_index=True), n_free=n_tot)
        mm = MomentModel(aug)
        mm.set_exo(mean1, cov1)
        mu, Sigma = mm.implied(theta_aug)
        dmu, dS = mm.jacobian(theta_aug)
        g += chain_gradient(*pats.gradient(mu, Sigma), dmu, dS)
        info += expected_information(pats, Sigma, dmu, dS)
        mms.append(mm)
    I11, I12 = info[:q, :q], info[:q, q:]
    V = np.diag(info[q:, q:]) - np.einsum("ij,ij->j", I12, np.linalg.solve(I11, I12))
    g2 = g[q:]
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = g2 * g2 / V
        epc = g2 / V
    sl, sa = np.empty(G * k), np.empty(G * k)
    for gi, mm in enumerate(mms):
        _B, _m, C = mm.implied_all(theta_aug)
        _A, S, _M = mm.matrices(theta_aug)
        pos = {v: i for i, v in enumerate(mm.var_names)}
        sd = np.sqrt(np.clip(np.diag(C), 0, None))
        for j, (lhs, op, rhs) in enumerate(cands):
            a, b = pos[lhs], pos[rhs]
            e = epc[gi * k + j]
            if op == "=~":
                sl[gi * k + j] = e * sd[a]
                sa[gi * k + j] = e * sd[a] / sd[b]
            else:  # covariances of observed residuals: std.lv keeps observed variables unscaled
                sl[gi * k + j] = e
                sa[gi * k + j] = e / np.sqrt(S[a, a] * S[b, b])
    return pd.DataFrame(
        {
            "lhs": [c[0] for c in cands] * G,
            "op": [c[1] for c in cands] * G,
            "rhs": [c[2] for c in cands] * G,
            "mi": mi,
            "epc": epc,
            "sepc_lv": sl,
            "sepc_all": sa,
        }
    )
