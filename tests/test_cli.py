"""The command line's structure: one place registers every command, each with --help; commands import what
they need when they run; the README's table is the parser's; a closed pipe ends quietly."""

from __future__ import annotations

import ast
import json
import os
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cchc_xl.cli import COMMANDS, Command, build_parser, command_table, run_command

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from readme_commands import readme_table  # noqa: E402


def _env(tmp_path: Path | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    if tmp_path is not None:  # crash logs, if any, land here
        env["LOCALAPPDATA"] = str(tmp_path / "appdata")
        env["HOME"] = str(tmp_path / "home")
    return env


def _cli(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT, env=kw.pop("env", _env()), timeout=300, **kw)


@pytest.mark.parametrize("name", [c.name for c in COMMANDS])
def test_every_registered_command_has_help_in_a_fresh_process(name):
    r = _cli(name, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Cách dùng: cchc-xl {name}") and "tùy chọn:" in r.stdout
    assert r.stderr == ""


def test_top_level_help_lists_every_command():
    r = _cli("--help")
    assert r.returncode == 0
    for c in COMMANDS:
        assert c.name in r.stdout


def test_building_the_parser_imports_no_command():
    """`cchc-xl --help` and the parser of every command load only the CLI itself and the vocabulary (the period
    keys of --period; an enum module importing nothing of the project); a command loads its library when it runs
    (issue 10: every command used to import cchc_xl.distribute)."""
    code = ("import sys, cchc_xl.cli as c; c.build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith('cchc_xl')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True)
    assert ast.literal_eval(r.stdout) == ["cchc_xl", "cchc_xl.cli", "cchc_xl.cli_args", "cchc_xl.core",
                                          "cchc_xl.core.vocabulary", "cchc_xl.errors"]


def test_check_does_not_load_the_distribution_package(tmp_path):
    code = ("import sys, cchc_xl.cli as c; c.main(['check', 'workbook/CCHC_2024.xlsm', '--json']); "
            "print(any(m.startswith('cchc_xl.distribute') for m in sys.modules), file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=ROOT)
    assert r.stderr.strip().splitlines()[-1] == "False", r.stderr


def test_readme_command_table_is_generated_from_the_parser():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table(readme) == command_table(), "run: python scripts/readme_commands.py --write"
    for c in COMMANDS:  # every option of every command is in the table
        assert f"`cchc-xl {c.name}" in readme


def test_the_table_follows_the_parser():
    """The generated table changes with the parser: an added option appears in it."""
    def more(p):
        p.add_argument("--moi", help="tùy chọn mới")

    extra = Command("thu", "lệnh thử", "Lệnh thử.", more, lambda args: 0)
    assert "| `cchc-xl thu [--moi MOI]` | lệnh thử |" in command_table([*COMMANDS, extra])


def test_a_command_registered_by_dotted_names_is_imported_when_it_runs(tmp_path, capsys, monkeypatch):
    (tmp_path / "lenh_thu.py").write_text(textwrap.dedent("""
        from cchc_xl.cli_args import date_arg

        def arguments(p):
            p.add_argument("--ngay", type=date_arg, required=True)

        def run(args):
            print(args.ngay.isoformat())
            return 0
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("lenh_thu", None)
    parser = build_parser([*COMMANDS, Command("thu", "lệnh thử", "Lệnh thử.", "lenh_thu:arguments",
                                              "lenh_thu:run")])
    args = parser.parse_args(["thu", "--ngay", "14/06/2024"])
    assert run_command(args) == 0 and capsys.readouterr().out == "2024-06-14\n"


def test_consolidate_help_states_the_just_written_rule():
    from cchc_xl.distribute.consolidate import SETTLE_SECONDS

    r = _cli("consolidate", "--help")
    assert f"{SETTLE_SECONDS:g} giây gần nhất" in r.stdout
    doc = (ROOT / "docs" / "SCHEDULING.md").read_text(encoding="utf-8")
    assert f"{SETTLE_SECONDS:g} giây" in doc


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
def test_refresh_into_a_closed_pipe_exits_quietly(tmp_path, json_flag):
    """`cchc-xl refresh … | head`: the reader is gone before anything is printed. No error, no crash log."""
    out = tmp_path / "out.xlsm"
    p = subprocess.Popen([sys.executable, "-m", "cchc_xl.cli", "refresh", "workbook/CCHC_2024.xlsm", "--as-of",
                          "2024-06-14", "--out", str(out), *json_flag], cwd=ROOT, env=_env(tmp_path),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # a real pipe whose reader has exited
    err = p.stderr.read().decode("utf-8")
    p.wait(timeout=300)
    assert p.returncode == 0, err
    assert err == "" and out.exists()
    assert not list(tmp_path.rglob("loi-*.log"))


def test_refresh_piped_into_head(tmp_path):
    """The same through a shell pipeline with `head -n 1`."""
    out = tmp_path / "out.xlsm"
    cmd = (f'"{sys.executable}" -m cchc_xl.cli refresh workbook/CCHC_2024.xlsm --as-of 2024-06-14 '
           f'--out "{out}" 2>"{tmp_path / "err.txt"}" | head -n 1; echo "rc=${{PIPESTATUS[0]}}"')
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, encoding="utf-8", cwd=ROOT,
                       env=_env(tmp_path), timeout=300)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Kỳ báo cáo:") and lines[-1] == "rc=0"
    assert (tmp_path / "err.txt").read_text(encoding="utf-8") == ""


def test_no_progress_bar_into_a_pipe(tmp_path):
    """stderr is a pipe (a log, a scheduler): no carriage-return progress bar, only the final lines."""
    r = _cli("refresh", "workbook/CCHC_2024.xlsm", "--as-of", "2024-06-14", "--out", str(tmp_path / "o.xlsm"))
    assert r.returncode == 0 and "\r" not in r.stderr and "\r" not in r.stdout and "%" not in r.stderr


def test_json_output_is_one_object():
    r = _cli("check", "workbook/CCHC_2024.xlsm", "--json")
    assert r.returncode in (0, 1) and isinstance(json.loads(r.stdout), list)


def test_progress_bar_draws_only_on_a_terminal(tmp_path):
    from cchc_xl.progress import text_progress

    log = tmp_path / "log.txt"
    with open(log, "w", encoding="utf-8") as stream:  # a log file, as a scheduler captures stderr
        for bar in (text_progress(stream),):
            bar(0.5, "Đang đọc…")
            bar(1.0, "Xong.")
    assert log.read_text(encoding="utf-8") == ""
    master, slave = os.openpty()  # a real terminal
    try:
        with open(slave, "w", encoding="utf-8", closefd=False) as tty:
            bar = text_progress(tty)
            bar(0.5, "Đang đọc…")
            bar(1.0, "Xong.")
            quiet = text_progress(tty, quiet=True)
            quiet(0.5, "không hiện")
        drawn = b""
        deadline = time.monotonic() + 5        # a busy machine hands the pty's bytes over in pieces
        while b"Xong." not in drawn and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                drawn += os.read(master, 4096)
        drawn = drawn.decode("utf-8")
    finally:
        os.close(master)
        os.close(slave)
    assert drawn.startswith("\r[") and " 50% Đang đọc…" in drawn and "100% Xong." in drawn
    assert "không hiện" not in drawn


@pytest.mark.parametrize("module", ["cchc_xl.cli_args", "cchc_xl.progress", "cchc_xl.excel.conf",
                                    "cchc_xl.distribute.send"])
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted and not result.failed
