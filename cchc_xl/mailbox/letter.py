"""One message from the mailbox, read without trusting it: which attachment is the report, under which name it may
be saved, whom to answer — or why the message is skipped.

Rules (each hostile case of issue #19 has its sentence here; nothing in this module touches a disk or a network):

* **the report** is the one spreadsheet attachment of the message (a name ending in ``.xlsx``, ``.xlsm``,
  ``.xls``, ``.xlsb``, … or a spreadsheet MIME type). None → skipped (a ``.zip`` is not opened: the school
  attaches the ``.xlsx`` itself); several different ones → skipped (one report per message); the same bytes
  attached twice count once. Whether it *is* a good exchange file — not a zip bomb, no macros, the right
  period — is the roll-up's screening (:mod:`cchc_xl.io.inbox`), which rejects it with a reason
  the school is told;
* **the PDFs** beside it are kept for people; other attachments are ignored;
* **a forwarded message attached** (``message/rfc822``) is not opened: a report found only inside one skips the
  message with a sentence saying to send the file itself;
* **limits**: at most :attr:`~.settings.Limits.max_parts` MIME parts and :attr:`~.settings.Limits.max_depth`
  levels of nesting are looked at; a report larger than the roll-up reads, or whose base64 is broken, is
  skipped; a message the parser cannot read is skipped — never an exception;
* **names**: the name the sender wrote is never a path. Only its last component is kept, characters no file
  system takes (``<>:"/\\|?*``, control and invisible characters) become ``_``, leading dots and ``~`` are
  replaced (the roll-up skips hidden and owner files), a Windows device name (``CON``, ``NUL``…) is prefixed,
  the report always ends in a spreadsheet suffix and a PDF in ``.pdf``, and the name is shortened by bytes
  (:func:`cchc_xl.io.inbox.fit_name`). A changed name is noted;
* **the address to answer** is ``Reply-To``, else ``From``, checked like ``send`` checks its addresses
  (:func:`cchc_xl.distribute.send.parse_addresses`); none usable → no reply, and the note says why.

>>> safe_name("../../Windows/System32/BC_CCHC.xlsx", report=True)
('BC_CCHC.xlsx', True)
>>> safe_name("C:\\\\Users\\\\x\\\\.bashrc", report=True)
('_bashrc.xlsx', True)
>>> safe_name("Báo cáo 6 tháng.xlsx", report=True)
('Báo cáo 6 tháng.xlsx', False)
>>> safe_name("CON.pdf", report=False)
('_CON.pdf', True)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from email import errors as email_errors
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message

from ..core.text import clean_text
from ..errors import SendError
from ..io.inbox import fit_name, size_problem
from .settings import Limits

__all__ = ["Letter", "Attachment", "read_letter", "safe_name", "SHEET_SUFFIXES", "too_large_reason"]

SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".xltx", ".xltm")
_SHEET_TYPES = ("application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml",
                "application/excel", "application/x-excel", "application/x-msexcel")
_FORBIDDEN = set('<>:"/\\|?*')
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_MESSAGE_ID = re.compile(r"^<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>$")   # printable ASCII, no '<' or '>' inside
_BASE64_DEFECTS = (email_errors.InvalidBase64CharactersDefect, email_errors.InvalidBase64PaddingDefect,
                   email_errors.InvalidBase64LengthDefect)


@dataclass(frozen=True)
class Attachment:
    """An attachment to save: ``name`` is safe to create in the inbox, ``original`` what the sender wrote."""

    name: str
    original: str
    data: bytes


@dataclass
class Letter:
    """What collection needs from one message. ``problem`` set → the message is skipped (kept in the mailbox)."""

    message_id: str = ""
    subject: str = ""
    sender: str = ""                 # the checked address to answer ('' when none is usable)
    sender_text: str = ""            # the From header as written (one line, for people)
    report: Attachment | None = None
    extras: list[Attachment] = field(default_factory=list)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)


def too_large_reason(size: int, limit: int) -> str:
    """The sentence for a message skipped before it is downloaded.

    >>> too_large_reason(52428800, 31457280)
    'thư quá lớn (50,0 MB; giới hạn 30 MB)'
    """
    return f"thư quá lớn ({size / 1048576:.1f} MB; giới hạn {limit / 1048576:.0f} MB)".replace(".", ",", 1)


def _one_line(text: str, limit: int = 200) -> str:
    text = clean_text(str(text), single_line=True)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_name(raw: str | None, *, report: bool, fallback: str = "bao_cao") -> tuple[str, bool]:
    """``(name, changed)``: a file name made from what the sender wrote (see the module docstring)."""
    original = raw or ""
    base = re.split(r"[\\/]", original)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join("_" if ch in _FORBIDDEN or unicodedata.category(ch)[0] in "CZ" and ch != " " else ch
                   for ch in base)
    base = base.strip(" ")
    if base.startswith((".", "~")):
        base = "_" + base.lstrip(".~")
    base = base.rstrip(" .")
    if not base.strip("_"):
        base = fallback
    if base.split(".")[0].upper().strip() in _WINDOWS_DEVICES:
        base = "_" + base
    suffixes = SHEET_SUFFIXES if report else (".pdf",)
    if not base.lower().endswith(suffixes):
        base += suffixes[0]
    name = fit_name(base)
    return name, name != original


def _is_sheet(part: Message, name: str) -> bool:
    return name.lower().endswith(SHEET_SUFFIXES) or part.get_content_type().startswith(_SHEET_TYPES)


def _is_pdf(part: Message, name: str) -> bool:
    return name.lower().endswith(".pdf") or part.get_content_type() == "application/pdf"


def _leaves(msg: Message, limits: Limits) -> tuple[list[Message], list[Message], str | None]:
    """(leaf parts, attached messages, problem): the message's parts, without opening attached messages."""
    leaves, nested = [], []
    stack, seen = [(msg, 0)], 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > limits.max_parts:
            return leaves, nested, f"thư có quá nhiều phần (hơn {limits.max_parts}); không đọc"
        if part.get_content_maintype() == "message" and part is not msg:
            nested.append(part)
            continue
        if part.is_multipart():
            if depth >= limits.max_depth:
                return leaves, nested, f"thư có cấu trúc lồng quá sâu (hơn {limits.max_depth} tầng); không đọc"
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children))
            continue
        leaves.append(part)
    return leaves, nested, None


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - a malformed RFC 2231/2047 parameter
        return "tep_dinh_kem"
    return None if name is None else str(name)


def _answer_address(msg: Message) -> tuple[str, str]:
    """(address to answer, note): Reply-To, else From, each checked as send checks its addresses."""
    from ..distribute.send import parse_addresses

    note = "thư không có địa chỉ người gửi (From)"
    for header in ("Reply-To", "From"):
        try:
            value = msg.get(header)
            addresses = list(getattr(value, "addresses", ()) or ()) if value is not None else []
        except Exception:  # noqa: BLE001 - an address header the parser cannot read
            note = f"không đọc được địa chỉ ở dòng '{header}'"
            continue
        if value is None:
            continue
        for address in addresses:
            try:
                found = parse_addresses(address.addr_spec, f"dòng '{header}' của thư")
            except SendError as exc:
                note = str(exc)
                continue
            if found:
                return found[0], ""
        if not addresses:
            note = f"dòng '{header}' của thư không có địa chỉ hợp lệ"
    return "", note


def _header_text(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001
        return ""
    return "" if value is None else _one_line(str(value))


def read_letter(raw: bytes, limits: Limits | None = None) -> Letter:
    """Read ``raw`` (RFC 822 bytes) into a :class:`Letter` within ``limits`` (default :class:`Limits`); never
    raises for what the message contains."""
    limits = limits or Limits()
    letter = Letter()
    try:
        msg = message_from_bytes(raw, policy=email_policy.default)
        letter.subject = _header_text(msg, "Subject")
        letter.sender_text = _header_text(msg, "From")
        mid = _header_text(msg, "Message-ID")
        letter.message_id = mid if _MESSAGE_ID.match(mid) else ""
        letter.sender, why = _answer_address(msg)
        if not letter.sender:
            letter.notes.append(f"không trả lời được: {why}")
        leaves, nested, problem = _leaves(msg, limits)
        if problem:
            letter.problem = problem
            return letter
        _pick_attachments(letter, leaves, nested, limits)
    except Exception as exc:  # noqa: BLE001 - a message the standard parser chokes on is skipped, never a crash
        letter.problem = f"thư hỏng, không đọc được cấu trúc MIME ({type(exc).__name__})"
        letter.report, letter.extras = None, []
    return letter


def _pick_attachments(letter: Letter, leaves: list[Message], nested: list[Message], limits: Limits) -> None:
    sheets: list[tuple[Message, str]] = []
    pdfs: list[tuple[Message, str]] = []
    for part in leaves:
        name = _filename(part)
        if name is None and part.get_content_maintype() == "text":
            continue                                           # the body of the message
        label = name or ""
        if _is_sheet(part, label):
            sheets.append((part, label))
        elif _is_pdf(part, label):
            pdfs.append((part, label))
    if not sheets:
        if nested:
            letter.problem = ("thư chỉ có thư chuyển tiếp đính kèm, không có tệp báo cáo trực tiếp; hãy gửi lại "
                              "thư đính kèm trực tiếp tệp báo cáo .xlsx (nút 'Gửi báo cáo lên Sở')")
        else:
            letter.problem = "thư không có tệp báo cáo (.xlsx) đính kèm"
        return
    contents: dict[bytes, tuple[Message, str]] = {}
    for part, label in sheets:
        data = _decoded(part, label, limits, letter)
        if data is None:
            return
        contents.setdefault(data, (part, label))
    if len(contents) > 1:
        names = ", ".join(f"'{_one_line(label, 60) or '(không tên)'}'" for _, label in contents.values())
        letter.problem = (f"thư có {len(contents)} tệp bảng tính đính kèm ({names}); mỗi thư chỉ gửi một tệp "
                          "báo cáo")
        return
    data, (part, label) = next(iter(contents.items()))
    name, changed = safe_name(label, report=True)
    if changed and label:
        letter.notes.append(f"tên tệp đính kèm '{_one_line(label, 80)}' không dùng được nguyên văn; lưu thành "
                            f"'{name}'")
    letter.report = Attachment(name, label, data)
    if nested:
        letter.notes.append("bỏ qua thư chuyển tiếp đính kèm trong thư")
    for part, label in pdfs:
        pdf = _decoded(part, label, limits, None)
        if pdf is not None:
            pdf_name, _ = safe_name(label, report=False, fallback=name.rsplit(".", 1)[0])
            letter.extras.append(Attachment(pdf_name, label, pdf))


def _decoded(part: Message, label: str, limits: Limits, letter: Letter | None) -> bytes | None:
    """The attachment's bytes, or None (with ``letter.problem`` set when ``letter`` is given) when it is too
    large or its transfer encoding is broken."""
    encoded = part.get_payload()
    if not isinstance(encoded, (str, bytes)):
        encoded = ""
    estimate = len(encoded) * 3 // 4
    if estimate > limits.max_attachment_bytes + 4096:
        if letter is not None:
            letter.problem = size_problem(estimate, limits.max_attachment_bytes)
        return None
    data = part.get_payload(decode=True) or b""
    if any(isinstance(d, _BASE64_DEFECTS) for d in part.defects):
        if letter is not None:
            letter.problem = (f"tệp đính kèm '{_one_line(label, 80) or '(không tên)'}' bị hỏng khi truyền "
                              "(mã hóa base64 sai); hãy gửi lại")
        return None
    if len(data) > limits.max_attachment_bytes:
        if letter is not None:
            letter.problem = size_problem(len(data), limits.max_attachment_bytes)
        return None
    return data
