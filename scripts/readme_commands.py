#!/usr/bin/env python3
"""Print the README's command table, generated from the ``cchc-xl`` parser (``cchc_xl.cli.command_table``).

    python scripts/readme_commands.py           # print the table
    python scripts/readme_commands.py --write   # replace the table in README.md (between its markers)

``tests/test_cli.py`` fails when the README's table differs from the parser.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

START, END = "<!-- commands:start (scripts/readme_commands.py --write) -->", "<!-- commands:end -->"


def readme_table(text: str) -> str:
    """The table between the markers of README text."""
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def with_table(text: str, table: str) -> str:
    head, rest = text.split(START, 1)
    return f"{head}{START}\n{table}\n{END}{rest.split(END, 1)[1]}"


def main(argv: list[str]) -> int:
    from cchc_xl.cli import command_table

    table = command_table()
    if "--write" in argv:
        readme = ROOT / "README.md"
        readme.write_text(with_table(readme.read_text(encoding="utf-8"), table), encoding="utf-8")
    else:
        sys.stdout.reconfigure(encoding="utf-8")
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
