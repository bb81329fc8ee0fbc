"""Seed 004 empowerment: C/T/D by hand, the three classification tests at their thresholds, profiles.

Reference: hand calculation of the classical coupling model for three scores,
C = 3 (U1 U2 U3)^(1/3) / (U1 + U2 + U3), T = mean, D = sqrt(C T), and the rule of
cbeclab/diagnose/rules/empowerment.yaml.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cbeclab.diagnose.empowerment import (
    classify_empowerment,
    diagnose_cluster,
    empowerment_scores,
    list_cluster_profiles,
    load_cluster_profile,
    load_empowerment_rules,
)
from cbeclab.errors import DataError, SpecError

DIMS = ["technology_empowerment", "market_adaptation", "ecological_symbiosis"]


def _s(a: float, b: float, c: float) -> dict[str, float]:
    return dict(zip(DIMS, (a, b, c)))


def _rules(**over: float) -> dict:
    R = dict(load_empowerment_rules())
    R["classification"] = {**R["classification"], **over}
    return R


def test_ctd_by_hand_and_pattern() -> None:
    r = classify_empowerment(_s(0.8, 0.5, 0.5))
    C = 3 * (0.8 * 0.5 * 0.5) ** (1 / 3) / 1.8
    T = 0.6
    row = r.table.iloc[0]
    assert row["C"] == pytest.approx(C, abs=1e-12)
    assert row["T"] == pytest.approx(T, abs=1e-12)
    assert row["D"] == pytest.approx(math.sqrt(C * T), abs=1e-12)
    assert r.pattern == "system_reconstruction"
    assert row["pattern_zh"] == "系统重构"
    assert r.weakest == "market_adaptation" and row["leading"] == "technology_empowerment"


def test_lopsided_cluster_is_single_point() -> None:
    r = classify_empowerment(_s(0.9, 0.3, 0.3))
    row = r.table.iloc[0]
    assert row["C"] == pytest.approx(3 * 0.081 ** (1 / 3) / 1.5, abs=1e-12)  # 0.865
    assert not row["c_ok"] and not row["u_ok"] and r.pattern == "single_point"
    assert row["pattern_zh"] == "单点突破"
    assert any("< 0.95" in t for t in r.reasons[0]["en"])


def test_floor_threshold() -> None:
    u = load_empowerment_rules()["classification"]["u_min"]
    above = classify_empowerment(_s(0.8, 0.75, u))
    below = classify_empowerment(_s(0.8, 0.75, u - 1e-6))
    assert above.pattern == "system_reconstruction" and below.pattern == "single_point"
    assert below.table["d_ok"].iloc[0] and below.table["c_ok"].iloc[0] and not below.table["u_ok"].iloc[0]


def test_level_threshold() -> None:
    # equal scores: C = 1, D = sqrt(u); D >= 0.6 iff u >= 0.36 (floor and balance switched off)
    R = _rules(u_min=0.0, c_min=0.0)
    assert classify_empowerment(_s(0.36, 0.36, 0.36), rules=R).pattern == "system_reconstruction"
    assert classify_empowerment(_s(0.36 - 1e-6, 0.36 - 1e-6, 0.36 - 1e-6), rules=R).pattern == "single_point"


def test_balance_threshold() -> None:
    scores = _s(0.9, 0.6, 0.6)
    C = 3 * (0.9 * 0.36) ** (1 / 3) / 2.1
    assert classify_empowerment(scores, rules=_rules(d_min=0.0, u_min=0.0, c_min=C - 1e-9)).pattern == (
        "system_reconstruction"
    )
    assert (
        classify_empowerment(scores, rules=_rules(d_min=0.0, u_min=0.0, c_min=C + 1e-9)).pattern
        == "single_point"
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
def test_rule_matches_its_definition(u: list[float]) -> None:
    r = classify_empowerment(_s(*u))
    row = r.table.iloc[0]
    c = load_empowerment_rules()["classification"]
    expect = (
        row["D"] >= c["d_min"] - 1e-12 and row["C"] >= c["c_min"] - 1e-12 and min(u) >= c["u_min"] - 1e-12
    )
    assert (r.pattern == "system_reconstruction") == bool(expect)
    assert 0.0 <= row["D"] <= 1.0 + 1e-12
    assert row["weakest"] == DIMS[int(np.argmin(u))]


def test_levers_of_weakest_dimension_and_element() -> None:
    R = load_empowerment_rules()
    levers = {d["key"]: d["levers"] for d in R["dimensions"]}
    r = classify_empowerment(_s(0.7, 0.4, 0.8))
    assert [x["id"] for x in r.levers[0]] == levers["market_adaptation"]
    els = {"technological_innovation": 0.6, "data_elements": 0.7, "new_labourers": 0.2}
    r2 = classify_empowerment(_s(0.7, 0.4, 0.8), elements=els)
    ids = [x["id"] for x in r2.levers[0]]
    assert ids[: len(levers["market_adaptation"])] == levers["market_adaptation"] and "s004_labour" in ids
    assert r2.table["weakest_element"].iloc[0] == "new_labourers"
    with pytest.raises(DataError):
        classify_empowerment(_s(0.7, 0.4, 0.8), elements={**els, "new_labourers": 1.5})


def test_three_guangdong_clusters() -> None:
    R = load_empowerment_rules()
    exemplar = {d["exemplar"]: d["key"] for d in R["dimensions"]}
    assert set(exemplar) == set(list_cluster_profiles())
    for key, dim in exemplar.items():
        prof = load_cluster_profile(key)
        r = diagnose_cluster(prof)
        # the dimension the paper uses the cluster to exemplify is its leading one
        assert r.table["leading"].iloc[0] == dim
        assert set(prof.estimates) == set(DIMS)  # the paper gives no scores: all marked estimated
        assert len(prof.facts) >= 3 and all("seed 004" in f["source"] for f in prof.facts)
        json.dumps(r.to_dict(), allow_nan=False)
    assert diagnose_cluster("foshan_home").pattern == "system_reconstruction"
    assert diagnose_cluster("guangzhou_leather").weakest == "technology_empowerment"


def test_frame_input_several_rows() -> None:
    U = pd.DataFrame(
        {"entity": ["a", "a", "b"], "period": [1, 2, 1], **{f"U_{d}": [0.2, 0.7, 0.9] for d in DIMS}}
    )
    U["U_market_adaptation"] = [0.2, 0.6, 0.1]
    r = classify_empowerment(U)
    assert list(r.table["pattern"]) == ["single_point", "system_reconstruction", "single_point"]
    assert list(r.table["entity"]) == ["a", "a", "b"]


def test_scores_from_seed004_indicators_through_the_engine() -> None:
    from cbeclab.datasets.synthetic import synthetic_panel
    from cbeclab.frameworks import load_framework

    df = synthetic_panel(
        ["Z", "F", "G"], 5, load_framework("seed004"), seed=3, entity_name="cluster", period_name="year"
    )
    X = df.set_index(["cluster", "year"])
    U = empowerment_scores(X)
    assert [c for c in U.columns if c not in ("entity", "period")] == DIMS
    vals = U[DIMS].to_numpy()
    assert (vals >= 0).all() and (vals <= 1).all()
    r = classify_empowerment(U)
    assert len(r.table) == 15
    E = empowerment_scores(X, level="elements")
    assert list(E.columns[-3:]) == ["technological_innovation", "data_elements", "new_labourers"]
    with pytest.raises(SpecError):
        empowerment_scores(X, level="nope")


def _write(tmp_path: Path, scores: dict) -> Path:
    p = tmp_path / "cl.yaml"
    p.write_text(yaml.safe_dump({"kind": "cluster", "name": "c", "scores": scores}), encoding="utf-8")
    return p


def test_profile_errors_name_field_range_and_file(tmp_path: Path) -> None:
    p = _write(tmp_path, {**_s(0.5, 0.5, 0.5), "market_adaptation": 1.2})
    with pytest.raises(SpecError) as e:
        load_cluster_profile(p)
    assert "market_adaptation" in str(e.value) and "[0, 1]" in str(e.value) and str(p) in str(e.value)
    s = _s(0.5, 0.5, 0.5)
    del s["ecological_symbiosis"]
    with pytest.raises(SpecError, match="ecological_symbiosis"):
        load_cluster_profile(_write(tmp_path, s))
    with pytest.raises(SpecError, match="unknown"):
        load_cluster_profile(_write(tmp_path, {**_s(0.5, 0.5, 0.5), "brand": 0.3}))
