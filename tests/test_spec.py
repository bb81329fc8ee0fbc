from pathlib import Path

import pytest

from cbeclab.errors import SpecError
from cbeclab.spec import load_spec, parse_direction, spec_from_dict

BASE = {
    "data": {"path": "panel.csv", "entity": "cluster", "period": "year"},
    "subsystems": {"trade": {"exports": "+", "imports": "+"}, "cluster": {"output": "+", "energy": "-"}},
}


def test_shape_from_issue_parses(tmp_path: Path) -> None:
    text = """
data: {path: panel.csv, entity: cluster, period: year}
subsystems:
  digital_trade: {exports: +, imports: +, cbec_firms: +}
  industrial_cluster: {output_value: +, firms: +, energy_per_output: -}
weights: entropy
synergy: {bound_margin: 0.1, aggregate: weighted, base: first, scope: per_entity}
coupling: {model: classical, scope: pooled}
"""
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    spec = load_spec(tmp_path / "s.yaml")
    assert spec.subsystems == {
        "digital_trade": {"exports": 1, "imports": 1, "cbec_firms": 1},
        "industrial_cluster": {"output_value": 1, "firms": 1, "energy_per_output": -1},
    }
    assert spec.weights.method == "entropy"
    assert spec.synergy.scope == "per_entity" and spec.coupling.scope == "pooled"
    # paths resolve relative to the spec file, not the working directory
    assert spec.resolve("panel.csv") == tmp_path.resolve() / "panel.csv"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"synergy": {"base": "last"}}, "synergy.base"),
        ({"coupling": {"model": "fancy"}}, "coupling.model"),
        ({"weights": "magic"}, "weights.method"),
        ({"colour": "red"}, "colour"),
        ({"synergy": {"bound_margin": -1}}, "synergy.bound_margin"),
    ],
)
def test_bad_field_is_named(patch: dict, field: str) -> None:
    with pytest.raises(SpecError) as exc:
        spec_from_dict({**BASE, **patch}, source="s.yaml")
    assert f"field {field}" in str(exc.value) and "s.yaml" in str(exc.value)


def test_bad_direction_names_the_indicator() -> None:
    bad = {**BASE, "subsystems": {"a": {"x": "up"}, "b": {"y": "+"}}}
    with pytest.raises(SpecError, match=r"subsystems\.a\.x"):
        spec_from_dict(bad)


def test_data_needs_exactly_one_source() -> None:
    with pytest.raises(SpecError, match="exactly one of data.path"):
        spec_from_dict({**BASE, "data": {"path": "a.csv", "dataset": "guangzhou_demo"}})


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("data:\n  x: -\n  y: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"line \d+ column \d+"):
        load_spec(tmp_path / "s.yaml")


def test_directions_words() -> None:
    assert parse_direction("+") == 1 and parse_direction("benefit") == 1 and parse_direction("正向") == 1
    assert parse_direction("-") == -1 and parse_direction("cost") == -1 and parse_direction(-1) == -1
