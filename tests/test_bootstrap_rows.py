"""Row-resampling bootstrap (cbeclab.sem.rowboot): FIML, MLR and multi-group, against lavaan 0.6-14.

Fixture: tests/fixtures/boot_fiml_mg.json (``Rscript tests/fixtures/r/boot_fiml_mg.R``): lavaan
``se = "bootstrap"`` (500, 500 and 300 draws), percentile CIs, on tests/fixtures/sem_likert_missing.csv
(600 Likert answers, ~5 % cells missing): a FIML mediation model and a two-group mediation with
``c(a1, a2)`` labels and ``diff := ind_small - ind_large``, listwise and FIML.  lavaan refuses
``se = "bootstrap"`` with ``estimator = "MLR"``; MLR has the ML estimates, so our MLR bootstrap is
compared with lavaan's ML (FIML) one.  Our resamples differ from R's, so:

* point estimates: 1e-3 (same fit);
* bootstrap SEs: within 20 % (the Monte-Carlo SD of the ratio of two SEs from 300-500 draws each
  is about 5 %; 20 % is four of them);
* percentile endpoints: within 4 Monte-Carlo SEs of the difference of two independent bootstrap
  quantiles, ``se · √(p(1−p)) · √(1/B₁ + 1/B₂) / φ(z_p)`` at ``p = 0.025``.

The stacked FIML kernel is checked against cbeclab.sem.fiml.Patterns to 1e-9.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.sem import Model
from cbeclab.sem.bootstrap import bootstrap
from cbeclab.sem.dist import norm
from cbeclab.sem.estimate import chain_gradient, expected_information, fit_ml
from cbeclab.sem.fiml import Patterns, em_h1
from cbeclab.sem.moments import MomentModel
from cbeclab.sem.partable import build_partable
from cbeclab.sem.resample import draw_counts, draw_indices
from cbeclab.sem.rowboot import StackedPatterns, bootstrap_rows

FIXDIR = Path(__file__).parent / "fixtures"
REF_PATH = FIXDIR / "boot_fiml_mg.json"
LK = FIXDIR / "sem_likert_missing.csv"
OURS_B = 300


def _lk() -> pd.DataFrame:
    return pd.read_csv(LK)


def _mc_tol(se: np.ndarray, b1: int, b2: int, k: float = 4.0) -> np.ndarray:
    p = 0.025
    return k * se * math.sqrt(p * (1 - p)) * math.sqrt(1 / b1 + 1 / b2) / norm.pdf(norm.ppf(p))


def test_stacked_patterns_match_patterns() -> None:
    syn = "A =~ a1 + a2 + a3 + a4\nB =~ b1 + b2 + b3 + b4\nB ~ A"
    pt = build_partable(syn, meanstructure=True)
    mm = MomentModel(pt)
    X = _lk()[list(pt.ov_names)].to_numpy(float)
    X = X[np.isfinite(X).any(axis=1)]
    counts = draw_counts(draw_indices(3, X.shape[0], 0, 1), X.shape[0])[0]
    resample = X[np.repeat(np.arange(X.shape[0]), counts.astype(int))]
    pats = Patterns(resample, pt.ov_names)
    codes, inv = np.unique(np.isfinite(X), axis=0, return_inverse=True)
    sp = StackedPatterns.of(X, counts, codes, np.asarray(inv).reshape(-1))
    m1, c1, _ = em_h1(Patterns(X, pt.ov_names))
    th = mm.start_values(m1, c1) + 0.03
    mu, S = mm.implied(th)
    dmu, dS = mm.jacobian(th)
    assert sp.loglik(mu, S) == pytest.approx(pats.loglik(mu, S), abs=1e-9)
    g, info = sp.gradient_information(mu, S, dmu, dS)
    np.testing.assert_allclose(g, chain_gradient(*pats.gradient(mu, S), dmu, dS), atol=1e-9)
    np.testing.assert_allclose(info, expected_information(pats, S, dmu, dS), atol=1e-8)
    bad = S.copy()
    bad[0, 0] = -1.0
    assert sp.loglik(mu, bad) == -math.inf


def test_row_draws_are_fiml_refits_of_the_resampled_rows() -> None:
    """Draw b is the FIML fit (cbeclab.sem.estimate.fit_ml) of rows draw_indices(seed, n, b, b+1)."""
    syn = "A =~ a1 + a2 + a3 + a4\nB =~ b1 + b2 + b3 + b4\nB ~ a*A"
    df = _lk()
    res = bootstrap_rows(syn, df, n_boot=3, seed=5, missing="ml", n_jobs=1)
    from cbeclab.sem.general import prepare_rows

    pt = build_partable(syn, meanstructure=True)
    X, _n, _notes = prepare_rows(Model(syn), pt, df, "ml")
    mm = MomentModel(pt)
    idx = draw_indices(5, X.shape[0], 0, 3)
    for b in range(3):
        th, ok, _it = fit_ml(mm, Patterns(X[idx[b]], pt.ov_names), res.estimate, tol=1e-16)
        assert ok
        assert np.abs(th - res.draws[b]).max() < 1e-4


def test_complete_data_rows_and_covariance_bootstraps_see_the_same_resamples() -> None:
    """On complete data a one-group row bootstrap uses the covariance bootstrap's resamples, so
    FIML (with free intercepts) and ML refits give the same loadings, paths and variances."""
    fix = json.loads((FIXDIR / "boot_lavaan.json").read_text())["latent"]
    df = pd.read_csv(FIXDIR / fix["data"])
    a = bootstrap(fix["syntax"], df, n_boot=40, seed=9, n_jobs=1)
    b = bootstrap_rows(fix["syntax"], df, n_boot=40, seed=9, missing="ml", n_jobs=1)
    fa = a.to_frame(ci="perc").set_index(["lhs", "op", "rhs"])
    fb = b.to_frame(ci="perc")
    fb = fb[fb["op"] != "~1"].set_index(["lhs", "op", "rhs"])
    common = fa.index.intersection(fb.index)
    assert len(common) == len(fa)
    for col in ("est", "se", "ci_lower", "ci_upper", "std_se"):
        np.testing.assert_allclose(fb.loc[common, col], fa.loc[common, col], atol=2e-4)


@pytest.fixture(scope="module")
def ref() -> dict:
    if not REF_PATH.exists():  # pragma: no cover - the fixture is committed
        pytest.fail("tests/fixtures/boot_fiml_mg.json is missing: Rscript tests/fixtures/r/boot_fiml_mg.R")
    return json.loads(REF_PATH.read_text())


def _compare(ours: pd.DataFrame, lav: dict, B_lav: int, keys: list[str]) -> None:
    tab = pd.DataFrame(lav)
    if "group" in tab:
        tab["group"] = tab["group"].map(lambda g: "" if g in (0, None) else g)
    m = tab.merge(ours, on=keys, suffixes=("_l", ""))
    assert len(m) == len(tab), (len(m), len(tab))
    np.testing.assert_allclose(m["est"], m["est_l"], atol=1e-3)
    free = m["se_l"] > 0
    ratio = m.loc[free, "se"] / m.loc[free, "se_l"]
    assert ratio.between(0.8, 1.2).all(), m.loc[free].assign(ratio=ratio)[keys + ["se", "se_l", "ratio"]]
    tol = _mc_tol(m.loc[free, "se_l"].to_numpy(), B_lav, OURS_B)
    for end in ("ci_lower", "ci_upper"):
        diff = (m.loc[free, end] - m.loc[free, end + "_l"]).abs().to_numpy()
        assert np.all(diff < tol), m.loc[free, keys + [end, end + "_l"]]


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_fiml_bootstrap_matches_lavaan(ref: dict, estimator: str) -> None:
    case = "fiml"
    res = bootstrap_rows(ref["single"], _lk(), n_boot=OURS_B, seed=11, missing="ml", estimator=estimator, n_jobs=2)
    assert res.n_failed == 0
    _compare(res.to_frame(ci="perc"), ref[case]["perc"], ref[case]["B_ok"], ["lhs", "op", "rhs"])


@pytest.mark.parametrize("case, missing", [("mg", "listwise"), ("mg_fiml", "ml")])
def test_multigroup_bootstrap_matches_lavaan(ref: dict, case: str, missing: str) -> None:
    assert case in ref, f"{case} missing from the fixture: rerun tests/fixtures/r/boot_fiml_mg.R"
    res = bootstrap_rows(ref["multigroup"], _lk(), n_boot=OURS_B, seed=12, group="size", missing=missing, n_jobs=2)
    assert res.n_failed == 0
    ours = res.to_frame(ci="perc")
    assert set(ours["group"]) == {"small", "large", ""}
    lav = dict(ref[case]["perc"])
    labels = {1: "small", 2: "large"}
    lav["group"] = [labels.get(g, "") if isinstance(g, int) else g for g in lav["group"]]
    _compare(ours, lav, ref[case]["B_ok"], ["lhs", "op", "rhs", "group"])
    d = ours.set_index("lhs").loc["diff"]
    small, large = ours.set_index("lhs").loc["ind_small", "est"], ours.set_index("lhs").loc["ind_large", "est"]
    assert d["est"] == pytest.approx(small - large)


def test_multigroup_draws_are_stratified() -> None:
    """Each group is resampled from its own rows with its own stream (lavaan resamples per group)."""
    a = draw_indices(3, 50, 0, 10, stream=0)
    b = draw_indices(3, 50, 0, 10, stream=1)
    c = draw_indices(3, 50, 0, 10)
    assert not np.array_equal(a, b) and not np.array_equal(a, c)
    np.testing.assert_array_equal(a, draw_indices(3, 50, 0, 10, stream=0))
