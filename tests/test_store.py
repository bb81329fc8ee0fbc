"""The result store (issue 8): Parquet tables + manifest written last, open_run, a consistent run
folder (lock, staged swap, kill at any point), result.json schema 2, result.xlsx contents, console."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cbeclab.cli import main
from cbeclab.pipeline import run_spec
from cbeclab.spec import load_spec
from cbeclab.store import RunFolderError, StoreError, open_run, write_run
from cbeclab.store import write as store_write
from cbeclab.store.folder import lock_path

SPEC = """
title: store test
data: {path: panel.csv, entity: city, period: year}
subsystems:
  trade: {x1: +, x2: +, x3: -}
  cluster: {y1: +, y2: +, y3: +}
weights: entropy
forecast: {horizon: 2}
"""


def make_panel(n_e: int = 12, n_t: int = 8, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(n_e):
        lvl = rng.uniform(10, 100, 6)
        for t in range(n_t):
            g = (1 + 0.05 * (e % 4 + 1)) ** t
            v = lvl * g * rng.lognormal(0, 0.08, 6)
            rows.append(
                {
                    "city": f"c{e:03d}",
                    "year": 2010 + t,
                    **{k: v[i] for i, k in enumerate(["x1", "x2", "x3", "y1", "y2", "y3"])},
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture()
def spec_dir(tmp_path: Path) -> Path:
    make_panel().to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def test_every_table_once_manifest_and_reader(spec_dir: Path, tmp_path: Path) -> None:
    res = run_spec(load_spec(spec_dir / "spec.yaml"))
    out = tmp_path / "run"
    write_run(res, out)
    run = open_run(out)
    frames = res.tables()
    assert run.tables == list(frames)
    files = sorted(p.name for p in (out / "tables").iterdir())
    assert files == sorted(f"{n}.parquet" for n in frames)  # each table once
    for name, frame in frames.items():
        got = run.table(name)
        assert run.info(name)["rows"] == len(frame) == len(got)
        assert list(got.columns) == [str(c) for c in frame.columns]
        for col in frame.columns:
            if pd.api.types.is_float_dtype(frame[col]):
                np.testing.assert_array_equal(got[col].to_numpy(float), frame[col].to_numpy(float))
    run.verify()
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["schema_version"] == 2 and m["spec"]["title"] == "store test"
    assert set(m["files"]) == {"result.json", "result.xlsx", "report.html", "report.docx"}
    # a changed byte is found, by the table loader and by verify()
    p = out / run.info("synergy")["file"]
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="checksum"):
        run.table("synergy")
    with pytest.raises(StoreError, match="checksum"):
        run.verify()
    with pytest.raises(StoreError, match="no table"):
        run.table("nope")
    with pytest.raises(StoreError, match="not a complete cbeclab run"):
        open_run(tmp_path)


def test_result_json_names_long_tables_and_xlsx_says_where(
    spec_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_write, "INLINE_ROWS", 20)
    monkeypatch.setattr(store_write, "XLSX_MAX_CELLS", 500)
    res = run_spec(load_spec(spec_dir / "spec.yaml"))
    out = tmp_path / "run"
    write_run(res, out)
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == 2
    assert len(doc["summary"]) == 12  # always inline
    ref = doc["synergy"]["synergy"]
    assert ref["file"] == "tables/synergy.parquet" and ref["rows"] == 12 * 8
    assert isinstance(doc["coupling"]["weights"], list)  # 6 rows: inline
    assert open_run(out).table("synergy")["synergy"].notna().sum() == 12 * 7
    assert doc["tables"]["coupling"]["rows"] == 12 * 8
    wb = load_workbook(out / "result.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["Contents", "Summary"]
    rows = list(wb["Contents"].iter_rows(min_row=4, values_only=True))
    sheet_of = {r[5]: r[0] for r in rows if r[5]}
    # every stored table with rows is listed with its file: on a sheet, or said to be left out
    run = open_run(out)
    assert set(sheet_of) == {run.info(n)["file"] for n in run.tables if run.info(n)["rows"]}
    assert sheet_of["tables/summary.parquet"] == "Summary"
    assert sheet_of["tables/coupling.parquet"] == "not in this workbook (too long)"
    assert "Coupling" not in wb.sheetnames and sheet_of["tables/weights_coupling.parquet"] in wb.sheetnames


def test_lock_refuses_a_second_run_and_takes_over_a_stale_one(spec_dir: Path, tmp_path: Path) -> None:
    res = run_spec(load_spec(spec_dir / "spec.yaml"))
    out = tmp_path / "run"
    lock = lock_path(out.absolute())
    lock.write_text(f"{os.getpid()} {os.uname().nodename}\n")  # a live owner
    with pytest.raises(RunFolderError, match="in use by another run") as exc:
        write_run(res, out)
    assert str(lock) in str(exc.value)
    assert not out.exists()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(f"{dead.pid} {os.uname().nodename}\n")  # its process is gone: stale
    write_run(res, out)
    open_run(out).verify()
    assert not lock.exists()


def test_folder_with_foreign_files_is_refused(spec_dir: Path, tmp_path: Path) -> None:
    res = run_spec(load_spec(spec_dir / "spec.yaml"))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(RunFolderError, match="thesis.docx"):
        write_run(res, out)
    assert (out / "thesis.docx").read_text() == "precious"


POINTS = [
    "tables/panel.parquet",
    "tables/synergy.parquet",
    "result.json",
    "result.xlsx",
    "report.html",
    "manifest.json",
    "before-swap",
]


@pytest.mark.slow
def test_a_run_killed_at_any_point_leaves_the_previous_run(spec_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "cbeclab", "run", str(spec_dir / "spec.yaml"), "--out", str(out), "--quiet"]
    subprocess.run(cmd, env=env, check=True)
    before = (out / "manifest.json").read_bytes()
    open_run(out).verify()
    # the second run works on different data, so a mix would show in the checksums
    make_panel(seed=9).to_csv(spec_dir / "panel.csv", index=False)
    for point in POINTS:
        proc = subprocess.Popen(
            cmd, env={**env, "CBECLAB_TEST_PAUSE": point}, stderr=subprocess.PIPE, text=True
        )
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert f"paused at {point}" in line, line
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert (out / "manifest.json").read_bytes() == before, point
        run = open_run(out)
        run.verify()
        assert sorted(p.name for p in out.iterdir()) == [
            "manifest.json",
            "report.docx",
            "report.html",
            "result.json",
            "result.xlsx",
            "tables",
        ]
        assert not any(p.name.startswith(".") for p in (out / "tables").iterdir())
    # the next run sweeps the dead runs' staging folders and the stale lock, and replaces the run whole
    subprocess.run(cmd, env=env, check=True)
    assert (out / "manifest.json").read_bytes() != before
    open_run(out).verify()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".run")] == []


def test_failed_write_leaves_previous_run_and_no_temp(
    spec_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = run_spec(load_spec(spec_dir / "spec.yaml"))
    out = tmp_path / "outs" / "run"
    write_run(res, out)
    before = (out / "manifest.json").read_bytes()

    def boom(*a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("cbeclab.render.xlsx.render_xlsx", boom)
    with pytest.raises(OSError, match="disk full"):
        write_run(res, out)
    assert (out / "manifest.json").read_bytes() == before
    open_run(out).verify()
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]  # no staging folder, no lock


def test_console_summary_for_many_entities(tmp_path: Path) -> None:
    make_panel(n_e=45).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    for lang, words in (
        ("en", ("Top 10 entities by D", "Bottom 10", "Synergy stage:", "45 entities")),
        ("zh", ("D 最高的 10 个对象", "协同阶段:", "45 个对象")),
    ):
        r = CliRunner().invoke(
            main, ["run", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / f"o{lang}"), "--lang", lang]
        )
        assert r.exit_code == 0, r.output
        for w in words:
            assert w in r.output, (w, r.output)
        listed = [e for e in (f"c{i:03d}" for i in range(45)) if e in r.output]
        assert len(listed) == 20  # top and bottom 10, not all 45
    r = CliRunner().invoke(
        main, ["run", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "x"), "--quiet"]
    )
    assert r.exit_code == 0 and r.output == ""
