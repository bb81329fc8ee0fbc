"""Seed 003 development modes: bundled profiles, rule boundaries, profile validation.

Reference: hand evaluation of the rules in cbeclab/diagnose/rules/modes.yaml; the expected mode of
each bundled city is the one seed 003 (§2.1-§2.4) assigns to it (``paper_mode`` in the profile).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cbeclab.diagnose.modes import (
    CITY_FIELDS,
    list_city_profiles,
    load_city_profile,
    load_mode_rules,
    make_city_profile,
    rank_modes,
)
from cbeclab.errors import SpecError

PAPER_MODES = {
    "shenzhen": "industrial_agglomeration",
    "hangzhou": "industrial_agglomeration",
    "ningbo": "traditional_trade_online",
    "guangzhou": "traditional_trade_online",
    "suzhou": "traditional_trade_online",
    "zhengzhou": "b2c_retail_import",
    "chengdu": "silk_road_ecommerce",
    "hefei": "silk_road_ecommerce",
}


def test_all_eight_cities_are_bundled_with_sources() -> None:
    assert set(PAPER_MODES) <= set(list_city_profiles())
    for c in PAPER_MODES:
        p = load_city_profile(c)
        assert p.paper_mode == PAPER_MODES[c]
        assert any("seed 003" in s for s in p.sources)
        assert len(p.sources) >= 3


@pytest.mark.parametrize("city", sorted(PAPER_MODES))
def test_each_city_ranks_its_paper_mode_first(city: str) -> None:
    r = rank_modes(city)
    assert r.top.key == PAPER_MODES[city]
    assert [m.rank for m in r.ranking] == [1, 2, 3, 4, 5]
    norms = [m.normalised for m in r.ranking]
    assert norms == sorted(norms, reverse=True)
    assert r.top.unmet_preconditions == ()


def test_hangzhou_by_hand() -> None:
    # tier 2 <= 2 (2), GDP 18753 >= 15000 (1), pop 1237.6 >= 1000 (1), trade 7565.3 >= 5000 (1),
    # penetration 0.40 >= 0.30 (1), 8000 CBEC firms >= 8000 (2), 1500 service firms >= 1500 (2) = 10
    r = rank_modes("hangzhou")
    m1 = r.top
    assert (m1.score, m1.max_score, m1.n_fired) == (10.0, 10.0, 7)
    m2 = next(m for m in r.ranking if m.key == "traditional_trade_online")
    # coastal (2) + trade share 7565.3/18753 = 0.403 >= 0.35 (1) + industrial 21000 >= 20000 (1) = 4
    assert m2.score == 4.0
    fired = {h.rule for h in m2.hits if h.fired}
    assert fired == {"m2_coastal", "m2_trade_share", "m2_industry"}


def test_zhengzhou_is_a_flagged_close_call_broken_by_rules_fired() -> None:
    # Zhengzhou meets every B2C-import rule (5 rules) and every Silk-Road rule (3 rules): both 10/10;
    # the tie is broken by the number of independent preconditions met and flagged as a close call.
    r = rank_modes("zhengzhou")
    a, b = r.ranking[0], r.ranking[1]
    assert (a.key, b.key) == ("b2c_retail_import", "silk_road_ecommerce")
    assert a.normalised == b.normalised == 1.0
    assert a.n_fired > b.n_fired
    assert r.close_call and any("close call" in n for n in r.notes)


def test_unmet_preconditions_and_reasons() -> None:
    r = rank_modes("chengdu")
    m2 = next(m for m in r.ranking if m.key == "traditional_trade_online")
    assert [h.rule for h in m2.unmet_preconditions] == ["m2_coastal"]
    hit = next(h for h in r.top.hits if h.rule == "m4_rail")
    assert hit.fired and "2000" in hit.reason_en and "中欧班列" in hit.reason_zh


def test_suggestions_for_top_mode_come_from_the_library() -> None:
    r = rank_modes("hangzhou")
    ids = [s["id"] for s in r.suggestions]
    assert "s003_innovation" in ids and all(s["citation"].startswith("seed 003") for s in r.suggestions)


def test_to_dict_is_json() -> None:
    d = rank_modes("suzhou").to_dict()
    json.dumps(d, allow_nan=False)
    assert d["top_mode"] == "traditional_trade_online"
    assert rank_modes("suzhou").rules_frame().shape[0] == sum(len(m.rules) for m in load_mode_rules()[0])


def test_rules_yaml_is_documented() -> None:
    modes, close = load_mode_rules()
    assert [m.key for m in modes] == [
        "industrial_agglomeration",
        "traditional_trade_online",
        "b2c_retail_import",
        "silk_road_ecommerce",
        "bilateral_local",
    ]
    assert 0 < close < 1
    for m in modes:
        assert m.max_points == 10.0
        assert m.zh and m.en and m.preconditions["en"] and m.advantages["zh"] and m.limitations["en"]
        assert any(r.required for r in m.rules)
        for r in m.rules:
            assert "§2" in r.why and r.reason["en"] and r.reason["zh"]


# ---------------------------------------------------------------- rule boundaries

BASE = load_city_profile("hangzhou").values.model_dump()


def _sides(rule, base: dict) -> tuple[dict, dict]:
    """(holds, fails) profile values on either side of the rule's threshold."""
    t = rule.threshold
    hold, fail = dict(base), dict(base)
    if rule.field == "trade_share":
        g = base["gdp"]
        eps = 1e-6
        assert rule.op == "ge"
        hold["foreign_trade"] = t * g + eps
        fail["foreign_trade"] = t * g - eps
        return hold, fail
    meta = CITY_FIELDS[rule.field]
    if meta["type"] == "bool":
        hold[rule.field], fail[rule.field] = t, (not t)
        return hold, fail
    if meta["type"] == "choice":
        other = next(c for c in meta["choices"] if c != t)
        hold[rule.field], fail[rule.field] = t, other
        return hold, fail
    eps = 1 if meta["type"] == "int" else 1e-9 * max(1.0, abs(t))
    if rule.op == "ge":
        hold[rule.field], fail[rule.field] = t, t - eps
    elif rule.op == "gt":
        hold[rule.field], fail[rule.field] = t + eps, t
    elif rule.op == "le":
        hold[rule.field], fail[rule.field] = t, t + eps
    elif rule.op == "lt":
        hold[rule.field], fail[rule.field] = t - eps, t
    else:
        hold[rule.field], fail[rule.field] = t, t + eps
    return hold, fail


ALL_RULES = [(m.key, r) for m in load_mode_rules()[0] for r in m.rules]


@pytest.mark.parametrize("mode,rule", ALL_RULES, ids=[r.id for _, r in ALL_RULES])
def test_each_rule_moves_the_score_by_its_points_at_its_threshold(mode: str, rule) -> None:
    hold, fail = _sides(rule, BASE)
    s_hold = next(m for m in rank_modes(make_city_profile(hold)).ranking if m.key == mode)
    s_fail = next(m for m in rank_modes(make_city_profile(fail)).ranking if m.key == mode)
    assert s_hold.score - s_fail.score == pytest.approx(rule.points, abs=0)
    h = next(x for x in s_hold.hits if x.rule == rule.id)
    f = next(x for x in s_fail.hits if x.rule == rule.id)
    assert h.fired and not f.fired
    if rule.required:
        assert f in s_fail.unmet_preconditions and h not in s_hold.unmet_preconditions


def test_null_import_pilot_year_never_fires() -> None:
    p = make_city_profile({**BASE, "import_pilot_year": None})
    m3 = next(m for m in rank_modes(p).ranking if m.key == "b2c_retail_import")
    assert not next(h for h in m3.hits if h.rule == "m3_first_mover").fired


def test_border_city_fits_bilateral_mode() -> None:
    # a synthetic later-batch border city (values invented for the test)
    v = {
        **BASE,
        "city_tier": 4,
        "gdp": 2500,
        "population": 300,
        "foreign_trade": 600,
        "cbec_firms": 300,
        "service_firms": 50,
        "coastal": False,
        "airport_cargo": 2,
        "rail_trains": 0,
        "border_adjacent": True,
        "import_pilot_year": None,
        "pilot_year": 2019,
        "retail_sales": 1000,
    }
    assert rank_modes(make_city_profile(v, name="Border city (synthetic)")).top.key == "bilateral_local"


# ---------------------------------------------------------------- profile validation


def _write(tmp_path: Path, values: dict) -> Path:
    p = tmp_path / "city.yaml"
    p.write_text(yaml.safe_dump({"kind": "city", "name": "X", "values": values}), encoding="utf-8")
    return p


def test_missing_field_names_field_range_and_file(tmp_path: Path) -> None:
    v = dict(BASE)
    del v["gdp"]
    p = _write(tmp_path, v)
    with pytest.raises(SpecError) as e:
        load_city_profile(p)
    msg = str(e.value)
    assert "'gdp'" in msg and "[1, 100000]" in msg and str(p) in msg and "missing" in msg


def test_out_of_range_field(tmp_path: Path) -> None:
    p = _write(tmp_path, {**BASE, "population": 6000})
    with pytest.raises(SpecError) as e:
        load_city_profile(p)
    msg = str(e.value)
    assert "'population'" in msg and "6000" in msg and "[1, 5000]" in msg and str(p) in msg


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("belt_and_road_role", "maritime", "inland_hub"),
        ("ecommerce_penetration", 1.5, "[0, 1]"),
        ("coastal", "perhaps", "true or false"),
        ("import_pilot_year", 2005, "or null"),
    ],
)
def test_bad_values(tmp_path: Path, field: str, value: object, needle: str) -> None:
    with pytest.raises(SpecError) as e:
        load_city_profile(_write(tmp_path, {**BASE, field: value}))
    assert field in str(e.value) and needle in str(e.value)


def test_unknown_field_and_estimate_flags(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="unknown field 'gdp_growth'"):
        load_city_profile(_write(tmp_path, {**BASE, "gdp_growth": 5}))
    p = _write(tmp_path, {**BASE, "gdp": {"value": 18000, "estimate": True, "note": "rounded"}})
    prof = load_city_profile(p)
    assert prof.values.gdp == 18000 and prof.estimates == ("gdp",) and prof.notes["gdp"] == "rounded"
    with pytest.raises(SpecError, match="value"):
        load_city_profile(_write(tmp_path, {**BASE, "gdp": {"estimate": True}}))


def test_bad_rule_file(tmp_path: Path) -> None:
    p = tmp_path / "modes.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "modes": [
                    {
                        "key": "k",
                        "zh": "k",
                        "en": "k",
                        "rules": [
                            {
                                "id": "r",
                                "field": "nope",
                                "op": "ge",
                                "threshold": 1,
                                "points": 1,
                                "reason": {"en": "x"},
                            }
                        ],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="not a profile field"):
        load_mode_rules(p)


def test_sensitivity_to_estimates() -> None:
    # Guangzhou's CBEC firm count is an order-of-magnitude estimate (6,000); at the agglomeration
    # benchmark (8,000) the top mode would change, and the ranking says so.
    r = rank_modes("guangzhou")
    assert [(x["field"], x["alternative"], x["top_mode"]) for x in r.sensitivity] == [
        ("cbec_firms", 8000, "industrial_agglomeration")
    ]
    assert any("sensitive to an estimate: CBEC firms" in n for n in r.notes)
    # only estimated fields are probed: the same profile with nothing estimated reports nothing
    p = load_city_profile("guangzhou")
    firm = make_city_profile(p.values.model_dump(), name="Guangzhou, all values taken as exact")
    assert rank_modes(firm).sensitivity == ()
    assert rank_modes("hangzhou").sensitivity == ()
    # a flagged value moved across the threshold really gives the reported top mode
    assert rank_modes(p.replace(cbec_firms=8000)).top.key == "industrial_agglomeration"
