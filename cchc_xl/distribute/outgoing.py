"""What the Sở receives: a values-only ``.xlsx`` copy and a PDF of the report sheet.

Both are made from the (already refreshed) master without Excel:

* :func:`values_only_copy` rewrites the package part by part (zip level): the VBA project
  (``xl/vbaProject.bin``, its signature and relationships), the ribbon (``customUI/*`` and
  its root relationship) and ``xl/calcChain.xml`` are dropped; the workbook content type
  becomes the plain ``sheet.main+xml``; every formula is replaced by its cached value (a
  formula without a cached value leaves an empty, still formatted cell; a string result
  becomes an inline string). Table column formulas are removed. Every other part — charts,
  drawings, styles, validation, conditional formatting — is copied byte for byte.
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
from ..schema import SHEET_REPORT

__all__ = ["values_only_copy", "report_pdf", "find_soffice", "PdfMaker", "pdf_maker", "libreoffice_pdf", "excel_pdf",
           "NO_PDF_CONVERTER"]

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_CT_MACRO_WB = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_CT_PLAIN_WB = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
_DROP_REL_SUFFIXES = ("/vbaProject", "/ui/extensibility", "/calcChain", "/vbaProjectSignature",
                      "/vbaProjectSignatureAgile", "/vbaProjectSignatureV3", "/wordVbaData")
_VBA_CT = ("application/vnd.ms-office.vbaProject", "application/vnd.ms-office.vbaProjectSignature",
           "application/vnd.ms-office.vbaProjectSignatureAgile", "application/vnd.ms-office.vbaProjectSignatureV3",
           "application/vnd.ms-excel.vbaData+xml")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def _dump(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _rels_name(part: str) -> str:
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _content_types(zf: zipfile.ZipFile) -> tuple[etree._Element, dict[str, str], dict[str, str]]:
    root = _xml(zf.read("[Content_Types].xml"))
    defaults = {e.get("Extension", "").lower(): e.get("ContentType", "") for e in root.findall(f"{{{_NS_CT}}}Default")}
    overrides = {e.get("PartName", "").lstrip("/"): e.get("ContentType", "")
                 for e in root.findall(f"{{{_NS_CT}}}Override")}
    return root, defaults, overrides


def _content_type(part: str, defaults: dict[str, str], overrides: dict[str, str]) -> str:
    if part in overrides:
        return overrides[part]
    return defaults.get(posixpath.splitext(part)[1].lstrip(".").lower(), "")


def _strip_formulas(sheet_xml: bytes) -> bytes:
    root = _xml(sheet_xml)
    changed = False
    for c in root.iter(f"{{{_NS_MAIN}}}c"):
        f = c.find(f"{{{_NS_MAIN}}}f")
        if f is None:
            continue
        changed = True
        c.remove(f)
        v = c.find(f"{{{_NS_MAIN}}}v")
        if c.get("t") == "str":  # formula string result → inline string
            text = v.text if v is not None else ""
            if v is not None:
                c.remove(v)
            c.set("t", "inlineStr")
            is_ = etree.SubElement(c, f"{{{_NS_MAIN}}}is")
            t = etree.SubElement(is_, f"{{{_NS_MAIN}}}t")
            t.text = text or ""
            if text and text != text.strip():
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        elif v is None:
            c.attrib.pop("t", None)
        if c.get("cm") is not None:  # cell metadata of dynamic arrays
            del c.attrib["cm"]
    return _dump(root) if changed else sheet_xml


def _strip_table_formulas(table_xml: bytes) -> bytes:
    root = _xml(table_xml)
    changed = False
    for tag in ("calculatedColumnFormula", "totalsRowFormula"):
        for e in list(root.iter(f"{{{_NS_MAIN}}}{tag}")):
            e.getparent().remove(e)
            changed = True
    return _dump(root) if changed else table_xml


def values_only_copy(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Write the values-only ``.xlsx`` copy of workbook ``src`` to ``dst``.

    Raises :class:`WorkbookError` (Vietnamese) when ``src`` is not a readable OOXML package.
    Works for an ``.xlsx`` source too (nothing to drop then). ``dst`` is written through a
    temporary file and replaced, so a half-written copy never appears.
    """
    src, dst = Path(src), Path(dst)
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"Không đọc được tệp '{src.name}' như một sổ tính Excel: {exc}") from None
    with zf:
        names = zf.namelist()
        ct_root, defaults, overrides = _content_types(zf)
        drop: set[str] = set()
        edited: dict[str, bytes] = {}
        # relationships: drop VBA, ribbon and calc chain everywhere they are referenced
        for rels in [n for n in names if n.endswith(".rels")]:
            source = posixpath.join(posixpath.dirname(posixpath.dirname(rels)), posixpath.basename(rels)[:-5])
            root = _xml(zf.read(rels))
            removed = False
            for rel in list(root):
                if rel.get("TargetMode") == "External":
                    continue
                if rel.get("Type", "").endswith(_DROP_REL_SUFFIXES):
                    drop.add(_resolve(source, rel.get("Target", "")))
                    root.remove(rel)
                    removed = True
            if removed:
                edited[rels] = _dump(root)
        for n in names:
            if _content_type(n, defaults, overrides) in _VBA_CT or n.startswith("customUI"):
                drop.add(n)
        # rels of dropped parts go with them (e.g. vbaProject.bin.rels, customUI/_rels/*)
        drop |= {_rels_name(p) for p in list(drop)}
        drop |= {n for n in names if n.startswith("customUI/")}
        for n in names:
            if n in drop or n in edited:
                continue
            ct = _content_type(n, defaults, overrides)
            if ct == _CT_WORKSHEET:
                data = zf.read(n)
                new = _strip_formulas(data)
                if new is not data:
                    edited[n] = new
            elif ct == _CT_TABLE:
                data = zf.read(n)
                new = _strip_table_formulas(data)
                if new is not data:
                    edited[n] = new
        for e in list(ct_root):
            pn = e.get("PartName", "").lstrip("/")
            if e.get("ContentType") == _CT_MACRO_WB:
                e.set("ContentType", _CT_PLAIN_WB)
            elif pn and pn in drop:
                ct_root.remove(e)
            elif e.tag == f"{{{_NS_CT}}}Default" and e.get("ContentType") in _VBA_CT:
                ct_root.remove(e)
        edited["[Content_Types].xml"] = _dump(ct_root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=dst.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
                for info in zf.infolist():
                    if info.filename in drop:
                        continue
                    data = edited.get(info.filename)
                    if data is None:
                        data = zf.read(info)
                    zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    zi.compress_type = zipfile.ZIP_DEFLATED
                    zi.external_attr = info.external_attr
                    out.writestr(zi, data)
            os.replace(tmp, dst)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return dst


def find_soffice() -> str | None:
    """Path of LibreOffice's ``soffice`` (env ``CCHC_SOFFICE`` first), or None."""
    env = os.environ.get("CCHC_SOFFICE")
    if env and Path(env).exists():
        return env
    for name in ("soffice", "libreoffice"):
        p = shutil.which(name)
        if p:
            return p
    for p in (r"C:\Program Files\LibreOffice\program\soffice.exe",
              "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if Path(p).exists():
            return p
    return None


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
        for rid, part in targets.items():
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
        profile = Path(tempfile.gettempdir()) / f"lo_send_profile_{os.getuid() if hasattr(os, 'getuid') else 0}"
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
            ok = (expect_text in text) if expect_text else any(ch in text for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
            if not ok:
                raise CchcError("Tệp PDF xuất ra không chứa nội dung tiếng Việt của báo cáo; kiểm tra phông chữ của LibreOffice.")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(produced, pdf)
    return pdf


# --- who prints the PDF ------------------------------------------------------------------------------------------

#: ``maker(xlsx, pdf) -> pdf``: print sheet ``Báo cáo`` of the values-only copy ``xlsx`` into ``pdf``.
PdfMaker = Callable[[Path, Path], Path]

NO_PDF_CONVERTER = ("Không tạo được PDF báo cáo vì máy này không có LibreOffice: hãy bấm nút 'Gửi báo cáo lên "
                    "Sở' trên thẻ CCHC trong Excel (Excel tự xuất PDF), hoặc cài LibreOffice "
                    "(https://vi.libreoffice.org) rồi chạy lại lệnh; chưa có tệp nào được tạo.")


def libreoffice_pdf(xlsx: Path, pdf: Path) -> Path:
    """:data:`PdfMaker` through LibreOffice headless (:func:`report_pdf`)."""
    return report_pdf(xlsx, pdf)


def excel_pdf(app: Any) -> PdfMaker:
    """:data:`PdfMaker` through a running Excel (an ``xlwings.App``): the values-only copy is opened read-only
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
