"""Whole SEM bootstraps against lavaan 0.6-14, within Monte-Carlo error.

Fixture: tests/fixtures/boot_lavaan.json (``Rscript tests/fixtures/r/boot_lavaan.R``): lavaan
``sem(..., se = "bootstrap")`` on a latent mediation model (B = 2000) and an observed path model
(B = 1000), plus ``bootstrapLavaan`` of the standardized solution. Our resamples differ from R's, so:

* point estimates: 1e-4 (same ML fit);
* bootstrap SEs: within 10 % (the Monte-Carlo SD of the ratio is about 2-3 %);
* CI endpoints: within 4 Monte-Carlo SEs of the difference of two independent bootstrap quantiles,
  ``√2 · se · √(p(1−p)/B) / φ(z_p)`` at ``p = 0.025`` (normal approximation).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from cbeclab.sem.bootstrap import REFIT_TOL, RefitSpec, SemCompiler, bootstrap, full_fit, run_draws

FIXDIR = Path(__file__).parent / "fixtures"
FIX = json.loads((FIXDIR / "boot_lavaan.json").read_text())


def _mc_tol(se: np.ndarray, B: int, k: float = 4.0) -> np.ndarray:
    p = 0.025
    return k * math.sqrt(2.0) * se * math.sqrt(p * (1 - p) / B) / norm.pdf(norm.ppf(p))


@pytest.fixture(scope="module")
def latent() -> tuple[dict, object]:
    L = FIX["latent"]
    data = pd.read_csv(FIXDIR / L["data"])
    res = bootstrap(L["syntax"], data, n_boot=L["B"], seed=3, n_jobs=2)
    return L, res


@pytest.mark.parametrize("ci", ["bca_simple", "perc"])
def test_latent_model_matches_lavaan_within_mc_error(latent, ci: str) -> None:
    L, res = latent
    assert res.n_failed == 0
    ours = res.to_frame(ci="bc" if ci == "bca_simple" else "perc")
    lav = pd.DataFrame(L[ci])
    key = ["lhs", "op", "rhs"]
    m = lav.merge(ours, on=key, suffixes=("_l", ""))
    assert len(m) == len(lav)
    np.testing.assert_allclose(m["est"], m["est_l"], atol=1e-4)
    free = m["se_l"] > 0
    ratio = m.loc[free, "se"] / m.loc[free, "se_l"]
    assert ratio.between(0.9, 1.1).all(), ratio.describe()
    tol = _mc_tol(m.loc[free, "se_l"].to_numpy(), L["B"])
    for end in ("ci_lower", "ci_upper"):
        diff = (m.loc[free, end] - m.loc[free, end + "_l"]).abs().to_numpy()
        assert np.all(diff < tol), m.loc[free, ["lhs", "op", "rhs", end, end + "_l"]]


def test_latent_standardized_effects_match_lavaan_std_bootstrap(latent) -> None:
    L, res = latent
    std = pd.DataFrame({k: v for k, v in L["std"].items() if k != "B_ok"})
    ours = res.to_frame(ci="perc")
    m = std.merge(ours, on=["lhs", "op", "rhs"], suffixes=("_l", ""))
    assert len(m) == len(std) == 5
    np.testing.assert_allclose(m["std_all"], m["est_l"], atol=1e-4)  # lavaan est.std
    ratio = m["std_se"] / m["boot_sd"]
    assert ratio.between(0.9, 1.1).all(), ratio
    tol = _mc_tol(m["boot_sd"].to_numpy(), L["B"])
    assert np.all((m["std_ci_lower"] - m["ci_lower_l"]).abs() < tol)
    assert np.all((m["std_ci_upper"] - m["ci_upper_l"]).abs() < tol)


def test_path_model_with_fixed_x_matches_lavaan() -> None:
    P = FIX["path"]
    data = pd.read_csv(FIXDIR / P["data"])
    res = bootstrap(P["syntax"], data, n_boot=2000, seed=8, n_jobs=2)
    ours = res.to_frame()
    lav = pd.DataFrame(P["bca_simple"])
    m = lav.merge(ours, on=["lhs", "op", "rhs"], suffixes=("_l", ""))
    np.testing.assert_allclose(m["est"], m["est_l"], atol=1e-5)
    free = m["se_l"] > 0
    assert (m.loc[free, "se"] / m.loc[free, "se_l"]).between(0.9, 1.1).all()
    tol = _mc_tol(m.loc[free, "se_l"].to_numpy(), min(P["B"], 2000))
    assert np.all((m.loc[free, "ci_lower"] - m.loc[free, "ci_lower_l"]).abs() < tol)
    assert np.all((m.loc[free, "ci_upper"] - m.loc[free, "ci_upper_l"]).abs() < tol)


def test_refit_tolerance_costs_nothing_measurable() -> None:
    L = FIX["latent"]
    data = pd.read_csv(FIXDIR / L["data"])
    ff = full_fit(L["syntax"], data)
    loose = RefitSpec(SemCompiler(ff.compiler.syntax, ff.compiler.ov_names, tol=REFIT_TOL), ff.X, ff.theta, 1)
    tight = RefitSpec(SemCompiler(ff.compiler.syntax, ff.compiler.ov_names, tol=1e-12), ff.X, ff.theta, 1)
    a = run_draws(loose, 100, n_jobs=1).theta
    b = run_draws(tight, 100, n_jobs=1).theta
    assert np.nanmax(np.abs(a - b)) < 1e-4


def test_sem_draws_identical_across_process_counts() -> None:
    P = FIX["path"]
    data = pd.read_csv(FIXDIR / P["data"])
    one = bootstrap(P["syntax"], data, n_boot=300, seed=2, n_jobs=1)
    two = bootstrap(P["syntax"], data, n_boot=300, seed=2, n_jobs=2, chunk=100)
    np.testing.assert_array_equal(one.draws, two.draws)
    np.testing.assert_array_equal(one.defined_std_draws, two.defined_std_draws)
    d = one.to_dict()
    json.dumps(d)
    assert d["n_boot"] == 300 and d["n_failed"] == 0 and d["params"][0]["lhs"] == "m"


@pytest.mark.parametrize("which", ["latent", "path"])
def test_batched_standardization_matches_core_per_draw(which: str) -> None:
    F = FIX[which]
    data = pd.read_csv(FIXDIR / F["data"])
    ff = full_fit(F["syntax"], data)
    ref = SemCompiler(ff.compiler.syntax, ff.compiler.ov_names)()
    cm = ref.cm
    from cbeclab.sem.resample import block_covariances

    covs = block_covariances(ff.X, 4, 0, 40)
    thetas = np.array([cm.fit_cov(covs[i], ff.X.shape[0], start=ff.theta)[0] for i in range(40)])
    std, dfn = ref.post_many(thetas, covs)
    for i in range(40):
        cm.set_exo(covs[i])
        np.testing.assert_allclose(std[i], cm.standardized(thetas[i]), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(dfn[i], cm.defined(thetas[i]), rtol=1e-12, atol=1e-14)
