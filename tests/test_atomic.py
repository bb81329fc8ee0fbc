import os
import stat
from pathlib import Path

import pytest

from cbeclab.io.atomic import atomic_write_text


def test_new_file_gets_umask_mode_and_no_temp_left(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        p = atomic_write_text(tmp_path / "a" / "r.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert p.read_text() == "{}"
    assert [x.name for x in p.parent.iterdir()] == ["r.json"]


def test_existing_file_keeps_mode_and_failed_write_keeps_old_content(tmp_path: Path) -> None:
    p = tmp_path / "r.txt"
    p.write_text("old")
    p.chmod(0o640)
    atomic_write_text(p, "new")
    assert stat.S_IMODE(p.stat().st_mode) == 0o640 and p.read_text() == "new"
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(p, "\udc80", encoding="utf-8")  # cannot encode: nothing replaced
    assert p.read_text() == "new"
    assert [x.name for x in tmp_path.iterdir()] == ["r.txt"]
