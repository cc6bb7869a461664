"""Today's date, as the as-of rule (:mod:`cchc_xl.core.report_date`) asks for it.

``CCHC_XL_TODAY`` (``YYYY-MM-DD``) fixes the date — **for tests only**: the tests run the scheduler's
entry point (``scripts/consolidate.py``) as its own process on chosen dates of 2024 and 2025. A school never
sets it; a value that is not a date is ignored (today is used).
"""

from __future__ import annotations

import datetime as dt
import os

__all__ = ["today", "TODAY_ENV"]

TODAY_ENV = "CCHC_XL_TODAY"


def today() -> dt.date:
    """The system date, or ``CCHC_XL_TODAY`` when a test set it."""
    fixed = os.environ.get(TODAY_ENV, "").strip()
    if fixed:
        try:
            return dt.date.fromisoformat(fixed)
        except ValueError:
            pass
    return dt.date.today()
