"""Fixtures of the Excel-front tests (tests/excel)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the remote-engine harness (remote.py) lives beside the tests
    sys.path.insert(0, str(HERE))

REPO = HERE.parents[1]
COMMITTED_WORKBOOK = REPO / "workbook" / "CCHC_2024.xlsm"


@pytest.fixture(scope="session")
def vba_bin() -> bytes:
    from cchc_xl.excel.vba import build_vba_project

    return build_vba_project(["Sheet1", "Sheet2", "Sheet3"])


@pytest.fixture(scope="session")
def excel_workbook(tmp_path_factory) -> Path:
    """The workbook the build makes (built fresh, so tests do not depend on the committed file)."""
    from cchc_xl.build.pipeline import build

    return build(tmp_path_factory.mktemp("excel_build") / "CCHC_2024.xlsm")


@pytest.fixture
def log_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "logs"
    monkeypatch.setenv("CCHC_XL_LOG_DIR", str(d))
    return d
