"""The examples in the docstrings of the exchange and roll-up modules are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["cchc_xl.exchange.spec", "cchc_xl.exchange.reader", "cchc_xl.io.inbox",
                                    "cchc_xl.rollup.run", "cchc_xl.rollup.inbox", "cchc_xl.rollup.store",
                                    "cchc_xl.rollup.aggregate", "cchc_xl.rollup.sample", "cchc_xl.core.tasks",
                                    "cchc_xl.distribute._common"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
