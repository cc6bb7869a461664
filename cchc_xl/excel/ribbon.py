"""The "CCHC" ribbon tab: one registry → customUI14.xml + the VBA callback module, and the package injector.

``RIBBON_JOBS`` is the single source of truth. :func:`write_sources` regenerates the two committed text
files from it (``workbook/ribbon/customUI14.xml`` and ``workbook/vba/CchcRibbon.bas``); a test fails when
they are stale. A job is listed only when its Python entry point exists — a button for a job that does not
exist must not be shown (issue #3 §2). To add a job (e.g. the hand-out/consolidate/send jobs of issue #4),
append a :class:`RibbonJob` (a new ``group`` creates a new group), add the entry-point function, and run::

    python -m cchc_xl.excel.ribbon     # = write_sources()

VBA source must be ASCII: labels and supertips (Vietnamese) live only in the XML; a Vietnamese string the
VBA needs at run time (a dialog title) is spelled with ``ChrW`` by :func:`vba_string`.

:func:`inject_ribbon` adds the part to a built package working on the zip bytes: every other entry is
copied raw (local header + compressed data), in order, so it stays byte-identical; the result is
deterministic (fixed timestamps).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

__all__ = [
    "RibbonGroup",
    "RibbonJob",
    "RIBBON_GROUPS",
    "RIBBON_JOBS",
    "RIBBON_TAB_ID",
    "RIBBON_TAB_LABEL",
    "CUSTOM_UI_PART",
    "CUSTOM_UI_REL_TYPE",
    "render_custom_ui",
    "render_vba_module",
    "write_sources",
    "inject_ribbon",
    "vba_string",
    "REPO_ROOT",
    "CUSTOM_UI_PATH",
    "RIBBON_BAS_PATH",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
CUSTOM_UI_PATH = REPO_ROOT / "workbook" / "ribbon" / "customUI14.xml"
RIBBON_BAS_PATH = REPO_ROOT / "workbook" / "vba" / "CchcRibbon.bas"
RIBBON_MODULE_NAME = "CchcRibbon"

CUSTOM_UI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOM_UI_PART = "customUI/customUI14.xml"
#: Relationship type of an Office 2010+ ``customUI14.xml`` part (the 2006 type is for Office 2007's customUI.xml).
CUSTOM_UI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CUSTOM_UI_CONTENT_TYPE = "application/xml"

RIBBON_TAB_ID = "CchcXl_Tab"
RIBBON_TAB_LABEL = "CCHC 2024"


@dataclass(frozen=True)
class RibbonGroup:
    id: str
    label: str


@dataclass(frozen=True)
class RibbonJob:
    """One ribbon button.

    ``target`` is ``"module:function"``; the VBA callback runs ``import module as e; e.function()``.
    ``file_dialog`` makes the callback ask for a file with ``Application.GetOpenFilename`` first and pass
    the chosen path as the only argument (cancel = nothing happens); ``folder_dialog`` (the dialog title)
    does the same for a folder with ``Application.FileDialog(msoFileDialogFolderPicker)``, starting in the
    workbook's folder.
    """

    id: str
    group: str
    label: str
    screentip: str
    supertip: str
    image_mso: str
    callback: str
    target: str
    size: str = "large"
    file_dialog: tuple[str, str] | None = None  # (dialog title, file filter) — Vietnamese allowed
    folder_dialog: str | None = None  # dialog title — Vietnamese allowed

    @property
    def module(self) -> str:
        return self.target.split(":", 1)[0]

    @property
    def function(self) -> str:
        return self.target.split(":", 1)[1]


_ENTRY = "cchc_xl.excel.entry"

RIBBON_GROUPS: list[RibbonGroup] = [
    RibbonGroup("CchcXl_GrpUpdate", "Cập nhật"),
    RibbonGroup("CchcXl_GrpReport", "Báo cáo theo kỳ"),
    RibbonGroup("CchcXl_GrpData", "Dữ liệu"),
    RibbonGroup("CchcXl_GrpDistribute", "Tổ chuyên môn và gửi báo cáo"),
]

RIBBON_JOBS: list[RibbonJob] = [
    RibbonJob(
        "CchcXl_BtnRefreshAll", "CchcXl_GrpUpdate", "Cập nhật tất cả", "Cập nhật toàn bộ sổ",
        "Đọc lại mọi bảng, tính hạn trả và phân loại hồ sơ, gắn tình trạng hạn cho nhiệm vụ, tính kết quả "
        "các chỉ tiêu và lập lại trang 'Báo cáo' cho kỳ hiện tại. Ghi một dòng vào 'Nhật ký'.",
        "RefreshAll", "CchcXl_RefreshAll", f"{_ENTRY}:refresh_all"),
    RibbonJob(
        "CchcXl_BtnIndicators", "CchcXl_GrpUpdate", "Tính chỉ tiêu", "Tính kết quả các chỉ tiêu",
        "Tính cột 'Kết quả' và 'Đánh giá' của bảng chỉ tiêu (trang 'Chỉ tiêu') từ dữ liệu nhiệm vụ và "
        "hồ sơ TTHC hiện có.",
        "CalculateNow", "CchcXl_ComputeIndicators", f"{_ENTRY}:compute_indicators", size="normal"),
    RibbonJob(
        "CchcXl_BtnOverdue", "CchcXl_GrpUpdate", "Đánh dấu quá hạn", "Đánh dấu nhiệm vụ quá hạn",
        "Ghi cột 'Tình trạng hạn' của trang 'Nhiệm vụ' (Quá hạn, Sắp đến hạn, Trong hạn, Hoàn thành "
        "đúng hạn/trễ hạn…) theo ngày hôm nay.",
        "ConditionalFormattingMenu", "CchcXl_FlagOverdue", f"{_ENTRY}:flag_overdue", size="normal"),
    RibbonJob(
        "CchcXl_BtnReportQ1", "CchcXl_GrpReport", "Quý I", "Báo cáo quý I",
        "Lập trang 'Báo cáo' cho kỳ quý I (số liệu từ 15/12 năm trước đến 14/3).",
        "FilePrintPreview", "CchcXl_ReportQ1", f"{_ENTRY}:build_report_q1", size="normal"),
    RibbonJob(
        "CchcXl_BtnReportH1", "CchcXl_GrpReport", "6 tháng", "Báo cáo 6 tháng đầu năm",
        "Lập trang 'Báo cáo' cho kỳ 6 tháng đầu năm (số liệu từ 15/12 năm trước đến 14/6).",
        "FilePrintPreview", "CchcXl_ReportH1", f"{_ENTRY}:build_report_h1", size="normal"),
    RibbonJob(
        "CchcXl_BtnReportQ3", "CchcXl_GrpReport", "Quý III", "Báo cáo quý III",
        "Lập trang 'Báo cáo' cho kỳ quý III (số liệu từ 15/6 đến 14/9).",
        "FilePrintPreview", "CchcXl_ReportQ3", f"{_ENTRY}:build_report_q3", size="normal"),
    RibbonJob(
        "CchcXl_BtnReportYear", "CchcXl_GrpReport", "Năm", "Báo cáo năm",
        "Lập trang 'Báo cáo' cho cả năm (số liệu từ 15/12 năm trước đến 14/12).",
        "FilePrintPreview", "CchcXl_ReportYear", f"{_ENTRY}:build_report_year", size="normal"),
    RibbonJob(
        "CchcXl_BtnImport", "CchcXl_GrpData", "Nhập hồ sơ", "Nhập hồ sơ từ hệ thống Một cửa",
        "Chọn tệp CSV/Excel xuất từ hệ thống Một cửa điện tử; các hồ sơ được thêm (hoặc cập nhật theo "
        "'Mã hồ sơ') vào bảng trang 'Hồ sơ TTHC', rồi sổ được cập nhật lại.",
        "GetExternalDataFromText", "CchcXl_ImportDossiers", f"{_ENTRY}:import_dossiers",
        file_dialog=("Chọn tệp hồ sơ xuất từ hệ thống Một cửa",
                     "Tệp Excel hoặc CSV (*.xlsx;*.xlsm;*.xls;*.csv),*.xlsx;*.xlsm;*.xls;*.csv")),
    RibbonJob(
        "CchcXl_BtnCheck", "CchcXl_GrpData", "Kiểm tra dữ liệu", "Kiểm tra dữ liệu",
        "Kiểm tra mọi bảng (ngày sai, mã trùng, mã TTHC không có trong danh mục, ô bị gộp…) và báo từng "
        "lỗi kèm tên trang, dòng và cột. Không sửa gì trong sổ.",
        "DataValidation", "CchcXl_CheckData", f"{_ENTRY}:check_data"),
    RibbonJob(
        "CchcXl_BtnHandout", "CchcXl_GrpDistribute", "Phát bản cho tổ", "Phát bản nhiệm vụ cho các tổ/nhóm",
        "Chọn thư mục; mỗi tổ/nhóm chuyên môn nhận một tệp .xlsx chỉ gồm nhiệm vụ của mình (chỉ mở khóa các "
        "cột Trạng thái, Ngày hoàn thành, Minh chứng, Ghi chú). Các bản được lập từ bản ĐÃ LƯU gần nhất của "
        "sổ: hãy lưu sổ (Ctrl+S) trước khi bấm.",
        "ReviewShareWorkbook", "CchcXl_Handout", f"{_ENTRY}:handout_copies",
        folder_dialog="Chọn thư mục để lưu các bản phát cho tổ/nhóm"),
    RibbonJob(
        "CchcXl_BtnConsolidate", "CchcXl_GrpDistribute", "Tổng hợp bản nộp lại", "Tổng hợp các bản tổ/nhóm gửi lại",
        "Chọn thư mục chứa các bản tổ/nhóm gửi lại. Bản hợp lệ được đưa vào bảng nhiệm vụ của sổ đang mở (chỉ "
        "các ô tổ/nhóm đã sửa) rồi chuyển vào thư mục con 'processed'; bản sai bị chuyển vào 'rejected' kèm "
        "tệp lý do. Mọi thay đổi và lý do từ chối được ghi vào 'Nhật ký'. Nhớ lưu sổ sau khi tổng hợp.",
        "Consolidate", "CchcXl_Consolidate", f"{_ENTRY}:consolidate_inbox",
        folder_dialog="Chọn thư mục chứa các bản tổ/nhóm gửi lại"),
    RibbonJob(
        "CchcXl_BtnSend", "CchcXl_GrpDistribute", "Gửi báo cáo lên Sở", "Gửi báo cáo CCHC lên Sở",
        "Lập tệp Excel (chỉ giá trị) và PDF của trang 'Báo cáo' từ bản ĐÃ LƯU gần nhất của sổ, hiện người "
        "nhận, tiêu đề và tệp đính kèm để xác nhận, rồi gửi thư (hoặc tạo thư nháp .eml khi chưa cấu hình "
        "máy chủ thư). Lần gửi được ghi vào 'Nhật ký'.",
        "FileSendAsAttachment", "CchcXl_SendReport", f"{_ENTRY}:send_upward"),
]


# ---------------------------------------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------------------------------------

def _check_registry(jobs: list[RibbonJob], groups: list[RibbonGroup]) -> None:
    group_ids = {g.id for g in groups}
    for label in [g.label for g in groups] + [j.label for j in jobs]:
        if "&" in label:  # Office reads '&' in a ribbon label as a keytip marker and drops it
            raise ValueError(f"ribbon label {label!r}: write 'và' instead of '&'")
    seen: set[str] = set()
    for job in jobs:
        if job.group not in group_ids:
            raise ValueError(f"{job.id}: unknown group {job.group!r}")
        for name in (job.id, job.callback):
            if name in seen:
                raise ValueError(f"duplicate ribbon id/callback {name!r}")
            seen.add(name)
        if not job.callback.startswith("CchcXl_") or not job.id.startswith("CchcXl_"):
            raise ValueError(f"{job.id}: ids and callbacks must carry the CchcXl_ prefix")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", job.callback):
            raise ValueError(f"{job.id}: callback {job.callback!r} is not a VBA identifier")
        if job.file_dialog and job.folder_dialog:
            raise ValueError(f"{job.id}: a job asks for a file or for a folder, not both")
        if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", job.target):
            raise ValueError(f"{job.id}: target {job.target!r} must be 'module:function'")


def render_custom_ui(jobs: list[RibbonJob] | None = None, groups: list[RibbonGroup] | None = None) -> str:
    """The customUI14.xml text (UTF-8, LF line ends)."""
    jobs = RIBBON_JOBS if jobs is None else jobs
    groups = RIBBON_GROUPS if groups is None else groups
    _check_registry(jobs, groups)
    a = quoteattr
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        "<!-- Generated by cchc_xl.excel.ribbon.write_sources() from RIBBON_JOBS: do not edit by hand. -->",
        f"<customUI xmlns={a(CUSTOM_UI_NS)}>",
        "  <ribbon>",
        "    <tabs>",
        f"      <tab id={a(RIBBON_TAB_ID)} label={a(RIBBON_TAB_LABEL)}>",
    ]
    for group in groups:
        members = [j for j in jobs if j.group == group.id]
        if not members:
            continue  # a group with no existing job is not shown
        lines.append(f"        <group id={a(group.id)} label={a(group.label)}>")
        for j in members:
            lines.append(
                f"          <button id={a(j.id)} label={a(j.label)} size={a(j.size)} imageMso={a(j.image_mso)}"
                f" screentip={a(j.screentip)} supertip={a(j.supertip)} onAction={a(j.callback)}/>"
            )
        lines.append("        </group>")
    lines += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines)


def vba_string(text: str) -> str:
    """A VBA string expression for ``text`` using only ASCII source: non-ASCII characters become ``ChrW(n)``.

    >>> vba_string('Chọn tệp')
    '"Ch" & ChrW(7885) & "n t" & ChrW(7879) & "p"'
    """
    parts: list[str] = []
    buf = ""
    for ch in text:
        if 32 <= ord(ch) < 127:
            buf += '""' if ch == '"' else ch
        else:
            if buf:
                parts.append(f'"{buf}"')
                buf = ""
            if ord(ch) > 0xFFFF:
                raise ValueError("characters outside the BMP are not supported in VBA strings")
            parts.append(f"ChrW({ord(ch)})")
    if buf or not parts:
        parts.append(f'"{buf}"')
    return " & ".join(parts)


_BAS_HEADER = '''Attribute VB_Name = "{name}"
' Ribbon callbacks of the CCHC tab (customUI14.xml). Each calls one Python entry point via xlwings.
' Generated by cchc_xl.excel.ribbon.write_sources() from RIBBON_JOBS: do not edit by hand.
' ASCII only: Vietnamese text lives in the ribbon XML and in cells (ChrW for the few dialog strings).
Option Explicit
'''

_PY_LITERAL_HELPER = '''
' A Python string literal for Text that survives cmd.exe and any code page: every character outside
' [A-Za-z0-9 ._:/-] is written as a \\uXXXX escape (backslashes, quotes, %, & and Vietnamese letters alike).
Private Function CchcXl_PyLiteral(ByVal Text As String) As String
    Dim i As Long, c As String, code As Long, out As String
    out = "'"
    For i = 1 To Len(Text)
        c = Mid$(Text, i, 1)
        code = AscW(c) And &HFFFF&
        If c Like "[A-Za-z0-9 ._:/-]" Then
            out = out & c
        Else
            out = out & "\\u" & Right$("000" & Hex$(code), 4)
        End If
    Next i
    CchcXl_PyLiteral = out & "'"
End Function
'''


def render_vba_module(jobs: list[RibbonJob] | None = None, groups: list[RibbonGroup] | None = None) -> str:
    """The CchcRibbon.bas text (ASCII, CRLF line ends as the VBE exports)."""
    jobs = RIBBON_JOBS if jobs is None else jobs
    _check_registry(jobs, RIBBON_GROUPS if groups is None else groups)
    out = [_BAS_HEADER.format(name=RIBBON_MODULE_NAME)]
    if any(j.file_dialog or j.folder_dialog for j in jobs):
        out.append(_PY_LITERAL_HELPER)
    for j in jobs:
        call = f"import {j.module} as e; e.{j.function}("
        out.append("")
        out.append(f"' {j.id}: {j.target}")
        out.append(f"Public Sub {j.callback}(control As IRibbonControl)")
        if j.file_dialog:
            title, file_filter = j.file_dialog
            out.append("    Dim chosen As Variant")
            out.append(f"    chosen = Application.GetOpenFilename({vba_string(file_filter)}, 1, {vba_string(title)})")
            out.append("    If VarType(chosen) = vbBoolean Then Exit Sub")
            out.append(f'    RunPython "{call}" & CchcXl_PyLiteral(CStr(chosen)) & ")"')
        elif j.folder_dialog:
            out.append("    Dim picker As Object")
            out.append("    Set picker = Application.FileDialog(4)  ' msoFileDialogFolderPicker")
            out.append(f"    picker.Title = {vba_string(j.folder_dialog)}")
            out.append("    picker.AllowMultiSelect = False")
            out.append('    If Len(ThisWorkbook.Path) > 0 And InStr(ThisWorkbook.Path, "://") = 0 Then')
            out.append("        picker.InitialFileName = ThisWorkbook.Path & Application.PathSeparator")
            out.append("    End If")
            out.append("    If picker.Show <> -1 Then Exit Sub")
            out.append(f'    RunPython "{call}" & CchcXl_PyLiteral(CStr(picker.SelectedItems(1))) & ")"')
        else:
            out.append(f'    RunPython "{call})"')
        out.append("End Sub")
    text = "\n".join(out) + "\n"
    text.encode("ascii")  # raises if a non-ASCII character slipped in
    return text.replace("\n", "\r\n")


def write_sources(root: Path | None = None) -> list[Path]:
    """Regenerate ``workbook/ribbon/customUI14.xml`` and ``workbook/vba/CchcRibbon.bas``; return the paths."""
    ui = CUSTOM_UI_PATH if root is None else Path(root) / "workbook" / "ribbon" / "customUI14.xml"
    bas = RIBBON_BAS_PATH if root is None else Path(root) / "workbook" / "vba" / "CchcRibbon.bas"
    ui.parent.mkdir(parents=True, exist_ok=True)
    bas.parent.mkdir(parents=True, exist_ok=True)
    ui.write_bytes(render_custom_ui().encode("utf-8"))
    bas.write_bytes(render_vba_module().encode("ascii"))
    return [ui, bas]


# ---------------------------------------------------------------------------------------------------------
# Package injection (raw zip surgery)
# ---------------------------------------------------------------------------------------------------------

_LOCAL_SIG = 0x04034B50
_CENTRAL_SIG = 0x02014B50
_EOCD_SIG = 0x06054B50
_DOS_DATE_1980 = (0, 33)  # time 00:00:00, date 1980-01-01


@dataclass
class _Entry:
    name: str
    local: bytes  # local header + data (+ data descriptor), ready to write
    central: bytes  # central directory record with the offset field zeroed


def _read_entries(data: bytes) -> list[_Entry]:
    eocd = data.rfind(struct.pack("<I", _EOCD_SIG))
    if eocd < 0:
        raise ValueError("not a zip package (no end of central directory)")
    (_, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, _clen) = struct.unpack_from("<IHHHHIIH", data, eocd)
    if disk or cd_disk or n_disk != n_total or cd_offset == 0xFFFFFFFF or n_total == 0xFFFF:
        raise ValueError("multi-disk or ZIP64 packages are not supported")
    entries: list[_Entry] = []
    pos = cd_offset
    for _ in range(n_total):
        (sig, _vm, _vn, flags, _meth, _t, _d, _crc, csize, _usize, nlen, xlen, clen, _dn, _ia, _ea,
         offset) = struct.unpack_from("<IHHHHHHIIIHHHHHII", data, pos)
        if sig != _CENTRAL_SIG:
            raise ValueError("corrupt central directory")
        rec_len = 46 + nlen + xlen + clen
        raw_name = data[pos + 46: pos + 46 + nlen]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
        central = bytearray(data[pos: pos + rec_len])
        struct.pack_into("<I", central, 42, 0)
        (lsig, _lv, lflags, _lm, _lt, _ld, _lcrc, _lcs, _lus, lnlen, lxlen) = struct.unpack_from(
            "<IHHHHHIIIHH", data, offset)
        if lsig != _LOCAL_SIG:
            raise ValueError(f"corrupt local header for {name}")
        end = offset + 30 + lnlen + lxlen + csize
        if lflags & 0x08:  # data descriptor follows
            end += 16 if data[end: end + 4] == b"PK\x07\x08" else 12
        entries.append(_Entry(name, bytes(data[offset:end]), bytes(central)))
        pos += rec_len
    return entries


def _new_entry(name: str, content: bytes) -> _Entry:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = comp.compress(content) + comp.flush()
    crc = zlib.crc32(content) & 0xFFFFFFFF
    raw_name = name.encode("utf-8")
    flags = 0x800 if any(b > 127 for b in raw_name) else 0
    t, d = _DOS_DATE_1980
    local = struct.pack("<IHHHHHIIIHH", _LOCAL_SIG, 20, flags, 8, t, d, crc, len(packed), len(content),
                        len(raw_name), 0) + raw_name + packed
    central = struct.pack("<IHHHHHHIIIHHHHHII", _CENTRAL_SIG, 20, 20, flags, 8, t, d, crc, len(packed),
                          len(content), len(raw_name), 0, 0, 0, 0, 0, 0) + raw_name
    return _Entry(name, local, central)


def _write_entries(entries: list[_Entry]) -> bytes:
    out = bytearray()
    centrals = bytearray()
    for e in entries:
        central = bytearray(e.central)
        struct.pack_into("<I", central, 42, len(out))
        out += e.local
        centrals += central
    cd_offset = len(out)
    out += centrals
    out += struct.pack("<IHHHHIIH", _EOCD_SIG, 0, 0, len(entries), len(entries), len(centrals), cd_offset, 0)
    return bytes(out)


def _entry_content(entry: _Entry) -> bytes:
    (_s, _v, _f, method, _t, _d, _crc, csize, _usize, nlen, xlen) = struct.unpack_from("<IHHHHHIIIHH",
                                                                                      entry.local, 0)
    if _f & 0x08:  # sizes live in the central record when a data descriptor is used
        csize = struct.unpack_from("<I", entry.central, 20)[0]
    body = entry.local[30 + nlen + xlen: 30 + nlen + xlen + csize]
    if method == 0:
        return body
    if method == 8:
        return zlib.decompress(body, -15)
    raise ValueError(f"{entry.name}: unsupported compression method {method}")


def _add_relationship(rels: str) -> str:
    if CUSTOM_UI_REL_TYPE in rels and CUSTOM_UI_PART in rels:
        return rels
    ids = [int(m) for m in re.findall(r'\bId="rId(\d+)"', rels)]
    rid = f"rId{max(ids, default=0) + 1}"
    while f'Id="{rid}"' in rels:  # pragma: no cover - non-numeric ids
        rid += "x"
    rel = f'<Relationship Id="{rid}" Type="{CUSTOM_UI_REL_TYPE}" Target="{CUSTOM_UI_PART}"/>'
    return rels.replace("</Relationships>", rel + "</Relationships>", 1)


def _add_content_type(types: str) -> str:
    """Parts ending in .xml are covered by a Default; add an Override only if there is no such Default."""
    if re.search(r'<Default\b[^>]*Extension="xml"', types, flags=re.IGNORECASE):
        return types
    if f'PartName="/{CUSTOM_UI_PART}"' in types:
        return types
    override = f'<Override PartName="/{CUSTOM_UI_PART}" ContentType="{CUSTOM_UI_CONTENT_TYPE}"/>'
    return types.replace("</Types>", override + "</Types>", 1)


def inject_ribbon(xlsm_bytes: bytes, custom_ui: bytes | None = None) -> bytes:
    """Return the package with ``customUI/customUI14.xml`` (the committed file unless ``custom_ui`` is given),
    its relationship in ``_rels/.rels`` and, if needed, a content type. Idempotent and deterministic;
    entries other than ``_rels/.rels``/``[Content_Types].xml`` are copied byte for byte, in order."""
    if custom_ui is None:
        custom_ui = CUSTOM_UI_PATH.read_bytes()
    entries = _read_entries(xlsm_bytes)
    names = [e.name for e in entries]
    for required in ("_rels/.rels", "[Content_Types].xml"):
        if required not in names:
            raise ValueError(f"not an OOXML package: {required} is missing")
    out: list[_Entry] = []
    for e in entries:
        if e.name == "_rels/.rels":
            text = _entry_content(e).decode("utf-8")
            new = _add_relationship(text)
            out.append(e if new == text else _new_entry(e.name, new.encode("utf-8")))
        elif e.name == "[Content_Types].xml":
            text = _entry_content(e).decode("utf-8")
            new = _add_content_type(text)
            out.append(e if new == text else _new_entry(e.name, new.encode("utf-8")))
        elif e.name == CUSTOM_UI_PART:
            out.append(_new_entry(CUSTOM_UI_PART, custom_ui))
        else:
            out.append(e)
    if CUSTOM_UI_PART not in names:
        out.append(_new_entry(CUSTOM_UI_PART, custom_ui))
    return _write_entries(out)


if __name__ == "__main__":  # pragma: no cover
    for path in write_sources():
        print(path)
