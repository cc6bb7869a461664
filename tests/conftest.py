"""Shared test fixtures.

xlwings' remote engine and calamine reader need a licence key; the PolyForm Noncommercial
licence covers educational and government institutions such as this school.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_workbook(tmp_path_factory) -> Path:
    """A freshly built workbook (from the text sources), shared read-only by the session."""
    from cchc_xl.build.pipeline import build

    return build(tmp_path_factory.mktemp("build") / "CCHC_2024.xlsm")


@pytest.fixture
def workbook_copy(built_workbook, tmp_path) -> Path:
    """A private copy of the built workbook that a test may modify."""
    target = tmp_path / "CCHC_2024.xlsm"
    target.write_bytes(built_workbook.read_bytes())
    return target
