"""The Yongkang hardware-cluster survey model (seed 000) and a SYNTHETIC survey drawn from it.

Zhu & Lu (seed 000) surveyed 233 staff of Yongkang cross-border e-commerce firms with 24 five-point
Likert items on five constructs (F1 cluster enterprise, F2 industrial cluster, F3 local government,
M industrial transformation and upgrading, Y cluster cross-border e-commerce development). The
responses were not published; ``yongkang.yaml`` (next to this file) records what was: the Table 1
standardized loadings and alphas, the Table 2 AVEs and latent correlations, KMO/Bartlett, fit indices,
paths, bootstrap mediation results, and the inconsistencies we found (``known_defects``, e.g. the
Table 4 path estimates repeating Table 2's correlations).

:func:`synthetic_yongkang_survey` draws data with that measurement model. It is **synthetic**: it
reproduces the published loadings and latent correlations in expectation, nothing else about the
real respondents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from scipy import special

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _

__all__ = [
    "YongkangModel",
    "nearest_correlation",
    "synthetic_yongkang_background",
    "synthetic_yongkang_survey",
    "yongkang_implied_correlations",
    "yongkang_model",
    "yongkang_model_syntax",
]


@dataclass(frozen=True)
class YongkangModel:
    """Published measurement model of seed 000 (read from ``datasets/yongkang.yaml``)."""

    constructs: tuple[str, ...]
    items: pd.DataFrame  # index item; columns construct, loading, en, zh
    construct_info: pd.DataFrame  # index construct; columns en, zh, alpha, ave
    latent_corr: pd.DataFrame
    paths: pd.DataFrame
    n: int
    raw: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item, construct, loading, en, zh``."""
        return self.items.rename_axis("item").reset_index()

    def to_dict(self) -> dict[str, Any]:
        """The YAML content as a JSON-safe dict."""
        return self.raw

    def loading_matrix(self) -> pd.DataFrame:
        """Items x constructs matrix of standardized loadings (zeros off the construct)."""
        lam = pd.DataFrame(0.0, index=self.items.index, columns=list(self.constructs))
        for item, row in self.items.iterrows():
            lam.loc[item, row["construct"]] = row["loading"]
        return lam

    def items_of(self, construct: str) -> list[str]:
        """Item names of one construct, in questionnaire order."""
        return [str(i) for i in self.items.index[self.items["construct"] == construct]]


@cache
def _raw_yaml() -> dict[str, Any]:
    text = resources.files("cbeclab.datasets").joinpath("yongkang.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):  # pragma: no cover - file is part of the package
        raise SpecError(_("yongkang.yaml is not a mapping"), where="cbeclab/datasets/yongkang.yaml")
    return data


def yongkang_model() -> YongkangModel:
    """Load seed 000's published measurement and structural model.

    Examples
    --------
    >>> m = yongkang_model()
    >>> m.n, len(m.items), m.constructs
    (233, 24, ('F1', 'F2', 'F3', 'M', 'Y'))
    """
    raw = _raw_yaml()
    cons = tuple(raw["constructs"])
    rows = []
    info = []
    for c, spec in raw["constructs"].items():
        info.append(
            {"construct": c, "en": spec["en"], "zh": spec["zh"], "alpha": spec["alpha"], "ave": spec["ave"]}
        )
        for item, it in spec["items"].items():
            rows.append(
                {
                    "item": item,
                    "construct": c,
                    "loading": float(it["loading"]),
                    "en": it["en"],
                    "zh": it["zh"],
                }
            )
    phi = pd.DataFrame(np.eye(len(cons)), index=list(cons), columns=list(cons))
    for a, row in raw["latent_correlations"].items():
        for b, v in row.items():
            phi.loc[a, b] = phi.loc[b, a] = float(v)
    return YongkangModel(
        constructs=cons,
        items=pd.DataFrame(rows).set_index("item"),
        construct_info=pd.DataFrame(info).set_index("construct"),
        latent_corr=phi,
        paths=pd.DataFrame(raw["paths"]),
        n=int(raw["n"]),
        raw=raw,
    )


def nearest_correlation(
    r: np.ndarray, *, tol: float = 1e-10, max_iter: int = 200, eig_floor: float = 1e-8
) -> np.ndarray:
    """Nearest positive-definite correlation matrix (Higham 2002 alternating projections).

    Returns ``r`` unchanged when its smallest eigenvalue already exceeds ``eig_floor``.
    Checked against: hand construction (an indefinite 3x3 matrix becomes PD with unit diagonal).
    """
    a = (np.asarray(r, dtype=float) + np.asarray(r, dtype=float).T) / 2
    if np.linalg.eigvalsh(a).min() > eig_floor:
        return a
    y = a.copy()
    ds = np.zeros_like(a)
    for _unused in range(max_iter):
        rk = y - ds
        w, v = np.linalg.eigh(rk)
        x = (v * np.maximum(w, eig_floor)) @ v.T
        ds = x - rk
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        if np.linalg.norm(y_new - y, "fro") < tol:
            y = y_new
            break
        y = y_new
    w, v = np.linalg.eigh(y)
    y = (v * np.maximum(w, eig_floor)) @ v.T
    d = np.sqrt(np.diag(y))
    return y / np.outer(d, d)


def _thresholds(model: YongkangModel) -> pd.DataFrame:
    """Standard-normal cut points (4 per item) from the YAML cumulative probabilities."""
    cfg = model.raw["synthetic"]["cumulative_probs"]
    rows = {}
    for item, c in model.items["construct"].items():
        probs = np.asarray(cfg.get(c, cfg["default"]), dtype=float)
        rows[item] = special.ndtri(probs)
    return pd.DataFrame(rows, index=["t1", "t2", "t3", "t4"]).T


def _continuous_implied(model: YongkangModel) -> np.ndarray:
    lam = model.loading_matrix().to_numpy()
    phi = nearest_correlation(model.latent_corr.to_numpy())
    sigma = lam @ phi @ lam.T
    np.fill_diagonal(sigma, 1.0)
    return sigma


def synthetic_yongkang_survey(n: int = 233, seed: int = 0, *, likert: bool = True) -> pd.DataFrame:
    """Draw a SYNTHETIC Yongkang survey from seed 000's published measurement model.

    Latent scores ``eta ~ N(0, Phi)`` with ``Phi`` the Table 2 latent correlations (projected to the
    nearest positive-definite correlation matrix if needed; Table 2 is already PD), items
    ``x = lambda * eta_c + sqrt(1 - lambda^2) * eps`` with the Table 1 loadings, then cut into 1..5 at
    the normal quantiles of the ``synthetic.cumulative_probs`` in ``yongkang.yaml`` (most answers 4,
    mean about 3.7). The raw answers of the paper were never published; this frame only mimics the
    published loadings and correlations.

    Parameters
    ----------
    n
        Number of respondents (the paper had 233).
    seed
        Seed for ``numpy.random.default_rng``; the same seed gives the same frame.
    likert
        ``False`` returns the continuous item scores before discretisation.

    Returns
    -------
    DataFrame
        24 columns ``T11 .. Y4`` (int64 Likert 1-5 by default), with ``attrs["synthetic"] = True``,
        ``attrs["source"] = "synthetic"`` (package convention), ``attrs["seed"]`` and
        ``attrs["generator"]`` naming the call and the seed paper.

    Examples
    --------
    >>> df = synthetic_yongkang_survey(n=50, seed=1)
    >>> df.shape, df.attrs["synthetic"], int(df.min().min()) >= 1, int(df.max().max()) <= 5
    ((50, 24), True, True, True)
    """
    if not isinstance(n, int | np.integer) or n < 1:
        raise DataError(
            _("n must be a positive integer, got {n!r}", n=n), where="synthetic_yongkang_survey(n=)"
        )
    model = yongkang_model()
    rng = np.random.default_rng(seed)
    cons = list(model.constructs)
    phi = nearest_correlation(model.latent_corr.to_numpy())
    eta = rng.standard_normal((int(n), len(cons))) @ np.linalg.cholesky(phi).T
    col = np.array([cons.index(c) for c in model.items["construct"]])
    lam = model.items["loading"].to_numpy()
    eps = rng.standard_normal((int(n), lam.size))
    x = eta[:, col] * lam + np.sqrt(1 - lam**2) * eps
    items = list(model.items.index)
    if likert:
        tau = _thresholds(model).to_numpy()
        vals = 1 + (x[:, :, None] > tau[None, :, :]).sum(axis=2)
        df = pd.DataFrame(vals.astype(np.int64), columns=items)
    else:
        df = pd.DataFrame(x, columns=items)
    df.index.name = "respondent"
    # package convention (datasets/synthetic.py): source == "synthetic" and synthetic is True
    df.attrs["synthetic"] = True
    df.attrs["source"] = "synthetic"
    df.attrs["seed"] = seed
    df.attrs["generator"] = (
        f"SYNTHETIC data: cbeclab.datasets.survey.synthetic_yongkang_survey(n={int(n)}, seed={seed}, "
        f"likert={likert}) drawn from the published measurement model of seed 000 (Zhu & Lu, Yongkang "
        "hardware cluster, Tables 1-2); not the paper's respondents"
    )
    return df


def synthetic_yongkang_background(n: int = 233, seed: int = 1) -> pd.DataFrame:
    """SYNTHETIC background answers for the Yongkang example: ``firm_size`` (1 = SME, 2 = large) and
    ``cbec_years`` (years in cross-border e-commerce: 1 = under 3, 2 = 3 to 5, 3 = over 5).

    Drawn independently of the items (probabilities 0.55 / 0.45 and 0.35 / 0.40 / 0.25), so the
    measurement model holds equally in both firm-size groups by construction: the example's
    invariance table should show metric and scalar invariance.  Not from seed 000, which published
    no respondent data.

    >>> b = synthetic_yongkang_background(10, seed=1)
    >>> list(b.columns), bool(b["firm_size"].isin([1, 2]).all())
    (['firm_size', 'cbec_years'], True)
    """
    rng = np.random.default_rng(seed)
    out = pd.DataFrame(
        {
            "firm_size": rng.choice([1, 2], size=int(n), p=[0.55, 0.45]).astype(np.int64),
            "cbec_years": rng.choice([1, 2, 3], size=int(n), p=[0.35, 0.40, 0.25]).astype(np.int64),
        }
    )
    out.index.name = "respondent"
    out.attrs["synthetic"] = True
    out.attrs["source"] = "synthetic"
    return out


def _likert_moments(tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of ``1 + #(Z > tau_m)`` for ``Z ~ N(0, 1)`` (rows of ``tau`` = items)."""
    up = special.ndtr(-tau)  # P(Z > tau_m)
    mean = 1 + up.sum(axis=1)
    # E[g^2] = sum_c c^2 P(c)
    cdf = np.concatenate([np.zeros((tau.shape[0], 1)), special.ndtr(tau), np.ones((tau.shape[0], 1))], axis=1)
    pc = np.diff(cdf, axis=1)
    cats = np.arange(1, 6)
    e2 = (pc * cats**2).sum(axis=1)
    return mean, np.sqrt(e2 - mean**2)


def yongkang_implied_correlations(*, likert: bool = True) -> pd.DataFrame:
    """Population item correlations of :func:`synthetic_yongkang_survey`.

    Continuous: ``Lambda Phi Lambda'`` with unit diagonal. Likert: for items ``i, j`` with latent
    correlation ``rho`` and category functions ``g_i, g_j``,
    ``E[g_i g_j] = int phi(z) g_i(z) (1 + sum_m Phi((rho z - tau_jm)/sqrt(1 - rho^2))) dz``, integrated
    exactly piecewise (Gauss-Legendre on each threshold interval), then standardised with the
    category means and sds. Checked against: large-sample simulation (tests, n = 20000).
    """
    model = yongkang_model()
    sigma = _continuous_implied(model)
    items = list(model.items.index)
    if not likert:
        return pd.DataFrame(sigma, index=items, columns=items)
    tau = _thresholds(model).to_numpy()
    mean, sd = _likert_moments(tau)
    p = len(items)
    iu, ju = np.triu_indices(p, 1)
    rho = sigma[iu, ju]
    s = np.sqrt(1 - rho**2)
    nodes, weights = np.polynomial.legendre.leggauss(48)
    out = np.eye(p)
    # integrate over z in pieces between item i's thresholds: [-9, t1], [t1, t2], ..., [t4, 9]
    edges = np.concatenate([np.full((p, 1), -9.0), tau, np.full((p, 1), 9.0)], axis=1)[iu]  # (pairs, 6)
    e_gg = np.zeros(iu.size)
    for c in range(5):
        a, b = edges[:, c], edges[:, c + 1]
        half = (b - a) / 2
        z = (a + b)[:, None] / 2 + half[:, None] * nodes[None, :]  # (pairs, nodes)
        dens = np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
        h = 1 + special.ndtr(
            (rho[:, None, None] * z[:, :, None] - tau[ju][:, None, :]) / s[:, None, None]
        ).sum(axis=2)
        e_gg += (c + 1) * half * (weights[None, :] * dens * h).sum(axis=1)
    corr = (e_gg - mean[iu] * mean[ju]) / (sd[iu] * sd[ju])
    out[iu, ju] = corr
    out[ju, iu] = corr
    return pd.DataFrame(out, index=items, columns=items)


def yongkang_model_syntax(part: Literal["sem", "cfa"] = "sem") -> str:
    """lavaan syntax of seed 000's models (for ``cbeclab.sem.Model`` or R lavaan).

    ``part="cfa"``: the five-factor measurement model (factors correlate freely).
    ``part="sem"``: measurement model plus the structural model the paper tests (Fig. 1, §4.4-4.5):
    ``M ~ F1 + F2 + F3`` (labels ``a1..a3``), ``Y ~ F1 + F2 + F3 + M`` (``c1..c3``, ``b``), and for each
    ``Fi`` the indirect ``ind_Fi := ai*b`` (H4-H6) and total ``tot_Fi := ci + ai*b`` effects.

    Examples
    --------
    >>> print(yongkang_model_syntax("cfa").splitlines()[1])
    F1 =~ T11 + T12 + T13 + T14 + T15
    """
    if part not in ("sem", "cfa"):
        raise SpecError(
            _("unknown part {part!r}", part=part),
            where="yongkang_model_syntax(part=)",
            fix=_("use 'sem' or 'cfa'"),
        )
    model = yongkang_model()
    lines = ["# measurement model (seed 000, Table 1)"]
    for c in model.constructs:
        lines.append(f"{c} =~ " + " + ".join(model.items_of(c)))
    if part == "cfa":
        return "\n".join(lines) + "\n"
    lines += [
        "# structural model (seed 000, Fig. 1; H1-H3 direct, H4-H6 mediation via M)",
        "M ~ a1*F1 + a2*F2 + a3*F3",
        "Y ~ c1*F1 + c2*F2 + c3*F3 + b*M",
        "# indirect and total effects",
    ]
    for i in (1, 2, 3):
        lines.append(f"ind_F{i} := a{i}*b")
    for i in (1, 2, 3):
        lines.append(f"tot_F{i} := c{i} + a{i}*b")
    return "\n".join(lines) + "\n"
