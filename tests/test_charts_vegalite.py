"""The engine charts written as plain Vega-Lite mappings, and the fast name look-ups of the report.

The engine charts no longer go through altair (its import and schema validation were most of the
time of a national report): these tests validate every engine spec against the Vega-Lite schema
altair ships, compare the dict helpers with the altair objects they replace, and compare each fast
path of the report builder with the general one on inputs chosen to trip it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.render.charts.engine import _entities, _text_in, engine_charts

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_result():
    from cbeclab.pipeline import run_spec
    from cbeclab.spec import load_spec

    return run_spec(load_spec(ROOT / "examples/guangzhou/spec.yaml"))


@pytest.fixture(scope="module")
def vl_schema():
    from altair.vegalite.v6.schema.core import load_schema

    return load_schema()


def test_vega_lite_version_is_altairs() -> None:
    import altair as alt

    from cbeclab.render.charts.base import VEGA_LITE_VERSION, _vl_version

    assert VEGA_LITE_VERSION == alt.VEGALITE_VERSION == alt.SCHEMA_VERSION.lstrip("v")
    assert _vl_version() == ".".join(alt.VEGALITE_VERSION.split(".")[:2])


def _validate(charts, schema) -> None:
    from altair.utils.schemapi import validate_jsonschema

    assert charts
    for c in charts:
        assert c.spec["$schema"].endswith(f"v{c.spec['$schema'].rsplit('/v', 1)[1]}")
        err = validate_jsonschema(c.spec, schema, raise_error=False)
        assert err is None, (c.key, err)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_engine_specs_are_valid_vega_lite_few_entities(run_result, vl_schema, lang: str) -> None:
    charts = engine_charts(run_result, lang)
    assert {"engine.order_synergy", "engine.ctd", "engine.heatmap_D", "engine.ranking"} <= {
        c.key for c in charts
    }
    _validate(charts, vl_schema)


def test_engine_specs_are_valid_vega_lite_many_entities(run_result, vl_schema) -> None:
    from test_charts_builders import _big_result

    charts = engine_charts(_big_result(run_result, n_ent=60, n_per=12), "zh")
    assert "engine.synergy_distribution" in {c.key for c in charts}
    _validate(charts, vl_schema)


def test_engine_charts_do_not_import_altair() -> None:
    code = (
        "import sys\n"
        "from cbeclab.pipeline import run_spec\n"
        "from cbeclab.spec import load_spec\n"
        f"r = run_spec(load_spec({str(ROOT / 'examples/guangzhou/spec.yaml')!r}))\n"
        "from cbeclab.render.engine_report import build_engine_document\n"
        "doc = build_engine_document(r, 'zh')\n"
        "assert doc.figures()\n"
        "print('altair' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_period_axis_mapping_worked_by_hand() -> None:
    from cbeclab.render.charts.common import period_x, period_x_spec

    years = period_x_spec([2003, 2001, 2002], "时期")  # whole numbers: a year axis over their range
    assert years == {
        "field": "period",
        "type": "quantitative",
        "title": "时期",
        "scale": {"zero": False, "nice": False, "domain": [2001.0, 2003.0]},
        "axis": {"format": "d", "tickMinStep": 1},
    }
    labels = period_x_spec(["2020Q2", "2020Q1", "2020Q2"], "Period")  # text: labels as given, once
    assert labels["type"] == "ordinal" and labels["sort"] == ["2020Q2", "2020Q1"]
    assert labels["axis"] == {"labelAngle": 0}
    assert period_x_spec([2001.5, 2002.0], "t")["type"] == "ordinal"  # not whole years
    assert period_x_spec([f"p{i:02d}" for i in range(9)], "t")["axis"] == {"labelAngle": -45}
    assert period_x([2003, 2001, 2002], "时期").to_dict() == years  # the altair channel is the same


def test_grade_scale_mapping_is_the_altair_scale() -> None:
    from cbeclab.render.charts.common import grade_bands, grade_colour_scale, grade_colour_spec

    for lang in ("en", "zh"):
        b = grade_bands(lang)
        assert grade_colour_spec(b) == grade_colour_scale(b).to_dict()


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["b", "a", "b", None, "c"], dtype="string[pyarrow]"),
        pd.Series(["b", "a", "b", None, "c"], dtype=object),
        pd.Series([3, 1, 3, 2]),
        pd.Series([1.0, np.nan, 2.0, 1.0]),
        pd.Series([1, "1", "a", None], dtype=object),
    ],
)
def test_entity_helpers_match_the_astype_str_forms(values: pd.Series) -> None:
    frame = pd.DataFrame({"entity": values})
    assert _entities(frame) == [str(e) for e in dict.fromkeys(values.astype(str))]
    for chosen in (["a", "1", "nan"], ["3"], ["<NA>", "None"], []):
        np.testing.assert_array_equal(_text_in(values, chosen), values.astype(str).isin(chosen).to_numpy())


def test_bundled_names_do_not_import_the_datasets() -> None:
    code = (
        "import sys\n"
        "from cbeclab.i18n.names import display_name, names_of\n"
        "names_of('entity'); names_of('variable'); names_of('dataset')\n"
        "print(display_name('entity', 'jewelry', 'zh'), 'cbeclab.datasets' in sys.modules, 'scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["珠宝首饰", "False", "False"]


def test_cluster_names_are_the_datasets_clusters() -> None:
    from cbeclab.datasets import CLUSTERS
    from cbeclab.i18n.names import names_of

    assert list(CLUSTERS) == [
        "textile_clothing",
        "beauty_daily_chemical",
        "luggage_leather",
        "jewelry",
        "food_beverage",
    ]
    for ds in ("guangzhou_trade", "guangzhou_demo"):
        ents = names_of("entity", ds)
        for k, (en, zh) in CLUSTERS.items():
            assert ents[k] == {"en": en, "zh": zh}


def test_framework_name_shortcut_agrees_with_the_full_lookup() -> None:
    from cbeclab.i18n.names import _bundled_framework_tokens, _framework_names, display_name

    tokens = _bundled_framework_tokens()
    assert tokens is not None
    full = _framework_names(None)
    keys = ["x00", "x39", "A1 ", "", "1", "digital", "nan"]
    for kind in ("indicator", "dimension", "subsystem"):
        assert set(full[kind]) <= tokens  # every bundled id is a token: the shortcut never hides one
        keys += list(full[kind])
    for kind in ("indicator", "dimension", "subsystem"):
        for key in keys:
            for lang in ("en", "zh"):
                entry = full[kind].get(str(key))
                other = "en" if lang == "zh" else "zh"
                expected = (entry.get(lang) or entry.get(other) or str(key)) if entry else str(key)
                assert display_name(kind, key, lang) == expected, (kind, key, lang)


def test_coupling_rows_read_only_their_columns() -> None:
    from cbeclab.render.interpret import coupling_rows

    frame = pd.DataFrame(
        {
            "entity": pd.Series(["a", "b"], dtype="string[pyarrow]"),
            "period": [2020, 2021],
            "U_x": [0.1, 0.2],
            "C": [0.9, np.nan],
            "T": [0.3, 0.4],
            "D": [0.5, 0.6],
            "grade": ["g1", "g2"],
            "lagging": ["x", None],
            "extra": [object(), object()],
        }
    )
    names = {"x": "X 子系统"}
    got = coupling_rows(frame, names)
    assert [sorted(r) for r in got] == [sorted(["entity", "period", "C", "T", "D", "grade", "lagging"])] * 2
    assert [(r["entity"], r["period"], r["T"], r["D"], r["grade"]) for r in got] == [
        ("a", 2020, 0.3, 0.5, "g1"),
        ("b", 2021, 0.4, 0.6, "g2"),
    ]
    assert got[0]["C"] == 0.9 and np.isnan(got[1]["C"])
    assert got[0]["lagging"] == "X 子系统"  # the subsystem's display name
    assert got[1]["lagging"] == "nan"  # a missing cell as str() of it, as before the column selection
    with pytest.raises(KeyError):
        coupling_rows(frame.drop(columns=["lagging"]), names)


def test_table_auto_formats_of_the_columns_that_take_one() -> None:
    from cbeclab.render.columns import _catalogue, table_from_frame
    from cbeclab.render.numbers import frame_formats

    df = pd.DataFrame(
        {
            "entity": ["a", "b"],
            "D": [0.5, 1.0],
            "x01": [1.0, 2.0],
            "x02": [1.5, np.nan],
            "flag": [True, False],
            "label": ["u", "v"],
            7: [1, 2],
        }
    )
    t = table_from_frame("t", "T", df, "en", labels={"label": "Label"})
    auto = frame_formats(t.data)
    for c in t.columns:
        if c.key not in _catalogue() and c.key != "label":
            assert c.fmt == auto[c.key], c.key
