"""The examples in the docstrings of the mailbox modules are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["settings", "letter", "replies"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(f"cchc_xl.mailbox.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
