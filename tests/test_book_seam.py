"""The Book seam (issue #18 §3): the Protocol in ``cchc_xl.engine`` declares, typed, every method the two engines
share, and both — the file engine and the xlwings engine — implement each with the declared signature (names,
kinds, defaults and annotations of the parameters, and the return annotation), as xlwings' ``base_classes.py``
declares what its engines implement."""

from __future__ import annotations

import inspect

import pytest

from cchc_xl.engine import Book
from cchc_xl.excel.xw_book import XwBook
from cchc_xl.io.file_book import FileBook

SHARED = ("read_table", "write_column", "write_report", "save", "sheet_names", "read_log", "append_log")


def _declared() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(Book).items()
            if callable(member) and not name.startswith("_")}


def test_the_protocol_declares_every_shared_method_typed():
    declared = _declared()
    assert set(declared) == set(SHARED)
    for name, sig in declared.items():
        assert sig.return_annotation is not inspect.Signature.empty, name
        for p in list(sig.parameters.values())[1:]:
            assert p.annotation is not inspect.Parameter.empty, (name, p.name)


@pytest.mark.parametrize("adapter", [FileBook, XwBook], ids=["FileBook", "XwBook"])
def test_each_engine_implements_the_protocol_as_declared(adapter):
    for name, sig in _declared().items():
        assert hasattr(adapter, name), name
        assert inspect.signature(getattr(adapter, name)) == sig, name


def test_a_book_missing_a_method_is_not_a_book():
    class Partial:
        def read_table(self, sheet: str, table: str):
            return None

    assert not isinstance(Partial(), Book)
    assert isinstance(FileBook.__new__(FileBook), Book)
