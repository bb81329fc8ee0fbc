"""lavaan syntax parser and parameter-table defaults (checked against lavaan::lavaanify 0.6-14)."""

from __future__ import annotations

import pytest

from cbeclab.errors import IdentificationError, ModelSyntaxError
from cbeclab.sem.partable import build_partable
from cbeclab.sem.syntax import parse_model


def test_modifiers_comments_and_separators() -> None:
    m = parse_model(
        "# a comment\n"
        "f =~ NA*x1 + start(0.3)*x2 + -0.5*x3 + 'lab'*x4 ! another\n"
        "g =~ y1 + a*y2 +\n   a*y3; y1 + y2 ~ z\n"
        "d := a*(2 - a)^2"
    )
    t = m.statements[0].terms
    assert t[0].free and t[1].start == 0.3 and t[2].fixed == -0.5 and t[3].label == "lab"
    g = m.statements[1]
    assert [x.var for x in g.terms] == ["y1", "y2", "y3"] and g.terms[2].label == "a"
    assert g.terms[2].line == 4
    assert [s.lhs for s in m.statements[2:]] == ["y1", "y2"]
    assert m.definitions[0].expr == "a*(2-a)^2" and m.definitions[0].names == ("a",)


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("f =~ x1 + x2\ng =~ x3 + + x4", 2, 11),
        ("f =~ x1 + x2\n  f =~ 1", 2, 8),
        ("f =~ x1 + x2\nx1 x2", 2, 1),
        ("f =~ x1 + x2 $ x3", 1, 14),
        ("f =~ x1\nf <~ x2", 2, 3),
        ("f =~ x1 + 2*3", 1, 13),
    ],
)
def test_syntax_errors_give_line_and_column(text: str, line: int, col: int) -> None:
    with pytest.raises(ModelSyntaxError) as exc:
        parse_model(text)
    assert f"line {line}, column {col}" in str(exc.value)
    assert exc.value.fix


def test_defaults_match_lavaanify() -> None:
    # lavaanify("f1 =~ y1+y2+y3; f2 =~ y4+y5+y6; f3 =~ y7+y8+y9; f2 ~ f1; f3 ~ f1", <sem defaults>)
    pt = build_partable("f1 =~ y1+y2+y3; f2 =~ y4+y5+y6; f3 =~ y7+y8+y9; f2 ~ f1; f3 ~ f1")
    t = pt.table
    assert len(t) == 24 and pt.n_free == 21
    assert list(t.loc[t["free"] == 0, "rhs"]) == ["y1", "y4", "y7"]
    assert ((t["lhs"] == "f2") & (t["op"] == "~~") & (t["rhs"] == "f3")).any()  # auto.cov.y on latent
    # mediation: m is also a predictor, so no m ~~ y; x is fixed.x
    pt = build_partable("m ~ a*x; y ~ b*m + c*x; ab := a*b")
    t = pt.table
    assert pt.n_free == 5 and pt.ov_x == ("x",)
    assert not ((t["op"] == "~~") & (t["lhs"] != t["rhs"])).any()
    assert t.iloc[-1]["op"] == ":=" and t.iloc[-1]["rhs"] == "a*b"
    # pure y's covary; covariates' block fixed
    pt = build_partable("y1 ~ x1 + x2; y2 ~ x1")
    t = pt.table
    assert pt.n_free == 6 and t["exo"].sum() == 3 and pt.df == 1
    # NA frees the first loading; shared labels share one free parameter
    pt = build_partable("f1 =~ a*y1 + y2 + y3; f2 =~ NA*y4 + b*y5 + b*y6 + 1*y7")
    t = pt.table.set_index(["lhs", "op", "rhs"])
    assert t.loc[("f1", "=~", "y1"), "free"] == 0 and t.loc[("f2", "=~", "y4"), "free"] > 0
    assert t.loc[("f2", "=~", "y5"), "free"] == t.loc[("f2", "=~", "y6"), "free"]
    assert pt.n_free == 14


def test_std_lv_fixes_variances() -> None:
    t = build_partable("f =~ x1 + x2 + x3", std_lv=True).table.set_index(["lhs", "op", "rhs"])
    assert t.loc[("f", "~~", "f"), "free"] == 0 and t.loc[("f", "~~", "f"), "ustart"] == 1.0
    assert t.loc[("f", "=~", "x1"), "free"] > 0


def test_duplicate_and_unknown_label() -> None:
    with pytest.raises(ModelSyntaxError, match="twice"):
        build_partable("f =~ x1 + x2 + x3\nx1 ~~ x2\nx2 ~~ x1")
    with pytest.raises(ModelSyntaxError, match="'zz'"):
        build_partable("f =~ x1 + a*x2 + x3\nd := a*zz")


def test_identification_errors() -> None:
    with pytest.raises(IdentificationError, match="no scale"):
        build_partable("f =~ NA*x1 + x2 + x3")
    with pytest.raises(IdentificationError) as exc:
        build_partable("f =~ x1 + x2")  # 3 moments, 4 free parameters
    assert "4 free parameters" in str(exc.value) and "3" in str(exc.value)


def test_chinese_variable_names_fit_like_ascii_ones() -> None:
    """lavaan accepts non-ASCII names; so do we (survey items often carry Chinese headers)."""
    import numpy as np

    from cbeclab.datasets.classic import holzinger_swineford
    from cbeclab.sem import Model

    df = holzinger_swineford()
    ren = {"x1": "视觉1", "x2": "视觉2", "x3": "视觉3", "x4": "文本1", "x5": "文本2", "x6": "文本3"}
    ascii_fit = Model("visual =~ x1 + a*x2 + x3\ntextual =~ x4 + x5 + x6\nd := a*2").fit(df)
    zh_fit = Model("视觉 =~ 视觉1 + a*视觉2 + 视觉3\n文本 =~ 文本1 + 文本2 + 文本3\nd := a*2").fit(
        df.rename(columns=ren)
    )
    np.testing.assert_allclose(
        zh_fit.params["est"].to_numpy(), ascii_fit.params["est"].to_numpy(), atol=1e-10
    )
    assert list(zh_fit.params["lhs"][:3]) == ["视觉"] * 3
