"""Properties, input errors, JSON safety and doctests of cbeclab.measure."""

from __future__ import annotations

import doctest
import importlib
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cbeclab.datasets.survey as survey_mod
from cbeclab.datasets.survey import synthetic_yongkang_survey
from cbeclab.errors import ConvergenceError, DataError, ModelError, SpecError
from cbeclab.measure import (
    bartlett_sphericity,
    composite_reliability,
    cronbach_alpha,
    describe_items,
    efa,
    fornell_larcker,
    htmt,
    kmo,
    omega_total,
    parallel_analysis,
    promax,
    varimax,
)

DATA = synthetic_yongkang_survey(n=233, seed=0)
F1 = DATA[["T11", "T12", "T13", "T14", "T15"]]


def _factor_data(seed: int, n: int = 300, p_per: int = 4, k: int = 2, noise: float = 0.7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((n, k))
    x = np.repeat(f, p_per, axis=1) + noise * rng.standard_normal((n, k * p_per))
    return pd.DataFrame(x, columns=[f"x{i}" for i in range(k * p_per)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 1000))
def test_alpha_invariant_to_item_order_and_scale(seed: int, perm_seed: int) -> None:
    x = _factor_data(seed, k=1, p_per=5)
    a = cronbach_alpha(x)
    cols = list(np.random.default_rng(perm_seed).permutation(x.columns))
    b = cronbach_alpha(x[cols])
    assert a.raw_alpha == pytest.approx(b.raw_alpha)
    assert b.item_stats.loc["x0", "r_drop"] == pytest.approx(a.item_stats.loc["x0", "r_drop"])
    z = (x - x.mean()) / x.std()
    assert cronbach_alpha(z).raw_alpha == pytest.approx(a.std_alpha)  # standardized alpha = alpha of z-scores
    assert (a.item_stats["r_drop"].abs() <= 1).all()
    assert 0 <= kmo(x).overall <= 1


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_rotations_preserve_communalities(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lam = rng.uniform(-0.9, 0.9, size=(8, 3)) / np.sqrt(3)
    rot, t = varimax(lam)
    np.testing.assert_allclose(t @ t.T, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(rot, lam @ t, atol=1e-10)
    np.testing.assert_allclose((rot**2).sum(1), (lam**2).sum(1), atol=1e-10)
    pat, u, phi = promax(lam)
    np.testing.assert_allclose(np.diag(phi), 1.0, atol=1e-10)
    np.testing.assert_allclose(pat, lam @ u, atol=1e-8)
    np.testing.assert_allclose(np.diag(pat @ phi @ pat.T), (lam**2).sum(1), atol=1e-8)


@pytest.mark.parametrize("fm", ["pa", "ml", "minres"])
@pytest.mark.parametrize("rotate", ["varimax", "promax"])
def test_efa_conventions(fm: str, rotate: str) -> None:
    res = efa(_factor_data(1, k=3), 3, fm=fm, rotate=rotate)  # type: ignore[arg-type]
    assert (res.loadings.sum() > 0).all()
    ss = res.variance.loc["SS loadings"].to_numpy()
    assert (np.diff(ss) <= 1e-12).all()
    np.testing.assert_allclose(res.communality + res.uniqueness, 1.0)
    assert res.variance.loc["Cumulative Proportion"].iloc[-1] == pytest.approx(1.0)
    assert (res.phi is not None) == (rotate == "promax")
    # clear simple structure: each item loads on one factor
    assert (res.loadings.abs().max(axis=1) > 0.6).all()
    assert res.to_frame().shape == (12, 6)


def test_efa_one_factor_and_correlation_input() -> None:
    r = F1.corr()
    a = efa(F1, 1, fm="ml")
    b = efa(corr=r, n_factors=1, fm="ml", n_obs=233)
    np.testing.assert_allclose(a.loadings.to_numpy(), b.loadings.to_numpy(), atol=1e-8)
    assert a.rotate == "none" and list(a.loadings.columns) == ["ML1"]
    assert "Cumulative Var" not in a.variance.index


def test_omega_definitions_agree_for_exact_one_factor() -> None:
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1)
    res = omega_total(corr=r, fm="ml")
    want = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert res.omega == pytest.approx(want, abs=1e-6)
    assert res.omega_psych == pytest.approx(want, abs=1e-6)
    assert composite_reliability({"F": lam}).table.loc["F", "cr"] == pytest.approx(want)


def test_describe_with_missing_and_types() -> None:
    x = pd.DataFrame({"a": [1.0, 2, np.nan, 4, 5, 5], "b": [3.0, 3, 4, 4, 5, 1]})
    t = describe_items(x).table
    assert t.loc["a", "n"] == 5 and t.loc["a", "missing"] == 1
    assert t.loc["a", "mean"] == pytest.approx(3.4)
    v = np.array([1.0, 2, 4, 5, 5])
    m, s = v.mean(), v.std(ddof=1)
    assert t.loc["a", "skew"] == pytest.approx(((v - m) ** 3).sum() / (5 * s**3))
    g1 = describe_items(x, type=1).table.loc["a", "skew"]
    assert g1 == pytest.approx(np.sqrt(5) * ((v - m) ** 3).sum() / (((v - m) ** 2).sum() ** 1.5))


def test_input_errors() -> None:
    with pytest.raises(DataError, match="non-numeric"):
        cronbach_alpha(pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}))
    with pytest.raises(DataError, match="without variance"):
        kmo(pd.DataFrame({"a": [1, 1, 1], "b": [1, 2, 3], "c": [3, 1, 2]}))
    with pytest.raises(DataError, match="reverse"):
        cronbach_alpha(F1, reverse=["nope"])
    with pytest.raises(DataError):
        bartlett_sphericity(corr=F1.corr())  # n_obs missing
    with pytest.raises(DataError):
        kmo(F1, corr=F1.corr())
    with pytest.raises(DataError):
        kmo(corr=np.ones((2, 3)))
    with pytest.raises(SpecError):
        efa(F1, 1, fm="wls")  # type: ignore[arg-type]
    with pytest.raises(SpecError):
        efa(F1, 1, rotate="oblimin")  # type: ignore[arg-type]
    with pytest.raises(SpecError):
        efa(F1, 5)
    with pytest.raises(SpecError):
        describe_items(F1, type=4)  # type: ignore[arg-type]
    with pytest.raises(ModelError):
        dup = F1.assign(T16=F1["T11"] + F1["T12"])
        kmo(dup)
    assert issubclass(ConvergenceError, ModelError)


def test_reverse_keying_matches_manual_flip() -> None:
    flipped = F1.copy()
    flipped["T12"] = 6 - flipped["T12"]
    a = cronbach_alpha(flipped, reverse="T12")
    b = cronbach_alpha(F1)
    assert a.raw_alpha == pytest.approx(b.raw_alpha)
    assert a.reversed == ("T12",)


def test_results_are_json_safe() -> None:
    m = survey_mod.yongkang_model()
    scales = {c: m.items_of(c) for c in m.constructs}
    results = [
        describe_items(DATA),
        cronbach_alpha(F1),
        omega_total(F1),
        composite_reliability({"F1": [0.7, 0.8]}),
        fornell_larcker(m.latent_corr, ave=m.construct_info["ave"]),
        htmt(DATA, scales),
        kmo(DATA),
        bartlett_sphericity(DATA),
        efa(DATA, 5, fm="ml", rotate="promax"),
        parallel_analysis(F1, n_iter=3),
    ]
    for res in results:
        json.dumps(res.to_dict(), allow_nan=False)
        assert isinstance(res.to_frame(), pd.DataFrame)


@pytest.mark.parametrize(
    "module",
    [
        "cbeclab.measure.descriptives",
        "cbeclab.measure.alpha",
        "cbeclab.measure.omega",
        "cbeclab.measure.reliability",
        "cbeclab.measure.validity",
        "cbeclab.measure.kmo",
        "cbeclab.measure.bartlett",
        "cbeclab.measure.efa",
        "cbeclab.measure.parallel",
        "cbeclab.datasets.survey",
    ],
)
def test_doctests(module: str) -> None:
    out = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert out.failed == 0 and out.attempted > 0
