"""The ``cbeclab`` process after a run (issue 8): it ends without the interpreter's teardown only once
every output is written, with everything it printed flushed; failures keep the normal exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import cbeclab.cli as cli
from cbeclab.store import open_run


def _cbeclab(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cbeclab", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_a_finished_run_exits_zero_with_its_output_flushed_and_its_folder_complete(tmp_path: Path) -> None:
    # stdout is a pipe here, so it is block-buffered: the last line only arrives if it was flushed
    p = _cbeclab("demo", "--out", "demo", "--lang", "en", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip().splitlines()[-1].startswith("Outputs: ")
    run = open_run(tmp_path / "demo")
    run.verify()  # every file the manifest lists is there with its checksum
    assert not [q for q in (tmp_path / "demo").rglob("*") if q.name.startswith(".")]  # no temp files


def test_a_failed_run_keeps_the_normal_exit_code_and_message(tmp_path: Path) -> None:
    p = _cbeclab("run", str(tmp_path / "missing.yaml"), "--out", "x", cwd=tmp_path)
    assert p.returncode == 2
    assert "spec file not found" in p.stderr


def test_in_process_calls_never_leave_the_process(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """CliRunner (tests, notebooks) calls the click group, not :func:`cli.entry`: the flag set by a
    run changes nothing there, and the process is still alive to check it."""
    monkeypatch.setattr(cli, "_FAST_EXIT", False)
    res = CliRunner().invoke(cli.main, ["demo", "--out", str(tmp_path / "d"), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert cli._FAST_EXIT is True


def test_entry_exits_normally_unless_a_command_asked_for_the_fast_exit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    monkeypatch.setattr("os._exit", calls.append)  # records instead of ending the test process
    monkeypatch.setattr(cli, "_FAST_EXIT", True)
    monkeypatch.setattr(cli, "main", lambda: sys.exit(3))
    with pytest.raises(SystemExit) as err:  # an error code: the normal exit, whatever the flag
        cli.entry()
    assert err.value.code == 3 and calls == []
    monkeypatch.setattr(cli, "main", lambda: sys.exit(0))
    with pytest.raises(SystemExit):  # reached only because the stand-in os._exit returned
        cli.entry()
    assert calls == [0]
    monkeypatch.setattr(cli, "_FAST_EXIT", False)
    with pytest.raises(SystemExit) as err:
        cli.entry()
    assert err.value.code == 0 and calls == [0]
