"""Issue 11's corpus of bad and tricky inputs, one test a case, run through the command line.

Each bad input must give exit code 2 and one ``error:`` line naming the file (row, column or field) and
a fix -- never a traceback; each tricky but valid input must give the numbers it holds. The files are
in tests/corpus/ (written by tests/corpus/make_corpus.py; ``test_corpus_is_current`` checks the
committed bytes equal what the script writes).
"""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cbeclab.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
ROOT = Path(__file__).resolve().parents[1]
PANEL = ["--entity", "cluster", "--period", "year"]


def run(args: list[str], cwd: Path | None = None) -> tuple[int, str]:
    runner = CliRunner()
    if cwd is None:
        res = runner.invoke(main, args, catch_exceptions=True)
    else:
        with runner.isolated_filesystem(temp_dir=cwd):
            res = runner.invoke(main, args, catch_exceptions=True)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"traceback for {args}: {res.exception!r}\n{res.output}")
    return res.exit_code, res.output


def bad(args: list[str], *needles: str) -> str:
    """Exit 2, one error line, containing every needle (and a fix)."""
    code, out = run(args)
    errs = [ln for ln in out.splitlines() if ln.startswith(("error:", "错误："))]
    assert code == 2, out
    assert len(errs) == 1, out
    line = errs[0]
    assert "Fix:" in line or "解决办法" in line, line
    for n in needles:
        assert n in line, f"{n!r} not in {line!r}"
    for leak in ("Traceback", "np.int64", "np.float64", "instance of", "Input should", "X row", "pydantic"):
        assert leak not in line, line
    return line


def c(name: str) -> str:
    return str(CORPUS / name)


def weights(name: str, *extra: str) -> pd.DataFrame:
    code, out = run(["weights", c(name), *PANEL, *extra])
    assert code == 0, out
    return pd.read_fwf(io.StringIO(out))


def test_corpus_is_current(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    shutil.copytree(CORPUS, tmp_path / "c")
    mod.HERE = tmp_path / "c"
    mod.main()
    for f in sorted(CORPUS.iterdir()):
        if f.suffix in (".csv", ".yaml", ".lav"):  # xlsx zips carry timestamps
            assert (tmp_path / "c" / f.name).read_bytes() == f.read_bytes(), f.name


# ---- valid but unusual files: the numbers they hold -------------------------------------------------

REF = None


def _ref() -> pd.DataFrame:
    return weights("ok.csv")


@pytest.mark.parametrize(
    "name",
    ["title_and_note.csv", "blank_lines_before_header.csv", "cr_only.csv", "fullwidth_and_percent.csv"],
)
def test_same_numbers_as_the_clean_file(name: str) -> None:
    """Title/note rows, blank lines before the header, CR-only endings, full-width digits: same weights."""
    pd.testing.assert_frame_equal(weights(name), _ref())


def test_bom_before_gbk_bytes_reads_the_gbk() -> None:
    from cbeclab.io.readers import read_table

    df = read_table(c("bom_then_gbk.csv"))
    assert df.columns[0] == "集群" and df.attrs["encoding"].startswith("gb18030")
    assert df["exports"].tolist() == [1.5, 2.5, 3.5, 4.0]


def test_semicolon_decimal_comma_not_1000_times_too_large() -> None:
    from cbeclab.io.readers import read_table

    df = read_table(c("semicolon_decimal_comma.csv"))
    assert df.attrs["delimiter"] == ";"
    assert df["exports"].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4])


def test_semicolon_thousands_or_decimal_is_refused_then_resolved() -> None:
    bad(
        ["weights", c("semicolon_ambiguous.csv"), *PANEL],
        "semicolon_ambiguous.csv row 2",
        "'1,234'",
        "--decimal",
    )
    from cbeclab.io.readers import read_table

    assert read_table(c("semicolon_ambiguous.csv"), decimal=",")["exports"].tolist() == [1.234, 2.345]
    assert read_table(c("semicolon_ambiguous.csv"), decimal=".")["exports"].tolist() == [1234, 2345]


def test_integers_above_2_63_never_wrap() -> None:
    from cbeclab.io.readers import read_table

    df = read_table(c("int_above_2_63.csv"))
    assert df["exports"].dtype == float
    assert df["exports"].iloc[1] == float(2**64 + 5) > 0


def test_percent_column_is_read_as_fractions() -> None:
    from cbeclab.io.readers import read_table

    assert read_table(c("percent_column.csv"))["share"].tolist() == pytest.approx([0.12, 0.15, 0.11, 0.09])


def test_units_in_headers_become_panel_metadata() -> None:
    from cbeclab.io.panel import load_panel

    p = load_panel(
        c("years_as_columns.csv"), entity="地区", period="年份", layout="years", indicator_col="指标"
    )
    assert p.units == {"出口（亿元）": "亿元", "进口（亿元）": "亿元"}  # units in the indicator names
    assert p.periods == [2014, 2015, 2016]
    assert p.data.loc[("深圳", 2016), "出口（亿元）"] == 6.0
    from cbeclab.io.readers import read_table

    assert read_table(pd.DataFrame({"出口额（亿元）": [1]})).columns.tolist() == ["出口额（亿元）"]
    from cbeclab.io.readers import units_of

    assert units_of(["出口额（亿元）", "exports (万美元)", "GDP (nominal)", "share (%)"]) == {
        "出口额（亿元）": "亿元",
        "exports (万美元)": "万美元",
        "share (%)": "%",
    }


def test_units_from_a_header_row_reach_the_panel(tmp_path: Path) -> None:
    from cbeclab.io.panel import load_panel

    p = tmp_path / "u.csv"
    p.write_text("地区,年份,出口额（亿元）,进口额(万美元)\n广州,2018,1,2\n广州,2019,2,3\n", encoding="utf-8")
    panel = load_panel(p, entity="地区", period="年份")
    assert panel.units == {"出口额（亿元）": "亿元", "进口额(万美元)": "万美元"}
    assert panel.to_dict()["units"] == panel.units


def test_years_as_columns_on_the_command_line() -> None:
    code, out = run(
        [
            "weights",
            c("years_as_columns.csv"),
            "--entity",
            "地区",
            "--period",
            "年",
            "--layout",
            "years",
            "--indicator-col",
            "指标",
        ]
    )
    assert code == 0, out
    assert "出口（亿元）" in out


def test_two_row_header_is_merged() -> None:
    from cbeclab.io.readers import read_table

    df = read_table(c("two_row_header.csv"))
    assert df.columns.tolist() == ["地区", "年份", "进出口总额_出口", "进出口总额_进口"]
    assert df.attrs["rows"] == [3, 4, 5, 6]


def test_header_row_and_skip_footer_in_the_spec(tmp_path: Path) -> None:
    shutil.copy(c("spec_header_row.yaml"), tmp_path / "s.yaml")
    shutil.copy(c("title_and_note.csv"), tmp_path / "title_and_note.csv")
    code, out = run(["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 0, out
    doc = json.loads((tmp_path / "o" / "result.json").read_text(encoding="utf-8"))
    assert doc["panel"]["periods"] == [2018, 2019] if "panel" in doc else True


def test_header_row_flag_on_the_command_line() -> None:
    pd.testing.assert_frame_equal(
        weights("title_and_note.csv", "--header-row", "2", "--skip-footer", "1"), _ref()
    )


# ---- bad files: one located line with a fix ---------------------------------------------------------


def test_cell_longer_than_the_csv_field_limit(tmp_path: Path) -> None:
    p = tmp_path / "long.csv"
    p.write_text(
        "cluster,year,exports,imports\nA,2018,1,2\nA,2019," + "x" * 140_000 + ",3\n", encoding="utf-8"
    )
    line = bad(["weights", str(p), *PANEL], "long.csv column 'exports'", "row 3")
    assert len(line) < 600  # at most 200 characters of the cell are echoed


def test_period_too_large_for_a_float() -> None:
    line = bad(["weights", c("period_too_large.csv"), *PANEL], "period_too_large.csv column 'year'", "row 3")
    assert len(line) < 900


def test_damaged_xlsx() -> None:
    bad(["weights", c("damaged.xlsx"), *PANEL], "damaged.xlsx", "cannot open the workbook")


def test_xlsx_missing_sheet_part() -> None:
    bad(["weights", c("missing_sheet_part.xlsx"), *PANEL], "missing_sheet_part.xlsx", "sheet")


def test_xlsx_names_the_column_letter() -> None:
    bad(["weights", c("text_cell.xlsx"), *PANEL], "column 'exports' (C)", "row 3: 'n.a.x'")


def test_row_numbers_as_the_spreadsheet_shows_them() -> None:
    # title in row 1, header in row 2: the bad cell is on row 4
    bad(["weights", c("bad_cell_under_title.csv"), *PANEL], "column 'exports'", "row 4: 'abc'")


def test_mixed_delimiters_named_as_such() -> None:
    bad(["weights", c("mixed_delimiters.csv"), *PANEL], "mixed_delimiters.csv", "row 3 is separated by ';'")


def test_ambiguous_delimiter_refused() -> None:
    bad(
        ["weights", c("ambiguous_delimiter.csv"), "--entity", "a", "--period", "b"],
        "ambiguous",
        "--delimiter",
    )


def test_full_width_digits_and_percent_are_numbers_not_missing_columns() -> None:
    code, out = run(
        [
            "synergy",
            c("fullwidth_and_percent.csv"),
            *PANEL,
            "--subsystem",
            "a=exports",
            "--subsystem",
            "b=imports",
        ]
    )
    assert code == 0, out


def test_mixed_percent_and_plain_numbers_refused() -> None:
    bad(
        ["weights", c("percent_mixed.csv"), *PANEL, "--benefit", "share,imports"],
        "column 'share'",
        "percentages",
    )


def test_empty_column_is_named_as_empty() -> None:
    line = bad(
        ["synergy", c("empty_column.csv"), *PANEL, "--subsystem", "a=exports", "--subsystem", "b=imports"],
        "'exports'",
        "empty",
    )
    assert "--subsystem" in line and "`indicators`" not in line


def test_one_off_fix_names_its_own_flag() -> None:
    line = bad(["weights", c("missing_cells.csv"), *PANEL], "A / 2019 / exports", "--impute linear")
    assert "spec" not in line
    bad(["weights", c("ok.csv"), "--entity", "clu", "--period", "year"], "did you mean 'cluster'", "--entity")


def test_formula_injection_neutralised_in_one_off_csv(tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    code, text = run(
        [
            "coupling",
            c("formula_injection.csv"),
            *PANEL,
            "--subsystem",
            "a=exports",
            "--subsystem",
            "b=imports",
            "--out",
            str(out),
        ]
    )
    assert code == 0, text
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert table["entity"].tolist()[:2] == ['\'=HYPERLINK("x")'] * 2


def test_formula_injection_neutralised_in_headers() -> None:
    from cbeclab.io.safecells import guard_frame

    g = guard_frame(pd.DataFrame({"=cmd": ["@SUM(1)", "ok"], "x": [-1.0, 2.0]}))
    assert g.columns.tolist() == ["'=cmd", "x"]
    assert g["=cmd" if "=cmd" in g else "'=cmd"].tolist() == ["'@SUM(1)", "ok"]
    assert g["x"].tolist() == [-1.0, 2.0]


def test_output_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    bad(["weights", c("ok.csv"), *PANEL, "--out", str(tmp_path / "f" / "w.csv")], "a file is in the way")
    shutil.copy(c("ok.csv"), tmp_path / "ok.csv")
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "data: {path: ok.csv, entity: cluster, period: year}\nsubsystems: {a: {exports: +}, b: {imports: +}}\n"
    )
    bad(["run", str(spec), "--out", str(tmp_path / "f" / "sub")], "a file is in the way")


def test_output_folder_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import tempfile

    def deny(*a: object, **k: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", deny)  # root ignores file modes, so deny the write itself
    bad(["weights", c("ok.csv"), *PANEL, "--out", str(tmp_path / "w.csv")], "w.csv", "no permission")


def test_output_missing_parent_is_created(tmp_path: Path) -> None:
    code, out = run(["weights", c("ok.csv"), *PANEL, "--out", str(tmp_path / "a" / "b" / "w.csv")])
    assert code == 0 and (tmp_path / "a" / "b" / "w.csv").is_file(), out


# ---- YAML specs -------------------------------------------------------------------------------------


def _spec(name: str, tmp_path: Path) -> str:
    shutil.copy(c(name), tmp_path / name)
    for data in ("ok.csv", "ok3.csv"):
        shutil.copy(c(data), tmp_path / data)
    return str(tmp_path / name)


def test_yaml_tags_refused(tmp_path: Path) -> None:
    bad(["run", _spec("spec_tag.yaml", tmp_path), "--out", str(tmp_path / "o")], "line 3", "!!float")


def test_yaml_duplicate_keys_refused(tmp_path: Path) -> None:
    bad(
        ["run", _spec("spec_duplicate_key.yaml", tmp_path), "--out", str(tmp_path / "o")],
        "line 4",
        "'weights'",
        "twice",
    )


def test_yaml_alias_bomb_is_bounded(tmp_path: Path) -> None:
    line = bad(["run", _spec("spec_alias_bomb.yaml", tmp_path), "--out", str(tmp_path / "o")], "aliases")
    assert len(line) < 400


def test_misspelled_key_did_you_mean(tmp_path: Path) -> None:
    bad(
        ["run", _spec("spec_typo.yaml", tmp_path), "--out", str(tmp_path / "o")],
        "weigths",
        "did you mean weights",
    )


def test_normalize_is_refused_not_ignored(tmp_path: Path) -> None:
    bad(["run", _spec("spec_normalize.yaml", tmp_path), "--out", str(tmp_path / "o")], "normalize")


def test_ahp_matrix_of_the_wrong_size(tmp_path: Path) -> None:
    bad(
        ["run", _spec("spec_ahp_wrong_size.yaml", tmp_path), "--out", str(tmp_path / "o")],
        "weights.ahp_matrix.a",
        "3x3",
        "2 indicator",
    )


def test_no_validation_library_wording(tmp_path: Path) -> None:
    bad(
        ["run", _spec("spec_data_not_mapping.yaml", tmp_path), "--out", str(tmp_path / "o")],
        "field data",
        "mapping",
    )


# ---- SEM := ----------------------------------------------------------------------------------------

SEM_DATA = str(ROOT / "tests" / "fixtures" / "sem_mediation_data.csv")


def test_nan_and_inf_as_names_in_definitions() -> None:
    code, out = run(["sem", c("sem_nan_names.lav"), SEM_DATA])
    assert code == 0, out
    assert re.search(r"nan\s+0\.\d+", out) and re.search(r"inf\s+0\.\d+", out)


def test_overflow_and_division_by_zero_give_a_warning(tmp_path: Path) -> None:
    out_json = tmp_path / "s.json"
    code, out = run(["sem", c("sem_overflow.lav"), SEM_DATA, "--json", str(out_json)])
    assert code == 0, out
    doc = json.loads(out_json.read_text())
    warn = " ".join(doc["warnings"])
    assert "z := 1/0 is undefined" in warn and "big := 10^1000*a is undefined" in warn
    est = {r["lhs"]: r["est"] for r in doc["params"] if r["op"] == ":="}
    assert est["z"] is None and est["big"] is None and est["ab"] is not None


def test_literal_too_large_is_a_syntax_error() -> None:
    bad(["sem", c("sem_huge_literal.lav"), SEM_DATA], "line 3", "too large")


# ---- zh error prefix --------------------------------------------------------------------------------


def test_error_prefix_in_chinese(tmp_path: Path) -> None:
    code, out = run(["run", _spec("spec_typo.yaml", tmp_path), "--out", str(tmp_path / "o"), "--lang", "zh"])
    assert code == 2 and out.startswith("错误："), out


# ---- README one-off examples -------------------------------------------------------------------------


def _readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    cmds = []
    for ln in text.splitlines():
        ln = ln.strip()
        if re.match(r"^cbeclab (weights|synergy|coupling) ", ln):
            cmds.append(shlex.split(ln.split("#")[0])[1:])
    return cmds


def test_readme_one_off_commands_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cmds = _readme_commands()
    assert {c[0] for c in cmds} == {"weights", "synergy", "coupling"}
    monkeypatch.chdir(ROOT)
    for cmd in cmds:
        cmd = [str(tmp_path / "out.csv") if a == "out/coupling.csv" else a for a in cmd]
        code, out = run(cmd)
        assert code == 0, (cmd, out)


def test_sav_value_labels_label_categorical_columns(tmp_path: Path) -> None:
    import pyreadstat

    from cbeclab.io.readers import apply_value_labels, read_table

    df = pd.DataFrame({"gender": [1.0, 2.0, 1.0, 3.0], "q1": [5.0, 4.0, 3.0, 2.0]})
    pyreadstat.write_sav(
        df,
        str(tmp_path / "a.sav"),
        column_labels={"gender": "性别", "q1": "出口额（万美元）"},
        variable_value_labels={"gender": {1: "男", 2: "女"}, "q1": {5: "非常同意"}},
    )
    raw = read_table(tmp_path / "a.sav")
    assert raw.attrs["units"] == {"q1": "万美元"}
    lab = apply_value_labels(raw, ["gender"])
    assert lab["gender"].tolist() == ["男", "女", "男", "3"]
    assert lab["q1"].tolist() == [5, 4, 3, 2]  # Likert codes stay numbers unless asked for


def test_unreadable_file_is_a_located_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    p = tmp_path / "t.csv"
    p.write_text("a,b\n1,2\n")

    def deny(self: Path) -> bytes:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", deny)
    bad(["weights", str(p), "--entity", "a", "--period", "b"], "t.csv", "cannot read the file")


def test_hypothesis_naming_an_absent_path_is_refused(tmp_path: Path) -> None:
    import yaml

    from cbeclab.errors import SpecError
    from cbeclab.survey.spec import survey_spec_from_dict
    from cbeclab.survey.workflow import run_survey

    yk = ROOT / "examples" / "yongkang"
    for f in yk.iterdir():
        shutil.copy(f, tmp_path / f.name)
    raw = yaml.safe_load((yk / "survey.yaml").read_text(encoding="utf-8"))
    raw["bootstrap"] = {"draws": 10}
    raw["efa"] = {"enabled": False}
    raw["hypotheses"] = {"H9": "F3 -> F1"}
    with pytest.raises(SpecError, match="hypothesis H9 names the path F3 -> F1") as ei:
        run_survey(survey_spec_from_dict(raw, base_dir=tmp_path, source="survey.yaml"))
    assert "hypotheses.H9" in str(ei.value)
    raw["hypotheses"] = {"H9": "F3 -> Y -> M"}
    with pytest.raises(SpecError, match="not a `mediation` entry"):
        run_survey(survey_spec_from_dict(raw, base_dir=tmp_path, source="survey.yaml"))
