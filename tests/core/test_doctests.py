"""The docstring examples of the pure domain core are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["calendar", "dossier_columns", "dossiers", "figures", "indicators", "narrative", "narrative.text",
           "narrative.resolve", "narrative.words", "narrative.steering", "narrative.drafts", "periods", "rates",
           "report_date", "settings", "shortname", "tasks", "text", "vnformat"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(f"cchc_xl.core.{name}")
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
    assert tried > 0 or name in ("rates",)
