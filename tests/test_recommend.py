"""Recommendations appear exactly when their trigger holds (just below / just above each threshold).

Reference: the triggers of cbeclab/diagnose/rules/recommendations.yaml, evaluated by hand; stage
thresholds from cbeclab/diagnose/rules/stages.yaml (read through load_stage_rules).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cbeclab.diagnose.recommend import (
    KEY_LABELS,
    Diagnosis,
    build_diagnosis,
    load_recommendations,
    recommend,
    recommendations_frame,
)
from cbeclab.diagnose.stages import load_stage_rules
from cbeclab.errors import SpecError

LIB = load_recommendations()
STAGES = {s["key"]: float(s["lower"]) for s in load_stage_rules()["stages"]}
EPS = 1e-9


def ids(diag: dict, **kw) -> set[str]:
    return {r.id for r in recommend(diag, **kw)}


def _leaves(trigger: dict) -> list[dict]:
    if "all" in trigger:
        return [x for c in trigger["all"] for x in _leaves(c)]
    if "any" in trigger:
        return [x for c in trigger["any"] for x in _leaves(c)]
    return [trigger]


def test_library_is_well_formed() -> None:
    assert len({m.id for m in LIB}) == len(LIB) >= 25
    for m in LIB:
        assert m.citation.startswith("seed 00") and m.en and m.zh
        for leaf in _leaves(m.trigger):
            assert leaf["key"] in KEY_LABELS
    cats = {m.category for m in LIB}
    assert {"stage", "subsystem", "obstacle", "mode", "empowerment", "factors"} <= cats
    # every development mode and every empowerment dimension gets at least one measure
    for mode in (
        "industrial_agglomeration",
        "traditional_trade_online",
        "b2c_retail_import",
        "silk_road_ecommerce",
        "bilateral_local",
    ):
        assert ids({"mode": mode}) & {m.id for m in LIB if m.category == "mode"}
    for dim in ("technology_empowerment", "market_adaptation", "ecological_symbiosis"):
        assert ids({"weakest_dimension": dim})


def test_why_names_the_number_and_threshold() -> None:
    recs = recommend({"synergy": 0.18})
    assert [r.id for r in recs] == ["s001_digital_links"]
    assert recs[0].why_en == "synergy 0.18 < 0.5 (expansion stage threshold)"
    assert "扩张阶段阈值" in recs[0].why_zh


@pytest.mark.parametrize(
    "value,expected",
    [
        (STAGES["expansion"] - EPS, {"s001_digital_links"}),
        (STAGES["expansion"], {"s001_chain_integration", "s001_trusted_data"}),
        (STAGES["mature"] - EPS, {"s001_chain_integration", "s001_trusted_data"}),
        (STAGES["mature"], {"s001_deep_integration", "s001_trusted_data"}),
        (-0.3, {"s001_digital_links"}),
    ],
)
def test_stage_measures_at_the_stage_thresholds(value: float, expected: set[str]) -> None:
    assert ids({"synergy": value}, categories=["stage"]) == expected


def test_stage_thresholds_move_with_the_stage_rules() -> None:
    custom = {"initial": 0.0, "development": 0.1, "expansion": 0.3, "mature": 0.7}
    assert "s001_chain_integration" in ids({"synergy": 0.35}, stage_thresholds=custom)
    assert "s001_chain_integration" not in ids({"synergy": 0.35})


def test_coupling_threshold() -> None:
    assert "s002_coordination" in ids({"coupling_D": 0.5 - EPS})
    assert "s002_coordination" not in ids({"coupling_D": 0.5})


def _categorical_cases():
    for m in LIB:
        for leaf in _leaves(m.trigger):
            if "in" in leaf:
                for v in leaf["in"]:
                    yield m.id, leaf["key"], v


@pytest.mark.parametrize("mid,key,value", list(_categorical_cases()))
def test_categorical_trigger_fires_on_its_value_only(mid: str, key: str, value: str) -> None:
    lists = {"significant_roles", "nonsignificant_roles", "mediated_roles"}
    diag = {key: [value] if key in lists else value}
    assert mid in ids(diag)
    other = {key: ["__other__"] if key in lists else "__other__"}
    assert mid not in ids(other)
    assert mid not in ids({})


def test_nonempty_trigger() -> None:
    assert "s000_upgrading" in ids({"mediated_roles": ["any role"]})
    assert "s000_upgrading" not in ids({"mediated_roles": []})


def test_missing_diagnosis_gives_nothing() -> None:
    assert recommend({}) == []
    assert recommend(Diagnosis(synergy=float("nan"))) == []


def test_any_trigger_shows_the_condition_that_held() -> None:
    r = next(x for x in recommend({"top_obstacle": "institutional"}) if x.id == "s002_governance")
    # the obstacle is a dimension key of seed002: printed by its display name, not the key
    assert r.why_en == "top obstacle = Policy environment"
    assert "institutional" not in r.why_zh


def test_build_diagnosis_from_results() -> None:
    from cbeclab.diagnose.empowerment import diagnose_cluster
    from cbeclab.diagnose.modes import rank_modes

    d = build_diagnosis(
        modes=rank_modes("chengdu"), empowerment=diagnose_cluster("zhongshan_appliances"), synergy=0.42
    )
    assert d.mode == "silk_road_ecommerce" and d.weakest_dimension == "ecological_symbiosis"
    assert d.empowerment_pattern == "single_point" and d.synergy == 0.42
    recs = recommend(d)
    got = {r.id for r in recs}
    assert {"s003_linkage", "s004_collab_fund", "s004_system_policy", "s001_digital_links"} <= got
    why = next(r for r in recs if r.id == "s004_collab_fund").why_en
    assert "ecological symbiosis, U 0.450, lowest of 3" in why
    frame = recommendations_frame(recs, "zh")
    assert list(frame.columns) == ["id", "category", "measure", "why", "citation"] and len(frame) == len(recs)


def test_bad_library_and_keys(tmp_path: Path) -> None:
    p = tmp_path / "lib.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "measures": [
                    {
                        "id": "x",
                        "citation": "c",
                        "en": "e",
                        "zh": "z",
                        "trigger": {"key": "gdp", "op": "lt", "threshold": 1},
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="not a diagnosis key"):
        load_recommendations(p)
    with pytest.raises(SpecError, match="unknown diagnosis keys"):
        recommend({"gdp": 3})
