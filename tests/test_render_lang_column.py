"""lang_column keeps one language's text column in the same place for zh and en (the summary table
of the zh report had its stage column one place further right than the en one)."""

from __future__ import annotations

import pandas as pd
import pytest

from cbeclab.render.columns import lang_column


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_kept_column_stands_where_its_family_began(lang: str) -> None:
    df = pd.DataFrame(
        {"entity": ["a"], "stage": ["k"], "stage_en": ["initial"], "stage_zh": ["起步"], "D": [0.5]}
    )
    out = lang_column(df, "stage", lang)
    assert list(out.columns) == ["entity", "stage", "D"]
    assert out["stage"].tolist() == [{"en": "initial", "zh": "起步"}[lang]]
    without_base = lang_column(df.drop(columns=["stage"]), "stage", lang)
    assert list(without_base.columns) == ["entity", "stage", "D"]
    assert lang_column(df, "grade", lang) is df  # no grade_<lang> column: unchanged
