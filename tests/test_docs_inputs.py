"""The docs name every option a user can set on the input side (issue 11)."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_diagnose_doc_lists_every_spec_and_profile_field() -> None:
    from cbeclab.diagnose.modes import CITY_FIELDS
    from cbeclab.diagnose.report import PanelSpec, SemSpec

    text = (DOCS / "diagnose.md").read_text(encoding="utf-8")
    names = [*CITY_FIELDS, *PanelSpec.model_fields, *SemSpec.model_fields]
    names += ["technology_empowerment", "market_adaptation", "ecological_symbiosis", "estimate", "facts"]
    missing = [n for n in names if f"`{n}`" not in text and f"{n}:" not in text]
    assert not missing, missing


def test_spec_doc_lists_every_data_field() -> None:
    from cbeclab.spec import DataSpec

    text = (DOCS / "spec.md").read_text(encoding="utf-8")
    missing = [n for n in DataSpec.model_fields if f"{n}:" not in text]
    assert not missing, missing
    assert "normalize:" not in text.split("There is no `normalize:` field")[0]
