"""docs/ARCHITECTURE.md is true (issue #18 §5): every package and module of ``cchc_xl`` it names exists, and every
package and public module that exists is named in its module map."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
# a path of the package as the document writes it: cchc_xl/core/tasks.py, cchc_xl/report/, cchc_xl/
_PATH = re.compile(r"cchc_xl/(?:[A-Za-z0-9_]+/)*(?:[A-Za-z0-9_]+\.py)?")


def _named() -> set[str]:
    return {m.group(0) for m in _PATH.finditer(DOC.read_text(encoding="utf-8"))}


def _existing() -> set[str]:
    out = set()
    for path in (ROOT / "cchc_xl").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py":
            out.add(rel[: -len("__init__.py")])
        elif not path.name.startswith("_"):
            out.add(rel)
    return out


def test_every_module_the_document_names_exists():
    missing = sorted(p for p in _named() if not (ROOT / p).exists())
    assert missing == []


def test_every_package_and_public_module_is_named():
    assert sorted(_existing() - _named()) == []


def test_the_check_sees_a_module_that_is_not_there(tmp_path):
    assert _PATH.findall("`cchc_xl/core/nowhere.py` and `cchc_xl/io/`") == ["cchc_xl/core/nowhere.py", "cchc_xl/io/"]
    assert not (ROOT / "cchc_xl/core/nowhere.py").exists()
