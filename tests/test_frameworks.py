"""Indicator frameworks: built-ins, B8 fix, extends/override/remove, validation messages, inline merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cbeclab.errors import SpecError
from cbeclab.frameworks import (
    Framework,
    list_frameworks,
    load_framework,
    merge_subsystems,
    parse_direction,
)


def test_builtins_listed_and_load() -> None:
    assert {"seed001", "seed002", "seed004"} <= set(list_frameworks())
    for name in list_frameworks():
        fw = load_framework(name)
        assert isinstance(fw, Framework) and fw.name == name
        json.dumps(fw.to_dict())
        frame = fw.to_frame()
        assert frame["indicator"].is_unique
        assert (frame["source"].str.len() > 0).all() and (frame["zh"].str.len() > 0).all()
        assert set(frame["direction"]) <= {1, -1}


def test_seed001_table4_structure_and_b8_fix() -> None:
    fw = load_framework("seed001")
    subs = fw.subsystems()
    assert list(subs) == ["digital_trade", "industrial_cluster"]
    assert list(subs["digital_trade"]) == [f"A{k}" for k in range(1, 12)]
    assert list(subs["industrial_cluster"]) == [
        "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8a", "B8b", "B9", "B10", "B11",
    ]  # fmt: skip
    assert all(v == 1 for s in subs.values() for v in s.values())
    # the two rows the paper labels B8
    assert fw.indicator("B8a").paper_id == "B8" and fw.indicator("B8b").paper_id == "B8"
    assert "patent" in fw.indicator("B8a").en.lower() and "R&D institutions" in fw.indicator("B8b").en
    assert any("B8" in n for n in fw.notes)
    dims = fw.subsystems(level="dimension")
    assert list(dims["logistics_infrastructure"]) == ["A4", "A5", "A6", "A7", "A8", "A9"]
    assert list(dims["government"]) == ["B11"]
    assert fw.system_of("A10") == "digital_trade"


def test_seed002_four_subsystems_with_cost_indicator() -> None:
    fw = load_framework("seed002")
    assert list(fw.subsystems()) == ["cbec", "cluster", "factors_products", "environment"]
    assert fw.indicator("E6").direction == -1
    assert all(i.source.startswith("seed 002, §") for i in fw.indicators())


def test_seed004_elements_and_empowerment() -> None:
    fw = load_framework("seed004")
    dims = fw.subsystems(level="dimension")
    assert list(dims) == [
        "technological_innovation", "data_elements", "new_labourers",
        "technology_empowerment", "market_adaptation", "ecological_symbiosis",
    ]  # fmt: skip
    assert fw.names("zh")["market_adaptation"] == "市场适配"
    assert fw.names("en")["ecological_symbiosis"] == "Ecological symbiosis"


def test_indicator_unknown_suggests() -> None:
    with pytest.raises(SpecError, match="did you mean") as ei:
        load_framework("seed001").indicator("B8")
    assert "B8a" in str(ei.value)


def test_unknown_builtin_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="seed001"):
        load_framework("seed01")
    with pytest.raises(SpecError, match="not found"):
        load_framework(tmp_path / "none.yaml")


def _write(tmp_path: Path, text: str, name: str = "fw.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_extends_override_add_remove(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """
extends: seed001
name: guangzhou_custom
remove: [A4, A5]
notes: ["A1 measured in 100 million yuan here"]
systems:
  - id: digital_trade
    dimensions:
      - id: market_size
        indicators:
          - {id: A1, unit: "100 million yuan"}
          - {id: A12, zh: 跨境电商进口总额, en: CBEC imports, direction: "+"}
  - id: industrial_cluster
    dimensions:
      - id: government
        indicators:
          - {id: B11, direction: "-"}
  - id: environment
    zh: 外部环境
    en: Environment
    dimensions:
      - id: shocks
        indicators:
          - {id: E1, en: Shock index, direction: cost}
""",
    )
    fw = load_framework(p)
    assert fw.name == "guangzhou_custom"
    a1 = fw.indicator("A1")
    assert a1.unit == "100 million yuan" and a1.en == "Cross-border e-commerce exports"  # other fields kept
    subs = fw.subsystems()
    assert list(subs) == ["digital_trade", "industrial_cluster", "environment"]
    assert "A4" not in subs["digital_trade"] and "A5" not in subs["digital_trade"]
    assert list(subs["digital_trade"])[:4] == ["A1", "A2", "A3", "A12"]
    assert subs["industrial_cluster"]["B11"] == -1 and subs["environment"] == {"E1": -1}
    assert any("B8" in n for n in fw.notes) and fw.notes[-1].startswith("A1 measured")


def test_extends_relative_file_and_cycle(tmp_path: Path) -> None:
    _write(tmp_path, "extends: seed004\nname: base2\n", "base2.yaml")
    child = _write(tmp_path, "extends: base2.yaml\nname: child\n", "child.yaml")
    assert load_framework(child).subsystems() == load_framework("seed004").subsystems()
    a = _write(tmp_path, "extends: b.yaml\n", "a.yaml")
    _write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(SpecError, match="cycle"):
        load_framework(a)


def test_validation_error_names_path_and_field(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """
name: bad
systems:
  - id: s1
    dimensions:
      - id: d1
        indicators:
          - {id: x1, direction: "+"}
          - {id: x2, direction: "up-ish"}
""",
    )
    with pytest.raises(SpecError) as ei:
        load_framework(p)
    msg = str(ei.value)
    assert "fw.yaml" in msg and "indicators[1](id x2).direction" in msg and "up-ish" in msg


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """
name: dup
systems:
  - id: s1
    dimensions:
      - id: d1
        indicators: [{id: B8, direction: "+"}, {id: B8, direction: "+"}]
""",
    )
    with pytest.raises(SpecError, match=r"indicator id\(s\) used more than once: \['B8'\]"):
        load_framework(p)


def test_unknown_field_and_yaml_syntax(tmp_path: Path) -> None:
    p = _write(tmp_path, "name: x\nsystems:\n  - id: s\n    dimension: []\n")
    with pytest.raises(SpecError, match=r"systems\[0\]\(id s\)"):
        load_framework(p)
    q = _write(tmp_path, "name: x\nsystems: [\n", "syn.yaml")
    with pytest.raises(SpecError, match="line"):
        load_framework(q)


def test_remove_unknown_id(tmp_path: Path) -> None:
    p = _write(tmp_path, "extends: seed001\nremove: [Z9]\n")
    with pytest.raises(SpecError, match="Z9"):
        load_framework(p)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+", 1),
        ("-", -1),
        ("−", -1),
        (1, 1),
        (-1, -1),
        ("benefit", 1),
        ("cost", -1),
        ("正向", 1),
        ("负向", -1),
    ],
)
def test_parse_direction(value: object, expected: int) -> None:
    assert parse_direction(value) == expected


@pytest.mark.parametrize("value", ["?", 0, 2, True, None])
def test_parse_direction_rejects(value: object) -> None:
    with pytest.raises(SpecError, match=r"\+"):
        parse_direction(value, "subsystems.a.x")


def test_merge_subsystems_inline() -> None:
    fw = load_framework("seed001")
    merged = merge_subsystems(fw, {"industrial_cluster": {"B11": "-"}, "extra": {"A11": "+", "Z1": "-"}})
    assert merged["industrial_cluster"]["B11"] == -1
    assert "A11" not in merged["digital_trade"] and merged["extra"] == {"A11": 1, "Z1": -1}
    assert list(merged) == ["digital_trade", "industrial_cluster", "extra"]
    assert merge_subsystems(None, {"a": {"x": "+"}}) == {"a": {"x": 1}}
    with pytest.raises(SpecError, match="subsystems.a.x"):
        merge_subsystems(None, {"a": {"x": "?"}})
