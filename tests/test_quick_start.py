"""Issue #17 §6: the README's Quick start is two commands, and CI runs exactly those, in a fresh virtual
environment it makes itself — so CI is what a newcomer does."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_the_quick_start_is_two_commands_of_one_line_each():
    commands = quick_start_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands
    assert commands[0].startswith('pip install -e ".[test]" && cchc-xl refresh workbook/CCHC_2024.xlsm')
    assert commands[1] == "python -m pytest -q"


def test_ci_runs_both_in_a_fresh_virtual_environment_of_its_own():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in script.splitlines()]
    venv_at = next(i for i, ln in enumerate(lines) if ln.startswith("python3 -m venv "))
    activate_at = next(i for i, ln in enumerate(lines) if ln.startswith(". ") and "/bin/activate" in ln)
    at = [lines.index(c) for c in quick_start_commands()]            # word for word
    assert venv_at < activate_at < at[0] < at[1]
    assert "mktemp -d" in script and "trap 'rm -rf" in script     # fresh each run, removed afterwards
    assert "--system-site-packages" not in script
    for package in ("libreoffice-calc", "poppler-utils", "fonts-liberation2"):  # the Debian packages it installs
        assert package in script


def test_ci_lints_with_the_committed_configuration_before_the_tests():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(d.startswith("ruff") for d in project["project"]["optional-dependencies"]["test"])
    assert project["tool"]["ruff"]["lint"]["select"]                  # a committed rule set, not ruff's defaults
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    at = [lines.index(c) for c in quick_start_commands()]
    assert at[0] < lines.index("ruff check .") < at[1]                # installed by the first, fails before pytest
