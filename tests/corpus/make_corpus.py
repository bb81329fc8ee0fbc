"""Regenerate the bad/tricky input corpus (tests/corpus/*): ``python tests/corpus/make_corpus.py``.

Each file is one case of issue 11; tests/test_io_corpus.py runs every case through the command line and
checks its message (or its numbers). Binary cases (GBK bytes after a BOM, a damaged xlsx) are written
here so their bytes are exact and reviewable by re-running the script.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = "cluster,year,exports,imports\nA,2018,1.5,2\nA,2019,2.5,3\nB,2018,3.5,1\nB,2019,4,5\n"


def w(name: str, data: str | bytes) -> None:
    (HERE / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def main() -> None:
    w("ok.csv", BASE)
    w("title_and_note.csv", "广州跨境电商面板（单位：亿元）\n" + BASE + "注：数据来源于统计年鉴\n")
    w("blank_lines_before_header.csv", "\n\n,,,\n" + BASE)
    w("cr_only.csv", BASE.replace("\n", "\r"))
    w("bom_then_gbk.csv", b"\xef\xbb\xbf" + BASE.replace("cluster", "集群").encode("gbk"))
    w(
        "semicolon_decimal_comma.csv",
        "cluster;year;exports;imports\nA;2018;0,100;2\nA;2019;0,200;3\nB;2018;0,300;1\nB;2019;0,400;5\n",
    )
    w("semicolon_ambiguous.csv", "cluster;year;exports;imports\nA;2018;1,234;2\nA;2019;2,345;3\n")
    w("int_above_2_63.csv", BASE.replace("2.5", str(2**64 + 5)))
    w("period_too_large.csv", BASE.replace("2019", "9" * 400 + "年"))
    w(
        "fullwidth_and_percent.csv",
        BASE.replace("1.5", "１.５").replace("2.5", "２.５").replace("3.5", "３.５").replace(",4,", ",４,"),
    )
    w(
        "percent_column.csv",
        "cluster,year,share,imports\nA,2018,12%,2\nA,2019,15%,3\nB,2018,11%,1\nB,2019,9%,5\n",
    )
    w(
        "percent_mixed.csv",
        "cluster,year,share,imports\nA,2018,12%,2\nA,2019,0.15,3\nB,2018,11%,1\nB,2019,9%,5\n",
    )
    w("empty_column.csv", "cluster,year,exports,imports\nA,2018,,2\nA,2019,,3\nB,2018,,1\nB,2019,,5\n")
    w("mixed_delimiters.csv", "cluster,year,exports,imports\nA,2018,1,2\nA;2019;2;3\n")
    w("ambiguous_delimiter.csv", "a,b;c\n1,2;3\n4,5;6\n")
    w(
        "formula_injection.csv",
        'cluster,year,exports,imports\n=HYPERLINK("x"),2018,1,2\n=HYPERLINK("x"),2019,2,3\nB,2018,3,1\nB,2019,4,5\n',
    )
    w(
        "years_as_columns.csv",
        "地区,指标,2014年,2015年,2016年\n广州,出口（亿元）,1,2,3\n广州,进口（亿元）,2,2.5,3\n深圳,出口（亿元）,3,4,6\n深圳,进口（亿元）,1,3,2\n",
    )
    w(
        "two_row_header.csv",
        "地区,年份,进出口总额,\n,,出口,进口\n广州,2018,1,2\n广州,2019,2,3\n深圳,2018,3,1\n深圳,2019,4,5\n",
    )
    w("bad_cell_under_title.csv", "标题行\n" + BASE.replace("2.5", "abc"))
    w("missing_cells.csv", BASE.replace("2.5", ""))
    # a workbook whose sheet part is missing from the zip
    import openpyxl

    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in BASE.strip().split("\n"):
        ws.append([int(v) if v.isdigit() else v for v in row.split(",")])
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                z.writestr(item, src.read(item.filename))
    w("missing_sheet_part.xlsx", out.getvalue())
    w("damaged.xlsx", b"PK\x03\x04" + b"\x00" * 40)
    # an xlsx with a text cell in column C, row 3
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["cluster", "year", "exports", "imports"])
    ws.append(["A", 2018, 1, 2])
    ws.append(["A", 2019, "n.a.x", 3])
    buf = io.BytesIO()
    wb.save(buf)
    w("text_cell.xlsx", buf.getvalue())
    # YAML specs
    spec = "data: {path: ok.csv, entity: cluster, period: year}\nsubsystems: {a: {exports: +}, b: {imports: +}}\n"
    w("spec_tag.yaml", spec + "synergy: {bound_margin: !!float 0.1}\n")
    w("spec_duplicate_key.yaml", spec + "weights: entropy\nweights: critic\n")
    w("spec_typo.yaml", spec + "weigths: critic\n")
    w("spec_normalize.yaml", spec + "normalize: {method: zscore}\n")
    w(
        "ok3.csv",
        BASE.replace("imports\n", "imports,firms\n")
        .replace("2\n", "2,7\n")
        .replace("3\n", "3,8\n")
        .replace("1\n", "1,6\n")
        .replace("5\n", "5,9\n"),
    )
    w(
        "spec_ahp_wrong_size.yaml",
        "data: {path: ok3.csv, entity: cluster, period: year}\n"
        "subsystems: {a: {exports: +, imports: +}, b: {firms: +}}\n"
        "weights: {method: ahp, ahp_matrix: {a: [[1, 3, 5], [0.333, 1, 2], [0.2, 0.5, 1]], b: [[1]]}}\n",
    )
    w("spec_data_not_mapping.yaml", "data: panel.csv\nframework: seed001\n")
    w(
        "spec_header_row.yaml",
        "data: {path: title_and_note.csv, entity: cluster, period: year, header_row: 2, skip_footer: 1}\n"
        "subsystems: {a: {exports: +}, b: {imports: +}}\n",
    )
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        bomb.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    w("spec_alias_bomb.yaml", "\n".join(bomb) + "\ndata: *i\n")
    # SEM model syntax
    w("sem_nan_names.lav", "m1 ~ a*x\ny ~ b*m1\nnan := a*b\ninf := nan*2\n")
    w("sem_overflow.lav", "m1 ~ a*x\ny ~ b*m1\nbig := 10^1000*a\nz := 1/0\nab := a*b\n")
    w("sem_huge_literal.lav", "m1 ~ a*x\ny ~ b*m1\nz := 1e999*a\n")


if __name__ == "__main__":
    main()
