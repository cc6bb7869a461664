"""Compile the workbook's VBA project (``xl/vbaProject.bin``) from text, without Excel, using pyopenvba.

The project replicates what ``xlwings quickstart --standalone`` ships (see
``xlwings/quickstart_standalone.xlsm``: modules ``xlwings`` + class ``Dictionary`` + document modules,
references Office + MSForms/stdole) and adds our ribbon-callback module:

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

import io
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
    "read_vba_modules",
    "DEFAULT_SHEET_CODE_NAMES",
]

WORKBOOK_CODE_NAME = "ThisWorkbook"
DEFAULT_SHEET_CODE_NAMES: tuple[str, ...] = ("Sheet1",)
_SHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
_VERSION_RE = re.compile(r'^\s*Public\s+Const\s+XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]+)"', re.MULTILINE)


def _xlwings_dir() -> Path:
    import xlwings  # noqa: PLC0415 - only needed at build time

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
    import xlwings  # noqa: PLC0415

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


def build_vba_project(sheet_code_names: Sequence[str] = DEFAULT_SHEET_CODE_NAMES) -> bytes:
    """Return ``vbaProject.bin`` bytes: xlwings' standalone modules + ``CchcRibbon`` + document modules.

    ``sheet_code_names`` must match the code names the workbook's sheets carry (XlsxWriter:
    ``worksheet.set_vba_name()``; default ``Sheet1``…``SheetN``). The workbook code name is ``ThisWorkbook``.
    Use with XlsxWriter as ``workbook.add_vba_project(io.BytesIO(data), is_stream=True)``.
    """
    from pyopenvba import ExcelFile, VBAModuleKind  # noqa: PLC0415
    from pyopenvba._new_project import document_header  # noqa: PLC0415

    names = list(sheet_code_names)
    if len({n.casefold() for n in names} | {WORKBOOK_CODE_NAME.casefold()}) != len(names) + 1:
        raise ValueError(f"duplicate code names: {names}")
    sources = vba_sources()
    with tempfile.TemporaryDirectory(prefix="cchc_vba_") as tmp:
        path = Path(tmp) / "project.xlsm"
        book = ExcelFile.create_new(path)  # template project: ThisWorkbook, Sheet1, Module1
        try:
            project = book.vba_project()
            present = {m.name for m in project.modules}
            for module in list(project.modules):
                if module.name not in (WORKBOOK_CODE_NAME, *names):
                    project.delete_module(module.name)
            for code in names:
                if code not in present:
                    project.add_module(code, document_header(code, _SHEET_BASE), kind=VBAModuleKind.other)
            for name, (kind, src) in sources.items():
                project.add_module(name, src,
                                   kind=VBAModuleKind.standard if kind == "standard" else VBAModuleKind.other)
            book.save(path)
        finally:
            book.close()
        with ExcelFile(path) as saved:
            problems = saved.validate()
        if problems:
            raise RuntimeError("pyopenvba reports an inconsistent project: " + "; ".join(problems))
        with zipfile.ZipFile(path) as z:
            return z.read("xl/vbaProject.bin")


def read_vba_modules(data: bytes | str | Path) -> dict[str, str]:
    """``{module name: source}`` of a ``vbaProject.bin`` (bytes) or a workbook/bin path, read with oletools.

    Sources are returned with LF line ends, as stored (attribute lines included).
    """
    from oletools.olevba import VBA_Parser  # noqa: PLC0415

    if isinstance(data, (str, Path)):
        p = Path(data)
        if p.suffix.lower() in (".xlsm", ".xlam", ".xlsb"):
            with zipfile.ZipFile(p) as z:
                data = z.read("xl/vbaProject.bin")
        else:
            data = p.read_bytes()
    parser = VBA_Parser("vbaProject.bin", data=bytes(data))
    try:
        out: dict[str, str] = {}
        for _f, stream, _name, code in parser.extract_macros():
            module = stream.rsplit("/", 1)[-1]
            out[module] = code.replace("\r\n", "\n")
        return out
    finally:
        parser.close()


def _main() -> None:  # pragma: no cover - manual helper
    import sys

    data = build_vba_project()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("vbaProject.bin")
    out.write_bytes(data)
    print(out, len(data), "bytes; modules:", ", ".join(read_vba_modules(io.BytesIO(data).getvalue())))


if __name__ == "__main__":  # pragma: no cover
    _main()
