from pathlib import Path

import pytest

from cbeclab.errors import SpecError
from cbeclab.io.yamlfile import read_yaml_mapping


def test_bom_and_empty_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes("\ufeffname: 广州\n".encode())
    assert read_yaml_mapping(tmp_path / "a.yaml") == {"name": "广州"}
    (tmp_path / "e.yaml").write_text("", encoding="utf-8")
    assert read_yaml_mapping(tmp_path / "e.yaml") == {}


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"a: [1,\n", r"line \d+ column \d+"),
        (b"- 1\n- 2\n", "must be a mapping.*not a list"),
        ("a: 中".encode("gbk"), "not UTF-8"),
    ],
)
def test_located_errors(tmp_path: Path, content: bytes, pattern: str) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes(content)
    with pytest.raises(SpecError, match=pattern) as exc:
        read_yaml_mapping(p, what="spec file")
    assert str(p) in str(exc.value)
    with pytest.raises(SpecError, match="spec file not found"):
        read_yaml_mapping(tmp_path / "missing.yaml", what="spec file")
