"""Compile the workbook's VBA project (``xl/vbaProject.bin``) from text, without Excel, using pyopenvba.

The project replicates what ``xlwings quickstart --standalone`` ships (see
``xlwings/quickstart_standalone.xlsm``: modules ``xlwings`` + class ``Dictionary`` + document modules,
references Office + MSForms) and adds our ribbon-callback module:

* ``xlwings``    — ``xlwings/xlwings.bas`` read from the *installed* xlwings package at build time;
  its ``XLWINGS_VERSION`` must equal ``xlwings.__version__`` (asserted here, tested);
* ``Dictionary`` — ``xlwings/addin/Dictionary.cls`` (xlwings uses it on the Mac instead of Scripting.Dictionary);
* ``CchcRibbon`` — ``workbook/vba/CchcRibbon.bas`` (generated from ``ribbon.RIBBON_JOBS``);
* ``ThisWorkbook`` and one document module per sheet code name (XlsxWriter's default code names are
  ``Sheet1``…``SheetN`` in sheet order, ``ThisWorkbook`` for the book — pass the same names here).

The blank project pyopenvba starts from (a baked Excel template) references ``stdole`` and ``Office`` (the
latter declares ``IRibbonControl``). Output bytes are deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .ribbon import RIBBON_BAS_PATH, RIBBON_MODULE_NAME

__all__ = [
    "build_vba_project",
    "vba_sources",
    "xlwings_bas_path",
    "xlwings_vba_version",
    "DEFAULT_SHEET_CODE_NAMES",
    "VBA_PROJECT_STREAM",
]

WORKBOOK_CODE_NAME = "ThisWorkbook"
DEFAULT_SHEET_CODE_NAMES: tuple[str, ...] = ("Sheet1",)
_VERSION_RE = re.compile(r'^\s*Public\s+Const\s+XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]+)"', re.MULTILINE)


def _xlwings_dir() -> Path:
    import xlwings  # only needed at build time

    return Path(xlwings.__file__).resolve().parent


def xlwings_bas_path() -> Path:
    return _xlwings_dir() / "xlwings.bas"


def xlwings_vba_version(source: str) -> str | None:
    """The ``XLWINGS_VERSION`` constant declared in a VBA source text (None if absent)."""
    m = _VERSION_RE.search(source)
    return m.group(1) if m else None


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _read_ascii(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:  # pragma: no cover - guarded by tests
        raise ValueError(f"{path}: VBA source must be ASCII (byte {exc.start})") from None


def vba_sources() -> dict[str, tuple[str, str]]:
    """``{module name: (kind, CRLF source)}`` of the code modules, kind ``'standard'`` or ``'class'``."""
    import xlwings

    xw_src = _read_ascii(xlwings_bas_path())
    declared = xlwings_vba_version(xw_src)
    if declared != xlwings.__version__:
        raise AssertionError(
            f"xlwings.bas declares XLWINGS_VERSION={declared!r} but the installed xlwings is {xlwings.__version__}")
    return {
        "xlwings": ("standard", _crlf(xw_src)),
        "Dictionary": ("class", _crlf(_read_ascii(_xlwings_dir() / "addin" / "Dictionary.cls"))),
        RIBBON_MODULE_NAME: ("standard", _crlf(_read_ascii(RIBBON_BAS_PATH))),
    }


def _class_stream_source(src: str) -> str:
    """A ``.cls`` export in the form the VBE stores after importing it: the ``VERSION … CLASS`` preamble goes
    (pyopenvba strips it, adding ``VB_Base``) and ``VB_TemplateDerived``/``VB_Customizable`` follow
    ``VB_Exposed``, as in xlwings' own ``quickstart_standalone.xlsm``."""
    if "Attribute VB_TemplateDerived" in src:
        return src
    return re.sub(r"(Attribute VB_Exposed = \w+\r\n)",
                  r"\1Attribute VB_TemplateDerived = False\r\nAttribute VB_Customizable = False\r\n", src, count=1)


def _shell_workbook(path: Path, sheet_code_names: Sequence[str]) -> None:
    """A macro-free workbook with one worksheet per code name (and the workbook named ``ThisWorkbook``), for
    pyopenvba's ``add_vba_project()`` to declare a document module for each, as Excel does."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    book.set_vba_name(WORKBOOK_CODE_NAME)
    for code in sheet_code_names:
        book.add_worksheet(code).set_vba_name(code)
    book.close()


#: The ``_VBA_PROJECT`` stream an interoperable writer writes ([MS-OVBA] 2.3.4.1 and its example 3.1.1):
#: Reserved1 0x61CC, Version 0xFFFF (so Office ignores every performance cache and compiles the source),
#: Reserved2 0x00, Reserved3 0x0001, no PerformanceCache. xlwings' shipped workbooks carry the same 7 bytes.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"
_WRITE_COOKIE = 0xFFFF  # PROJECTCOOKIE / MODULECOOKIE: "MUST be 0xFFFF on write"


def build_vba_project(sheet_code_names: Sequence[str] = DEFAULT_SHEET_CODE_NAMES) -> bytes:
    """Return ``vbaProject.bin`` bytes: xlwings' standalone modules + ``CchcRibbon`` + document modules.

    The project is laid out as Excel writes one: pyopenvba's ``add_vba_project()`` on a workbook that already
    has every sheet declares ``ThisWorkbook`` and one ``Document=SheetN/&H00000000`` module per sheet; the
    code modules follow (``Module=`` standard, ``Class=`` class). Every module stream is plain compressed source
    (no compiled cache, MODULEOFFSET 0), cookies are 0xFFFF and ``_VBA_PROJECT`` is :data:`VBA_PROJECT_STREAM`,
    so Excel compiles the source on first open, whatever its version.

    ``sheet_code_names`` must match the code names the workbook's sheets carry (XlsxWriter:
    ``worksheet.set_vba_name()``; default ``Sheet1``…``SheetN``). The workbook code name is ``ThisWorkbook``.
    Use with XlsxWriter as ``workbook.add_vba_project(io.BytesIO(data), is_stream=True)``.
    """
    from pyopenvba import ExcelFile, VBAModuleKind
    from pyopenvba.cfb import CFB

    names = list(sheet_code_names)
    if len({n.casefold() for n in names} | {WORKBOOK_CODE_NAME.casefold()}) != len(names) + 1:
        raise ValueError(f"duplicate code names: {names}")
    sources = vba_sources()
    with tempfile.TemporaryDirectory(prefix="cchc_vba_") as tmp:
        path = Path(tmp) / "project.xlsm"
        _shell_workbook(path, names)
        with ExcelFile(path) as book:
            project = book.add_vba_project()
            for name, (kind, src) in sources.items():
                if kind == "standard":
                    project.add_module(name, src, kind=VBAModuleKind.standard)
                else:
                    project.add_module(name, _class_stream_source(src), kind=VBAModuleKind.other)
            for module in project.modules:  # rewritten as plain source: the template's compiled cache goes
                module.source = module.source
                module.dirty = True
                module.cookie = _WRITE_COOKIE
            project.project_cookie = _WRITE_COOKIE
            project.dir_structure_dirty = True
            book.save(path)
        with ExcelFile(path) as saved:
            problems = saved.validate()
        if problems:
            raise RuntimeError("pyopenvba reports an inconsistent project: " + "; ".join(problems))
        with zipfile.ZipFile(path) as z:
            cfb = CFB.from_bytes(z.read("xl/vbaProject.bin"))
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    return cfb.to_bytes()


def _main() -> None:  # pragma: no cover - manual helper
    import sys

    data = build_vba_project()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("vbaProject.bin")
    out.write_bytes(data)
    print(out, len(data), "bytes")


if __name__ == "__main__":  # pragma: no cover
    _main()
