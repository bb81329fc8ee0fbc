"""Synergy stages (seed 001 §4) with the thresholds of rules/stages.yaml."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cbeclab.diagnose.stages import latest_stage, load_stage_rules, synergy_stage
from cbeclab.errors import DataError, SpecError
from cbeclab.models.synergy import synergy


def test_boundaries_of_bundled_rules() -> None:
    vals = [-0.5, -1e-9, 0.0, 1e-9, 0.1999999, 0.2, 0.4999, 0.5, 0.6, 0.7999, 0.8, 1.0]
    s = pd.Series(vals, index=pd.MultiIndex.from_product([["c"], range(len(vals))]))
    got = synergy_stage(s)["stage"].tolist()
    assert got == [
        "non_synergistic",
        "non_synergistic",
        "non_synergistic",
        "initial",
        "initial",
        "development",
        "development",
        "expansion",
        "expansion",
        "expansion",
        "mature",
        "mature",
    ]


def test_paper_values_land_where_the_paper_puts_them() -> None:
    # seed 001: textile < 0.2 (initial), jewelry 0.2 / beauty 0.3 / food 0.4 (starting & development),
    # leather ~0.6 (expansion)
    s = pd.Series({"textile": 0.15, "jewelry": 0.2, "beauty": 0.3, "food": 0.4, "leather": 0.6})
    t = synergy_stage(s).set_index("entity")
    assert t.loc["textile", "stage"] == "initial"
    assert set(t.loc[["jewelry", "beauty", "food"], "stage"]) == {"development"}
    assert t.loc["leather", "stage"] == "expansion" and t.loc["leather", "stage_zh"] == "扩张"


def test_labels_and_missing() -> None:
    s = pd.Series([float("nan"), -0.2, 0.9], index=pd.MultiIndex.from_product([["c"], [1, 2, 3]]))
    t = synergy_stage(s)
    assert t["stage"][0] is None and t["stage_zh"][0] is None
    assert t["stage_en"][1] == "non-synergistic" and t["stage_zh"][1] == "负向协同"
    assert t["stage_zh"][2] == "成熟"
    assert list(t.columns) == ["entity", "period", "synergy", "stage", "stage_en", "stage_zh"]


def test_custom_thresholds_mapping_and_yaml(tmp_path) -> None:
    s = pd.Series([0.25, 0.45])
    t = synergy_stage(s, thresholds={"development": 0.3, "expansion": 0.4})
    assert t["stage"].tolist() == ["initial", "expansion"]
    rules = load_stage_rules()
    path = tmp_path / "stages.yaml"
    import yaml

    rules["stages"][1]["lower"] = 0.1
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    assert synergy_stage(s, thresholds=str(path))["stage"].tolist() == ["development", "development"]


@pytest.mark.parametrize(
    "bad",
    [{"development": 0.6}, {"initial": 0.1}, {"peak": 0.9}, {"mature": 1.2}, 3],
)
def test_bad_thresholds(bad) -> None:
    with pytest.raises(SpecError):
        synergy_stage(pd.Series([0.3]), thresholds=bad)


def test_from_synergy_result_and_latest() -> None:
    idx = pd.MultiIndex.from_product([["a", "b"], [2019, 2020, 2021]], names=["cluster", "year"])
    X = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 3.0, 2.0, 2.5], "y": [1.0, 1.5, 4.0, 1.0, 2.0, 3.0]},
        index=idx,
    )
    r = synergy(X, {"T": {"x": "+"}, "K": {"y": "+"}}, weights="equal")
    t = synergy_stage(r)
    assert len(t) == 6 and t["stage"][0] is None
    lat = latest_stage(r)
    assert lat["entity"].tolist() == ["a", "b"] and lat["period"].tolist() == [2021, 2021]
    for _, row in lat.iterrows():
        c = row["synergy"]
        assert not math.isnan(c)
    # b: x fell against 2019 -> non-synergistic
    assert lat.set_index("entity").loc["b", "stage"] == "non_synergistic"
    # the .synergy frame gives the same answer
    assert synergy_stage(r.synergy)["stage"].equals(t["stage"])


def test_bad_values() -> None:
    with pytest.raises(DataError):
        synergy_stage(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(DataError):
        synergy_stage(np.array([0.1]))
