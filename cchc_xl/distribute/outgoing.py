"""The PDF the Sở receives beside the exchange file (:mod:`cchc_xl.exchange`), made without Excel.

* :func:`report_pdf` prints only the ``Báo cáo`` sheet through LibreOffice headless: a temporary
  copy hides every other sheet, and the PDF is checked to be non-empty and, when
  ``pdftotext`` is available, to contain Vietnamese text.
* :func:`pdf_maker` chooses who prints the PDF, before anything is written: Excel itself when the
  caller runs inside Excel (:func:`excel_pdf`, the ribbon: ``Sheet.to_pdf`` with the print area and
  page setup of ``Báo cáo``), else LibreOffice (:func:`libreoffice_pdf`, headless); with neither, a
  Vietnamese :class:`~cchc_xl.errors.CchcError` (:data:`NO_PDF_CONVERTER`).
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import CchcError, WorkbookError
from ..io.nofollow import replace_file
from ..io.ooxml import SAFE_HUGE_PARSER
from ..schema import SHEET_REPORT

__all__ = ["report_pdf", "find_soffice", "PdfMaker", "pdf_maker", "libreoffice_pdf", "excel_pdf", "NO_PDF_CONVERTER"]

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, SAFE_HUGE_PARSER)


def _dump(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def find_soffice() -> str | None:
    """Path of LibreOffice's ``soffice`` (env ``CCHC_SOFFICE`` first), or None.

    A ``CCHC_SOFFICE`` that names no program is a :class:`CchcError` (one sentence), never silently replaced by
    another ``soffice``: the person who set it meant that one."""
    env = os.environ.get("CCHC_SOFFICE", "").strip()
    if env:
        if Path(env).is_file() and os.access(env, os.X_OK):
            return env
        why = "không có tệp đó" if not os.path.lexists(env) else \
            "đó là một thư mục" if Path(env).is_dir() else "tệp đó không chạy được"
        raise CchcError(f"Biến môi trường CCHC_SOFFICE = '{env}' không trỏ tới chương trình LibreOffice (soffice) "
                        f"nào ({why}); hãy sửa đường dẫn đó (ví dụ C:\\Program Files\\LibreOffice\\program\\"
                        f"soffice.exe) hoặc xóa biến này rồi chạy lại; chưa có tệp nào được tạo.")
    for name in ("soffice", "libreoffice"):
        p = shutil.which(name)
        if p:
            return p
    for p in (r"C:\Program Files\LibreOffice\program\soffice.exe",
              "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if Path(p).exists():
            return p
    return None


def _profile_dir(fallback: Path) -> Path:
    """LibreOffice's profile for the PDF: a folder of this user's own (``~/.cchc-xl/libreoffice``, on Windows
    ``%LOCALAPPDATA%\\cchc-xl\\libreoffice``), never a predictable name in the shared temporary folder where
    another user could plant a link; ``fallback/profile`` (a fresh one, slower to start) when it cannot be made."""
    base = os.environ.get("LOCALAPPDATA")
    folder = (Path(base) / "cchc-xl" if base else Path.home() / ".cchc-xl") / "libreoffice"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if folder.is_dir() and not folder.is_symlink():
            return folder
    except OSError:
        pass
    return fallback / "profile"


def _only_report_visible(src: Path, dst: Path, sheet: str) -> None:
    """Copy ``src`` to ``dst`` with every sheet but ``sheet`` hidden and ``sheet`` active."""
    with zipfile.ZipFile(src) as zf:
        wb = _xml(zf.read("xl/workbook.xml"))
        rels = _xml(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): _resolve("xl/workbook.xml", r.get("Target", "")) for r in rels}
        sheets = wb.findall(f"{{{_NS_MAIN}}}sheets/{{{_NS_MAIN}}}sheet")
        idx = next((i for i, s in enumerate(sheets) if s.get("name") == sheet), None)
        if idx is None:
            raise WorkbookError(f"Không có trang tính '{sheet}' để in ra PDF.")
        report_part = targets.get(sheets[idx].get(f"{{{_NS_REL}}}id"))
        for i, s in enumerate(sheets):
            if i == idx:
                s.attrib.pop("state", None)
            else:
                s.set("state", "hidden")
        view = wb.find(f"{{{_NS_MAIN}}}bookViews/{{{_NS_MAIN}}}workbookView")
        if view is not None:
            view.set("activeTab", str(idx))
            view.set("firstSheet", str(idx))
        edited = {"xl/workbook.xml": _dump(wb)}
        for part in targets.values():
            if part not in zf.namelist() or not part.startswith("xl/worksheets/"):
                continue
            root = _xml(zf.read(part))
            for sv in root.iter(f"{{{_NS_MAIN}}}sheetView"):
                if part == report_part:
                    sv.set("tabSelected", "1")
                else:
                    sv.attrib.pop("tabSelected", None)
            edited[part] = _dump(root)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
            for info in zf.infolist():
                out.writestr(info, edited.get(info.filename, zf.read(info)))


def _pdf_text(pdf: Path) -> str | None:
    exe = shutil.which("pdftotext")
    if not exe:
        return None
    try:
        r = subprocess.run([exe, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None


def report_pdf(xlsx: str | os.PathLike, pdf: str | os.PathLike, sheet: str = SHEET_REPORT,
               timeout: float = 180.0, expect_text: str | None = None) -> Path:
    """Print sheet ``sheet`` of ``xlsx`` to ``pdf`` with LibreOffice headless.

    Uses a private LibreOffice profile (``-env:UserInstallation``) so that a running
    LibreOffice or a first-start dialog never blocks. Raises :class:`CchcError` (Vietnamese)
    when LibreOffice is missing, times out, or the PDF is empty / lacks Vietnamese text
    (``expect_text`` when given, else any letter with a Vietnamese diacritic).
    """
    xlsx, pdf = Path(xlsx), Path(pdf)
    exe = find_soffice()
    if not exe:
        raise CchcError("Không tìm thấy LibreOffice (soffice) để xuất PDF; hãy cài LibreOffice hoặc xuất PDF từ Excel.")
    with tempfile.TemporaryDirectory(prefix="cchc_pdf_") as tmp:
        tmpd = Path(tmp)
        only = tmpd / (pdf.stem + ".xlsx")
        _only_report_visible(xlsx, only, sheet)
        profile = _profile_dir(tmpd)
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
               "--convert-to", "pdf", "--outdir", str(tmpd / "out"), str(only)]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CchcError(f"LibreOffice không xuất xong PDF sau {int(timeout)} giây.") from None
        except OSError as exc:
            raise CchcError(f"Không chạy được LibreOffice: {exc}") from None
        produced = tmpd / "out" / (pdf.stem + ".pdf")
        if r.returncode != 0 or not produced.exists() or produced.stat().st_size == 0:
            msg = (r.stderr or r.stdout).decode("utf-8", "replace").strip()[:300]
            raise CchcError(f"LibreOffice không tạo được PDF của trang '{sheet}'. {msg}".strip())
        text = _pdf_text(produced)
        if text is not None:
            ok = ((expect_text in text) if expect_text
                  else any(ch in text for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"))
            if not ok:
                raise CchcError("Tệp PDF xuất ra không chứa nội dung tiếng Việt của báo cáo; "
                                "kiểm tra phông chữ của LibreOffice.")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        replace_file(pdf, produced.read_bytes())     # never through a link planted under the PDF's name
    return pdf


# --- who prints the PDF ------------------------------------------------------------------------------------------

#: ``maker(xlsx, pdf) -> pdf``: print sheet ``Báo cáo`` of the exchange file ``xlsx`` into ``pdf``.
PdfMaker = Callable[[Path, Path], Path]

NO_PDF_CONVERTER = ("Không tạo được PDF báo cáo vì máy này không có LibreOffice: hãy bấm nút 'Gửi báo cáo lên "
                    "Sở' trên thẻ CCHC trong Excel (Excel tự xuất PDF), hoặc cài LibreOffice "
                    "(https://vi.libreoffice.org) rồi chạy lại lệnh; chưa có tệp nào được tạo.")


def libreoffice_pdf(xlsx: Path, pdf: Path) -> Path:
    """:data:`PdfMaker` through LibreOffice headless (:func:`report_pdf`)."""
    return report_pdf(xlsx, pdf)


def excel_pdf(app: Any) -> PdfMaker:
    """:data:`PdfMaker` through a running Excel (an ``xlwings.App``): the exchange file is opened read-only
    in that Excel, its ``Báo cáo`` sheet printed with ``Sheet.to_pdf`` (Excel's ExportAsFixedFormat, which
    honours the sheet's print area and page setup), and closed unsaved — the PDF shows exactly the attached
    workbook."""

    def make(xlsx: Path, pdf: Path) -> Path:
        book = app.books.open(str(xlsx), update_links=False, read_only=True)
        try:
            book.sheets[SHEET_REPORT].to_pdf(str(pdf), show=False)
        finally:
            book.close()
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise CchcError(f"Excel không xuất được PDF của trang '{SHEET_REPORT}'.")
        return pdf

    return make


def pdf_maker(excel_app: Any = None) -> PdfMaker:
    """Who prints the report: Excel itself when ``excel_app`` (the ``xlwings.App`` running the caller) is
    given, else LibreOffice when installed; else :class:`CchcError` (:data:`NO_PDF_CONVERTER`) — call it before
    writing anything, so that a machine without a converter is told so and left without stray files."""
    if excel_app is not None:
        return excel_pdf(excel_app)
    if find_soffice():
        return libreoffice_pdf
    raise CchcError(NO_PDF_CONVERTER)
