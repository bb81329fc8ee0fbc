"""``cbeclab sem`` command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cbeclab.cli import main
from cbeclab.datasets.classic import holzinger_swineford

FIX = Path(__file__).parent / "fixtures"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"


def test_sem_cli_writes_json(tmp_path: Path) -> None:
    model = tmp_path / "m.lav"
    model.write_text(HS)
    data = tmp_path / "hs.csv"
    holzinger_swineford().to_csv(data, index=False)
    out = tmp_path / "out.json"
    r = CliRunner().invoke(main, ["sem", str(model), str(data), "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "Test statistic" in r.output
    doc = json.loads(out.read_text())
    ref = json.loads((FIX / "sem_hs_cfa.json").read_text())
    assert abs(doc["fit"]["chisq"] - ref["fit"]["chisq"]) < 1e-3
    assert set(doc["params"][0]) == {
        "lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "std_all", "ci_lower", "ci_upper"
    }  # fmt: skip
    assert doc["params"][0]["z"] is None  # fixed loading
    r2 = CliRunner().invoke(main, ["sem", str(model), str(data), "--std-lv", "--json", str(out)])
    assert r2.exit_code == 0
    assert json.loads(out.read_text())["params"][0]["se"] > 0


def test_sem_cli_error_is_one_line(tmp_path: Path) -> None:
    model = tmp_path / "m.lav"
    model.write_text("visual =~ x1 + x2 + xx3\n")
    data = tmp_path / "hs.csv"
    holzinger_swineford().to_csv(data, index=False)
    r = CliRunner().invoke(main, ["sem", str(model), str(data)])
    assert r.exit_code == 2
    assert "unknown variable 'xx3'" in r.output and "Traceback" not in r.output


def test_sem_cli_fiml_mlr_json(tmp_path: Path) -> None:
    """--missing ml --estimator MLR: lavaan's fit names ('.' -> '_'), patterns and drop count in the JSON."""
    fx = Path(__file__).parent / "fixtures"
    ref = json.loads((fx / "sem_lk_fiml_mlr.json").read_text())
    model = tmp_path / "m.lav"
    model.write_text(ref["model"], encoding="utf-8")
    out = tmp_path / "o.json"
    r = CliRunner().invoke(
        main,
        ["sem", str(model), str(fx / "sem_likert_missing.csv"), "--missing", "ml", "--estimator", "MLR",
         "--json", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["estimator"] == "MLR" and doc["missing"] == "ml" and doc["n_dropped"] == 0
    assert len(doc["missing_patterns"]) == ref["patterns"]["n_patterns"]
    for key in ("chisq_scaled", "cfi_scaled", "rmsea_scaled", "logl", "rmsea_pvalue"):
        assert abs(doc["fit"][key] - ref["fit"][key.replace("_", ".")]) < 1e-3 * max(1, abs(doc["fit"][key]))
    assert "Scaled test statistic" in r.output and "Missing-data patterns" in r.output


def test_sem_cli_group_invariance_json(tmp_path: Path) -> None:
    """--group --invariance: one row per step in the JSON key ``invariance``, rows carry ``group``."""
    ref = json.loads((Path(__file__).parent / "fixtures" / "sem_multigroup.json").read_text())
    model = tmp_path / "m.lav"
    model.write_text(ref["hs_model"], encoding="utf-8")
    data = tmp_path / "hs.csv"
    holzinger_swineford().to_csv(data, index=False)
    out = tmp_path / "o.json"
    r = CliRunner().invoke(
        main, ["sem", str(model), str(data), "--group", "school", "--invariance", "--json", str(out)]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert [row["step"] for row in doc["invariance"]] == ["configural", "metric", "scalar", "strict"]
    metric = doc["invariance"][1]
    assert abs(metric["chisq_diff"] - ref["hs"]["lrt"]["metric"]["chisq_diff"]) < 1e-3
    assert {p["group"] for p in doc["params"]} == {"Pasteur", "Grant-White"}
    r2 = CliRunner().invoke(main, ["sem", str(model), str(data), "--invariance"])
    assert r2.exit_code != 0 and "--group" in r2.output


def test_commands_register_lazily_and_help_lists_them_all() -> None:
    """``import cbeclab.cli`` imports no command module (nor pandas, scipy); running a command
    imports its own module only; ``--help`` lists every command of :data:`cbeclab.cli.COMMANDS`,
    which names exactly the commands the modules register."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import cbeclab.cli as c\n"
        "bad = [m for m in ('pandas', 'scipy', *c.SUBCOMMAND_MODULES) if m in sys.modules]\n"
        "assert not bad, bad\n"
        "from click.testing import CliRunner\n"
        "r = CliRunner().invoke(c.main, ['sem', '--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'cbeclab.cli.sem' in sys.modules and 'cbeclab.cli.engine' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    import cbeclab.cli as cli

    cli.load_all()
    assert set(cli.main.commands) == set(cli.COMMANDS)
    for name, mod in cli.COMMANDS.items():
        assert cli.main.commands[name].callback.__module__ == mod
    out = CliRunner().invoke(main, ["--help"]).output
    listed = [ln.split()[0] for ln in out.split("Commands:")[1].splitlines() if ln.strip()]
    assert sorted(set(listed)) == sorted(cli.COMMANDS)
