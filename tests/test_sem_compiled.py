"""The compiled fast path used by the bootstrap: fit_cov, analytic derivatives, standardized, defined."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbeclab.datasets.classic import holzinger_swineford, political_democracy
from cbeclab.sem import Model

FIX = Path(__file__).parent / "fixtures"
POLDEM = json.loads((FIX / "sem_poldem.json").read_text())["model"]
MED = json.loads((FIX / "sem_mediation.json").read_text())["model"]
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _cov(df: pd.DataFrame, cols: tuple[str, ...], idx: np.ndarray | None = None) -> np.ndarray:
    X = df[list(cols)].to_numpy(float)
    if idx is not None:
        X = X[idx]
    return np.cov(X, rowvar=False, bias=True)


@pytest.mark.parametrize(("syntax", "loader"), [(HS, holzinger_swineford), (POLDEM, political_democracy)])
def test_analytic_derivatives_match_numerical(syntax: str, loader) -> None:
    m = Model(syntax)
    res = m.fit(loader())
    cm = m.compile()
    rng = np.random.default_rng(0)
    S = _cov(loader(), cm.ov_names, rng.integers(0, res.nobs, res.nobs))
    th = res.theta + 0.01 * rng.normal(size=res.theta.size)
    cm.set_exo(S)
    h = 1e-6
    eye = np.eye(th.size)

    def f(t: np.ndarray) -> float:
        Sig, _, _ = cm.implied(t)
        return float(np.linalg.slogdet(Sig)[1] + np.trace(np.linalg.solve(Sig, S)))

    g_num = np.array([(f(th + h * e) - f(th - h * e)) / (2 * h) for e in eye])
    assert np.allclose(cm.gradient(th, S), g_num, atol=1e-6)
    H_num = np.array([(cm.gradient(th + h * e, S) - cm.gradient(th - h * e, S)) / (2 * h) for e in eye])
    assert np.allclose(cm.observed_hessian(th, S), H_num, atol=1e-5 * np.abs(H_num).max())


def test_warm_refit_equals_full_fit_on_resample() -> None:
    df = political_democracy()
    m = Model(POLDEM)
    res = m.fit(df)
    cm = m.compile()
    rng = np.random.default_rng(5)
    idx = rng.integers(0, len(df), len(df))
    S = _cov(df, cm.ov_names, idx)
    th, ok, it = cm.fit_cov(S, len(df), start=res.theta)
    assert ok and it < 15
    ref = Model(POLDEM).fit(df.iloc[idx].reset_index(drop=True))
    assert np.allclose(th, ref.theta, atol=1e-6)
    th2, ok2, _ = cm.fit_cov(S, len(df), start=res.theta, newton=False)
    assert ok2 and np.allclose(th2, ref.theta, atol=1e-5)


def test_standardized_and_defined_match_result() -> None:
    df = pd.read_csv(FIX / "sem_mediation_data.csv")
    m = Model(MED)
    res = m.fit(df)
    cm = m.compile()
    assert np.allclose(cm.standardized(res.theta), res.params["std_all"], atol=1e-12, equal_nan=True)
    d = res.params[res.params["op"] == ":="]
    assert np.allclose(cm.defined(res.theta), d["est"])


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_refit_is_stationary_point(seed: int) -> None:
    """Property: every warm refit ends at a zero gradient of F_ML."""
    df = holzinger_swineford()
    m = Model(HS)
    cm = m.compile()
    base = m.fit(df)
    rng = np.random.default_rng(seed)
    S = _cov(df, cm.ov_names, rng.integers(0, len(df), len(df)))
    th, ok, _ = cm.fit_cov(S, len(df), start=base.theta)
    assert ok
    assert np.abs(cm.gradient(th, S)).max() < 1e-6
