"""Build ``workbook/CCHC_2024.xlsm`` from the text sources in ``workbook/src/``."""

from .sources import SRC_DIR, SourceError, load_all, load_table
from .workbook import REPORT_LAYOUT, build_bytes, build_workbook

__all__ = ["SRC_DIR", "SourceError", "load_all", "load_table", "REPORT_LAYOUT", "build_bytes", "build_workbook"]
