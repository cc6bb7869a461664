"""cchc-xl: the CCHC 2024 plan of Trường THPT Kiến Thụy in Excel, with a headless engine."""

from .errors import CchcError, DataError, WorkbookError

__all__ = ["CchcError", "DataError", "WorkbookError", "__version__"]
__version__ = "0.1.0"
