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

Checked against: lavaan 0.6-14 ``modindices(fit, sort. = FALSE)`` (fixture
``tests/fixtures/sem_modindices.json`` made by ``tests/fixtures/r/sem_modindices.R``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbeclab.sem.estimate import chain_gradient, expected_information
from cbeclab.sem.fiml import Patterns
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

    Returns
    -------
    DataFrame with lhs, op, rhs, mi, epc, sepc_lv, sepc_all.
    """
    from cbeclab.sem.general import check_options, fit_general, prepare_rows

    _est, mis = check_options("ML", missing)
    res = fit_general(model, data, estimator="ML", missing=mis, meanstructure=mis != "listwise")
    pt = build_partable(model.syntax, std_lv=model.std_lv, fixed_x=model.fixed_x, meanstructure=True)
    cands = _candidates(pt)
    q, k = pt.n_free, len(cands)
    tab = pt.table
    par = tab[tab["op"] != ":="]
    extra = pd.DataFrame(
        {
            "id": np.arange(len(par) + 1, len(par) + k + 1),
            "lhs": [c[0] for c in cands],
            "op": [c[1] for c in cands],
            "rhs": [c[2] for c in cands],
            "user": 0,
            "free": np.arange(q + 1, q + k + 1),
            "ustart": np.nan,
            "exo": 0,
            "label": "",
            "plabel": "",
            "start": np.nan,
            "est": np.nan,
            "se": np.nan,
        }
    )
    aug = replace(pt, table=pd.concat([par, extra], ignore_index=True), n_free=q + k)
    mm = MomentModel(aug)
    assert res.mean is not None
    mm.set_exo(res.mean, res.S)
    theta = np.concatenate([res.theta, np.zeros(k)])
    X, _n, _notes = prepare_rows(model, pt, data, mis)
    pats = Patterns(X, tuple(pt.ov_names))
    mu, Sigma = mm.implied(theta)
    dmu, dS = mm.jacobian(theta)
    g = chain_gradient(*pats.gradient(mu, Sigma), dmu, dS)
    info = expected_information(pats, Sigma, dmu, dS)
    I11, I12 = info[:q, :q], info[:q, q:]
    V = np.diag(info[q:, q:]) - np.einsum("ij,ij->j", I12, np.linalg.solve(I11, I12))
    g2 = g[q:]
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = g2 * g2 / V
        epc = g2 / V
    _B, _m, C = mm.implied_all(theta)
    _A, S, _M = mm.matrices(theta)
    pos = {v: i for i, v in enumerate(mm.var_names)}
    sd = np.sqrt(np.clip(np.diag(C), 0, None))
    sl, sa = np.empty(k), np.empty(k)
    for j, (lhs, op, rhs) in enumerate(cands):
        a, b = pos[lhs], pos[rhs]
        if op == "=~":
            sl[j] = epc[j] * sd[a]
            sa[j] = epc[j] * sd[a] / sd[b]
        else:  # covariances of observed residuals: std.lv keeps observed variables unscaled
            sl[j] = epc[j]
            sa[j] = epc[j] / np.sqrt(S[a, a] * S[b, b])
    out = pd.DataFrame(
        {
            "lhs": [c[0] for c in cands],
            "op": [c[1] for c in cands],
            "rhs": [c[2] for c in cands],
            "mi": mi,
            "epc": epc,
            "sepc_lv": sl,
            "sepc_all": sa,
        }
    )
    out = out[out["mi"] >= minimum_value]
    if sort:
        out = out.sort_values("mi", ascending=False, kind="stable")
    return out.reset_index(drop=True)
