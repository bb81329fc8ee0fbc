"""The catalogue as a whole: every _() id translated, --lang on every command, zh --help and outputs
free of untranslated English (cbeclab.i18n.check), display names of data."""

from __future__ import annotations

import re
import string
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from cbeclab.cli import main
from cbeclab.cli.i18n import translate_help, walk
from cbeclab.i18n import catalogue
from cbeclab.i18n.check import (
    assert_english,
    assert_translated,
    english_problems,
    english_words,
    html_text,
    text_of,
)
from cbeclab.i18n.names import KINDS, display_name, names_of

SRC = Path(__file__).resolve().parents[1] / "src" / "cbeclab"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KEYWORDS = {"_": None, "gettext": None, "pgettext": ((1, "c"), 2), "N_": None}


def _extracted() -> dict[tuple[str | None, str], list[str]]:
    from babel.messages.extract import extract_from_dir

    out: dict[tuple[str | None, str], list[str]] = {}
    for fn, lineno, msg, _c, ctx in extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        mid = msg if isinstance(msg, str) else msg[0]
        out.setdefault((ctx, mid), []).append(f"{fn}:{lineno}")
    return out


def _fields(text: str) -> set[str]:
    return {f for _l, f, _s, _c in string.Formatter().parse(text) if f is not None}


def test_every_msgid_has_a_zh_translation() -> None:
    """The safety net for all parts: a _() id in the source without zh in any .po file fails here."""
    zh = catalogue("zh")
    ids = _extracted()
    assert len(ids) > 300
    by_file: dict[str, list[str]] = {}
    for (ctx, mid), locs in sorted(ids.items(), key=lambda kv: kv[1][0]):
        if (ctx, mid) in zh or (None, mid) in zh:
            continue
        line = f"    {mid!r}" + (f" (context {ctx!r})" if ctx else "") + f"  at {', '.join(locs[:3])}"
        by_file.setdefault(locs[0].split(":")[0], []).append(line)
    n = sum(len(v) for v in by_file.values())
    report = [f"  {f} ({len(v)}):\n" + "\n".join(v) for f, v in by_file.items()]
    assert not by_file, f"{n} message id(s) without a zh translation, by file:\n" + "\n".join(report)


def test_translations_keep_the_placeholders() -> None:
    """A zh text may only use the {fields} its English id has (else str.format raises at run time)."""
    bad = []
    for (_ctx, mid), zh in catalogue("zh").items():
        if re.search(r"\{[^{}]*: ", mid):
            continue  # a literal mapping in a message that is never formatted ({stage: lower bound})
        try:
            extra = _fields(zh) - _fields(mid)
        except ValueError as exc:
            bad.append(f"{mid!r}: {exc}")
            continue
        if extra:
            bad.append(f"{mid!r} -> {zh!r}: unknown field(s) {sorted(extra)}")
    assert not bad, "\n".join(bad)


COMMANDS = [path.split(" ", 1)[1] if " " in path else "" for path, _c in walk(main)]


def _allowed(cmd: click.Command) -> set[str]:
    """Literal values a help page must keep: choice values and argument names of the command."""
    ctx = click.Context(cmd)
    out: set[str] = set()
    for p in cmd.get_params(ctx):
        if isinstance(p.type, click.Choice):
            out.update(str(c) for c in p.type.choices)
        if isinstance(p, click.Argument):
            out.add(p.make_metavar(ctx) if p.metavar is None else p.metavar)
        if isinstance(p, click.Option) and p.default not in (None, False, True) and p.show_default:
            out.add(str(p.default))
    return out


def test_every_command_has_lang() -> None:
    for path, cmd in walk(main):
        opts = [p for p in cmd.params if p.name == "lang"]
        assert opts, f"{path} has no --lang"
        assert isinstance(opts[0].type, click.Choice) and set(opts[0].type.choices) == {"en", "zh"}


def test_every_help_text_is_in_the_catalogue() -> None:
    zh = catalogue("zh")
    missing = []
    for path, cmd in walk(main):
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        for t in texts:
            if (
                t
                and translate_help(t) == t
                and all((None, " ".join(x.split())) not in zh for x in t.split("\n\n"))
            ):
                missing.append(f"{path}: {' '.join(t.split())!r}")
    assert not missing, "help text(s) without zh in cli.po:\n" + "\n".join(missing)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("how", ["option", "env"])
def test_help_in_chinese(command: str, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    args = [*command.split(), "--help"] if command else ["--help"]
    if how == "option":
        monkeypatch.delenv("CBECLAB_LANG", raising=False)
        args = [*args, "--lang", "zh"]
    else:
        monkeypatch.setenv("CBECLAB_LANG", "zh")
    r = CliRunner().invoke(main, args, prog_name="cbeclab")
    assert r.exit_code == 0, r.output
    assert "用法" in r.output and "选项" in r.output
    cmd = dict(walk(main))["cbeclab " + command if command else "cbeclab"]
    assert_translated(
        r.output, where=f"cbeclab {command} --help ({how})", allow=_allowed(cmd) | {"cbeclab", *COMMANDS}
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_help_in_english_has_no_chinese(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CBECLAB_LANG", "zh")
    args = [*command.split(), "--help", "--lang", "en"] if command else ["--help", "--lang", "en"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0
    assert "Usage:" in r.output and "Options:" in r.output
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in r.output), r.output


def test_checker_flags_english_and_keeps_codes() -> None:
    words = [
        f.word for f in english_words("Cronbach α 为 0.82，KMO = 0.9，GM(1,1)；Q1、B8a；--lang；'pooled'")
    ]
    assert words == []
    words = [f.word for f in english_words("协同度 synergy，单位 100 million yuan，主体 textile_clothing")]
    assert words == ["synergy", "million", "yuan", "textile_clothing"]
    with pytest.raises(AssertionError, match="'synergy'"):
        assert_translated("表1 synergy", where="x")


def test_error_message_follows_lang(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("entity,period,a,b\nx,1,1,2\nx,2,2,3\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["weights", str(csv), "--cost", "nope", "--lang", "zh"])
    assert r.exit_code == 2
    assert "未知指标：nope" in r.output and "请使用数据中的列名" in r.output
    r = CliRunner().invoke(main, ["weights", str(csv), "--cost", "nope", "--lang", "en"])
    assert "unknown indicator(s): nope" in r.output


# ---- names that are data ------------------------------------------------------------------------


def test_framework_nodes_have_both_names() -> None:
    for kind in ("indicator", "dimension", "subsystem", "framework"):
        for key, pair in names_of(kind).items():
            assert pair.get("zh") and pair.get("en") and pair["zh"] != key, (kind, key, pair)
    # seed 001's duplicate "B8" stays split into B8a / B8b with their own names
    assert display_name("indicator", "B8a", "zh", source="seed001") != display_name(
        "indicator", "B8b", "zh", source="seed001"
    )


def test_display_names_per_kind() -> None:
    assert display_name("indicator", "A1", "en", source="seed001") == "Cross-border e-commerce exports"
    assert display_name("entity", "jewelry", "zh") == "珠宝首饰"
    assert display_name("entity", "my own city", "zh") == "my own city"
    assert display_name("mode", "industrial_agglomeration", "zh") == "产业集聚型跨境电商生态圈模式"
    assert display_name("operator", "lt") == "<" and display_name("operator", "ge", "zh") == "≥"
    assert display_name("unit", "100 million yuan", "zh") == "亿元"
    assert display_name("construct", "F1", "zh") == "集群企业因素"
    assert display_name("dataset", "political_democracy", "en").startswith("Bollen")
    assert display_name("gm11", "barely qualified", "zh") == "勉强合格"
    for kind in KINDS:
        assert names_of(kind), kind


def test_every_gm11_label_has_a_display_form() -> None:
    import numpy as np
    import pandas as pd

    from cbeclab.models.gm11 import GRADES, TEST_LEVELS, gm11_many

    labels = (
        {g[1] for g in GRADES} | {t[0] for t in TEST_LEVELS} | {"fail", "ok", "refused", "fit", "forecast"}
    )
    X = pd.DataFrame(
        {"v": [1.0, 1.1, 1.2, 1.35, 5.0, -1.0, 2.0, 3.0]},
        index=pd.MultiIndex.from_product([["a", "b"], range(4)], names=["entity", "period"]),
    )
    res = gm11_many(X, errors="skip")
    cols = [c for c in ("grade_label", "status", "residual_test", "ratio_test") if c in res.params]
    seen = {v for v in np.ravel(res.params[cols].to_numpy()) if isinstance(v, str)}
    assert {"ok", "refused"} <= seen
    assert seen <= labels, seen - labels
    known = names_of("gm11")
    assert all(known.get(x, {}).get("zh") for x in labels), sorted(x for x in labels if x not in known)


def test_every_unit_has_a_zh_form() -> None:
    from cbeclab.diagnose.modes import CITY_FIELDS
    from cbeclab.frameworks import list_frameworks, load_framework

    units = {i.unit for n in list_frameworks() for i in load_framework(n).indicators() if i.unit}
    units |= {str(m["unit"]) for m in CITY_FIELDS.values() if m.get("unit")}
    from cbeclab.datasets.guangzhou import UNIT

    units.add(UNIT)
    known = names_of("unit")
    missing = sorted(u for u in units if not known.get(u, {}).get("zh"))
    assert not missing, f"units without a zh form in i18n/data/units.yaml: {missing}"


def _texts(node: object, path: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    if isinstance(node, dict):
        if "zh" in node or "en" in node:
            out.append((path, node))
        for k, v in node.items():
            out.extend(_texts(v, f"{path}.{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_texts(v, f"{path}[{i}]"))
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in (SRC / "diagnose" / "rules").glob("*.yaml")))
def test_rule_texts_have_zh_and_en(name: str) -> None:
    raw = yaml.safe_load((SRC / "diagnose" / "rules" / name).read_text(encoding="utf-8"))
    for path, node in _texts(raw):
        assert isinstance(node, dict)
        assert node.get("zh") and node.get("en"), f"{name}{path}: needs both zh and en"
        for lang in ("zh", "en"):
            v = node[lang]
            items = v if isinstance(v, list) else [v]
            for it in items:
                assert isinstance(it, str), f"{name}{path}.{lang}: {it!r} is not text (quote a colon)"
        if isinstance(node["zh"], list):
            assert len(node["zh"]) == len(node["en"]), f"{name}{path}: zh and en lists differ in length"


# ---- zh outputs of the bundled examples ---------------------------------------------------------


def _run(args: list[str]) -> str:
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture(scope="module")
def run_zh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.getbasetemp() / "outputs_run_zh"  # the folder the output checks read too
    return out, _run(["run", str(EXAMPLES / "guangzhou" / "spec.yaml"), "--out", str(out), "--lang", "zh"])


@pytest.fixture(scope="module")
def diagnose_zh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.getbasetemp() / "outputs_diagnose_zh"
    return out, _run(
        ["diagnose", str(EXAMPLES / "diagnose" / "spec.yaml"), "--out", str(out), "--lang", "zh"]
    )


def test_run_console_zh(run_zh: tuple[Path, str]) -> None:
    out, console = run_zh
    assert "最新一期" in console
    assert_translated(console, where="cbeclab run --lang zh (console)", allow={"cbeclab"})


def test_diagnose_console_zh(diagnose_zh: tuple[Path, str]) -> None:
    _out, console = diagnose_zh
    assert "已写出" in console
    assert_translated(console, where="cbeclab diagnose --lang zh (console)")


#: the files each command writes for a reader, by the folder it writes them to
FILES = {
    "run": ("report.html", "result.xlsx", "report.docx"),
    "demo": ("report.html", "result.xlsx", "report.docx"),
    "diagnose": ("diagnosis.html", "diagnosis.xlsx", "diagnosis.docx"),
    "survey": ("survey.html", "survey.xlsx", "survey.docx"),
}


def _outputs(factory: pytest.TempPathFactory, command: str, lang: str) -> Path:
    """The output folder of one bundled example (written once per test session and language)."""
    out = factory.getbasetemp() / f"outputs_{command}_{lang}"
    if all((out / f).exists() for f in FILES[command]):
        return out
    args = {
        "run": ["run", str(EXAMPLES / "guangzhou" / "spec.yaml")],
        "demo": ["demo"],
        "diagnose": ["diagnose", str(EXAMPLES / "diagnose" / "spec.yaml")],
        "survey": ["survey", str(EXAMPLES / "yongkang" / "survey.yaml"), "--bootstrap", "50"],
    }[command]
    _run([*args, "--out", str(out), "--lang", lang])
    return out


#: (command, file) of every output a reader opens; the survey runs a bootstrap, so it is marked slow
OUTPUTS = [
    pytest.param(c, f, marks=pytest.mark.slow) if c == "survey" else (c, f) for c in FILES for f in FILES[c]
]


@pytest.mark.parametrize(("command", "name"), OUTPUTS)
def test_outputs_zh_have_no_english_ui_words(
    tmp_path_factory: pytest.TempPathFactory, command: str, name: str
) -> None:
    """HTML, XLSX and DOCX (paragraphs, captions, table cells) of every command in zh: no English UI."""
    out = _outputs(tmp_path_factory, command, "zh")
    assert_translated(text_of(out / name), where=f"{command} --lang zh: {name}")


@pytest.mark.parametrize(("command", "name"), OUTPUTS)
def test_outputs_en_have_no_chinese_keys_or_reprs(
    tmp_path_factory: pytest.TempPathFactory, command: str, name: str
) -> None:
    """The same outputs in en: no Chinese-only text, no snake_case data keys, no None/nan/True reprs.

    The guangzhou run reads a Chinese CSV (its entity, period and indicator names are the user's
    own): those names are allowed; nothing else in Chinese is.
    """
    out = _outputs(tmp_path_factory, command, "en")
    allow: set[str] = set()
    if command == "run":
        import pandas as pd

        raw = pd.read_csv(EXAMPLES / "guangzhou" / "panel.csv", encoding="gbk", nrows=200)
        allow = {str(c) for c in raw.columns} | {str(v) for v in raw.iloc[:, 0].unique()}
        allow |= {str(yaml.safe_load((EXAMPLES / "guangzhou" / "spec.yaml").read_text("utf-8"))["title"])}
    assert_english(text_of(out / name), where=f"{command} --lang en: {name}", allow=allow)


def test_english_check_flags_keys_reprs_and_chinese() -> None:
    found = [f.word for f in english_problems("stage_en: None, 协同 {'a': 1} np.int64(2) nan")]
    assert found == [
        "Chinese text: 协同",
        "raw key: stage_en",
        "repr: None",
        "repr: {'",
        "repr: np.int64(",
        "repr: nan",
    ]
    # formula symbols, file names, paths and quoted values are not keys
    assert english_problems("w_j = (1 - e_j); see tables/coupling_x.parquet, 'pooled_all', result.json") == []


def test_checker_skips_text_marked_english() -> None:
    page = (
        '<p>信度 <cite>Hu &amp; Bentler (1999)</cite> <span lang="en">Structural Equation Modeling</span></p>'
    )
    assert english_words(html_text(page)) == []
    assert [f.word for f in english_words(html_text("<p>Table 1</p>"))] == ["Table"]


def test_english_diagnosis_has_no_raw_dicts(tmp_path: Path) -> None:
    _run(["diagnose", str(EXAMPLES / "diagnose" / "spec.yaml"), "--out", str(tmp_path), "--lang", "en"])
    page = (tmp_path / "diagnosis.html").read_text(encoding="utf-8")
    assert "{&#x27;" not in page and "{'" not in page


def test_click_usage_errors_follow_lang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CBECLAB_LANG", raising=False)
    r = CliRunner().invoke(main, ["run", "--lang", "zh"], prog_name="cbeclab")
    assert r.exit_code == 2
    assert "错误：缺少参数 'SPEC'" in r.output and "查看帮助" in r.output
    assert_translated(r.output, where="cbeclab run --lang zh (usage error)", allow={"cbeclab", "run"})
    r = CliRunner().invoke(main, ["run", "--lang", "en"], prog_name="cbeclab")
    assert "Error: Missing argument 'SPEC'." in r.output
    monkeypatch.setenv("CBECLAB_LANG", "zh")
    r = CliRunner().invoke(main, ["rnu"], prog_name="cbeclab")
    assert "没有命令 'rnu'" in r.output and "'run'" in r.output


def test_demo_zh_title_and_console(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert "美妆日化" in r.stdout and "数字贸易发展" in r.stdout  # entity and subsystem display names
    assert_translated(r.stdout, where="cbeclab demo --lang zh (stdout)")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<title>" + display_name("dataset", "guangzhou_demo", "zh") in page


def test_help_columns_line_up_in_chinese() -> None:
    from cbeclab.cli.i18n import display_width, wrap_display

    assert display_width("目录 ab") == 7
    assert wrap_display("一二三四五六（七）。", 6) == ["一二三", "四五六", "（七）。"]
    r = CliRunner().invoke(main, ["coupling", "--help", "--lang", "zh"], prog_name="cbeclab")
    starts = set()
    for line in r.output.splitlines():
        if line.startswith("  --") and "  " in line[4:]:
            head, _sep, rest = line[2:].partition("  ")
            starts.add(display_width("  " + head + _sep + rest) - display_width(rest.lstrip()))
    assert len(starts) == 1, starts  # every option's help starts in the same terminal column
    assert max(display_width(x) for x in r.output.splitlines()) <= 80
