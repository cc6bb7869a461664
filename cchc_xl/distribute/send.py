"""Sending the report upward to the Sở (``cchc-xl send``).

Flow of :func:`send_file` (``cchc-xl send``): the master opened once and read once, then :func:`send_report`:

1. :func:`stored_report_result`: the report that is in the master (:mod:`cchc_xl.report.record`: its period
   and as-of date are recorded with the ``Báo cáo`` sheet; refused when the data changed since it was made, or
   when ``--period``/``--as-of`` disagree), its figures computed once (the master is not rewritten).
   ``consolidate --send`` hands :func:`send_report` the result of its own run instead, and the ribbon the
   result it computed from the saved file; :func:`send_report` takes that result and the open book, never a
   path;
2. :func:`build_outgoing` → the exchange ``.xlsx`` (:mod:`cchc_xl.exchange`) + PDF of ``Báo cáo``
   in ``outdir`` (default: the workbook's folder);
3. :func:`compose_message` → Vietnamese e-mail with both attachments;
4. without an SMTP server (setting ``smtp_may_chu`` / env ``CCHC_SMTP_HOST``) or with
   ``dry_run`` → a ``.eml`` draft with ``X-Unsent: 1`` (Outlook opens it as an editable draft);
   nothing is recorded;
5. otherwise SMTP (SSL, STARTTLS or none). Only when the server accepted the message is a
   row appended to ``Nhật ký`` (atomic save with backup). A period already recorded there
   is refused unless ``force``. A report with a section that could not be computed (a table that
   could not be read) is never sent: :class:`SendError` names the table and header.

Settings come from ``Cấu hình`` and are overridden by the environment: ``CCHC_SMTP_HOST``,
``CCHC_SMTP_PORT``, ``CCHC_SMTP_SECURITY`` (SSL|STARTTLS|Không/NONE), ``CCHC_SMTP_USER``,
``CCHC_SMTP_FROM``, ``CCHC_SMTP_TO`` (comma separated). The password is read ONLY from
``CCHC_SMTP_PASSWORD`` or the OS keyring (service ``cchc-xl``, user = SMTP account) and is never
written anywhere. ``CCHC_SMTP_CAFILE`` adds a CA bundle to trust (self-signed servers);
``CCHC_SMTP_TIMEOUT`` (seconds, default 30).
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy as email_policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from .. import schema
from ..core import vnformat
from ..core.periods import PERIOD_KEYS, Period, report_title_phrase
from ..core.settings import one_line
from ..core.vocabulary import PeriodKey, TaskFlag
from ..errors import CchcError, SendError, describe_os_error
from ..io.nofollow import replace_file
from . import _common
from .outgoing import PdfMaker, pdf_maker

__all__ = ["build_outgoing", "compose_message", "send_report", "send_file", "stored_report_result", "send_log_row",
           "SendOutcome", "outgoing_name", "unit_code_refusal",
           "subject_for", "SmtpConfig", "smtp_config", "parse_addresses", "missing_address_warnings", "MAIL_POLICY",
           "LOG_COLUMN_SEND", "LOG_COLUMN_DRAFT"]

KEYRING_SERVICE = "cchc-xl"
LOG_COLUMN_SEND = "Gửi báo cáo"  # value of 'Cột' in Nhật ký for a send record
LOG_COLUMN_DRAFT = "Thư nháp báo cáo"  # … for a draft recorded by the Excel button
_PERIOD_TOKEN = {PeriodKey.Q1: "Quy1", PeriodKey.H1: "6Thang", PeriodKey.Q3: "Quy3", PeriodKey.YEAR: "Nam"}
_XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class SendOutcome:
    """Result of :func:`send_report`. ``sent`` is False for a draft (``eml`` is then set)."""

    sent: bool
    period: str
    period_label: str
    recipients: list[str]
    xlsx: Path
    pdf: Path
    eml: Path | None = None
    subject: str = ""
    message: str = ""  # one Vietnamese line for the user
    warnings: list[str] = field(default_factory=list)  # Vietnamese sentences: what to fill in before sending


@dataclass
class SmtpConfig:
    host: str = ""
    port: int = 587
    security: str = "STARTTLS"  # SSL | STARTTLS | Không
    user: str = ""
    sender: str = ""
    to: list[str] = field(default_factory=list)
    timeout: float = 30.0
    cafile: str | None = None


def _school_token(settings) -> str:
    name = str(settings.get("ten_truong_ngan") or settings.get("ten_truong") or "Truong")
    plain = _common.strip_diacritics(name).strip()
    if plain.lower().startswith("truong "):
        plain = plain[7:]
    return _common.ascii_slug(plain)


def outgoing_name(period: Period, settings) -> str:
    """``BC_CCHC_Nam2024_THPT_Kien_Thuy`` (no extension) for ``period`` and the school name."""
    return f"BC_CCHC_{_PERIOD_TOKEN.get(period.key, period.key)}{period.year}_{_school_token(settings)}"


def build_outgoing(result, outdir: str | os.PathLike, pdf: bool = True,
                   make_pdf: PdfMaker | None = None) -> tuple[Path, Path | None]:
    """Write the exchange file ``BC_CCHC_<kỳ><năm>_<trường>.xlsx`` and its ``.pdf`` into ``outdir``.

    ``result`` is the computed :class:`~cchc_xl.engine.RefreshResult`; the ``.xlsx`` is the designed
    exchange file of :mod:`cchc_xl.exchange` (report, tasks, indicators, dossier statistics, machine-
    readable data; no settings, log, macros or formulas) and the PDF prints its ``Báo cáo`` sheet with
    ``make_pdf`` (default: :func:`~cchc_xl.distribute.outgoing.pdf_maker`, chosen before anything is
    written). Returns ``(xlsx_path, pdf_path)``; ``pdf_path`` is None when ``pdf`` is False. Existing files
    of the same name are replaced.
    """
    from ..exchange.writer import write_exchange

    if pdf and make_pdf is None:
        make_pdf = pdf_maker()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    base = outgoing_name(result.period, result.settings)
    xlsx = write_exchange(result, outdir / f"{base}.xlsx")
    pdf_path = make_pdf(xlsx, outdir / f"{base}.pdf") if pdf else None
    return xlsx, pdf_path


def _missing_code_note(settings) -> str:
    """A warning when the unit's code is empty or invalid: the Sở's roll-up rejects such an exchange file."""
    from ..exchange.spec import unit_code_problem

    problem = unit_code_problem(settings.get("ma_dinh_danh"))
    if problem is None:
        return ""
    if problem == "chưa có mã định danh":
        return (" Chú ý: chưa điền 'ma_dinh_danh' (mã định danh điện tử của đơn vị) trong trang Cấu hình, "
                "Sở sẽ không tổng hợp được tệp gửi đi.")
    return f" Chú ý: ô 'ma_dinh_danh' của trang Cấu hình có {problem}, Sở sẽ không tổng hợp được tệp gửi đi."


def unit_code_refusal(settings, dry_run_hint: bool = True) -> str | None:
    """The one sentence refusing to send (not a dry run) a report whose exchange file every Sở's roll-up would
    reject — ``ma_dinh_danh`` empty or not a valid code — or None when the code is fine. ``dry_run_hint``: say
    that ``--dry-run`` still works (the command line; the ribbon has no dry run)."""
    from ..exchange.spec import unit_code_problem

    problem = unit_code_problem(settings.get("ma_dinh_danh"))
    if problem is None:
        return None
    what = "đang để trống" if problem == "chưa có mã định danh" else f"có {problem}"
    return (f"Không gửi báo cáo: ô 'ma_dinh_danh' (mã định danh điện tử của đơn vị) trong trang Cấu hình {what}, "
            f"nên tệp trao đổi gửi đi sẽ bị mọi Sở từ chối khi tổng hợp; hãy điền mã định danh của trường rồi gửi lại"
            + (" (chạy thử bằng --dry-run vẫn được)." if dry_run_hint else "."))


def _governing_body(settings) -> str:
    text = str(settings.get("co_quan_chu_quan") or "Sở Giáo dục và Đào tạo").strip()
    if text.isupper():
        known = {"SỞ GIÁO DỤC VÀ ĐÀO TẠO": "Sở Giáo dục và Đào tạo"}
        text = known.get(text, text[:1] + text[1:].lower())
    return text


def subject_for(period: Period, settings) -> str:
    """``V/v báo cáo kết quả thực hiện công tác CCHC năm 2024 – Trường THPT Kiến Thụy``: one line, whatever the
    setting holds (a line break would end the header).

    >>> import datetime as dt
    >>> subject_for(Period("year", "Năm 2024", dt.date(2023, 12, 15), dt.date(2024, 12, 14)),
    ...             {"ten_truong_ngan": "Trường THPT\\nKiến Thụy\\r\\n"})
    'V/v báo cáo kết quả thực hiện công tác CCHC năm 2024 – Trường THPT Kiến Thụy'
    """
    school = one_line(str(settings.get("ten_truong_ngan") or ""))
    subject = f"V/v báo cáo kết quả thực hiện công tác CCHC {report_title_phrase(period)} – {school}"
    return one_line(subject).rstrip(" –")


def compose_message(summary: Mapping, settings, period: Period, attachments: list[Path], sender: str = "",
                    to: list[str] | None = None) -> EmailMessage:
    """The Vietnamese e-mail: subject, body with the report's figures, both attachments.

    ``summary`` is ``RefreshResult.to_json()``: every number of the body comes from it (the same
    figures as the report sheet); missing rates print as "chưa có dữ liệu".
    Attachment file names that are not ASCII are written as ONE RFC 2231 parameter
    (``filename*=utf-8''…`` and ``name*=`` on Content-Type, never split into ``filename*0*``
    continuations, which Outlook does not join): see :data:`MAIL_POLICY`.
    """
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = subject_for(period, settings)
    if sender:
        msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=(sender.split("@")[-1] if "@" in sender else None))
    msg.set_content("\n".join(_body(summary, settings, period, attachments)), charset="utf-8",
                    cte="quoted-printable")
    for p in attachments:
        ctype = _XLSX_MIME if p.suffix.lower() == ".xlsx" else (mimetypes.guess_type(p.name)[0]
                                                              or "application/octet-stream")
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(p.read_bytes(), maintype=maintype, subtype=subtype, filename=p.name)
        if not p.name.isascii():  # the name also on Content-Type, where some mail programs look for it
            msg.get_payload()[-1].set_param("name", p.name, header="Content-Type")
    return msg


def _body(summary: Mapping, settings, period: Period, attachments: list[Path]) -> list[str]:
    """The lines of the e-mail's body: the greeting, the notes, the main figures, the attachments."""
    figures = summary.get("figures") or {}
    as_of = summary.get("as_of")
    as_of_vn = vnformat.date_vn(dt.date.fromisoformat(as_of)) if as_of else ""
    school = str(settings.get("ten_truong_ngan") or "").strip()
    lines = [
        f"Kính gửi: {_governing_body(settings)}.",
        "",
        f"{school} xin gửi báo cáo kết quả thực hiện công tác cải cách hành chính "
        f"{report_title_phrase(period)} (số liệu tính đến ngày {as_of_vn}).",
    ]
    for note in (figures.get("date_note"), figures.get("sample_note")):
        if note:
            lines += ["", "Lưu ý: " + note]
    lines += ["", "Một số số liệu chính:"]
    lines += _task_lines(summary)
    lines += _dossier_lines(summary, settings)
    lines += _late_task_lines(summary)
    return lines + [
        "",
        "Tệp đính kèm: " + "; ".join(p.name for p in attachments) + ".",
        "",
        "Trân trọng./.",
        school,
    ]


def _task_lines(summary: Mapping) -> list[str]:
    """The tasks by flag and CT2 (nothing when the tasks could not be counted)."""
    n = vnformat.integer
    tasks = summary.get("tasks") or {}
    if tasks.get("total") is None:
        return []
    parts = [f"{flag.label.lower()} {n(tasks.get(flag) or 0)}" for flag in TaskFlag if tasks.get(flag)]
    lines = [f"- Nhiệm vụ của kế hoạch: {n(tasks['total'])} (" + ", ".join(parts) + ")"]
    ct2 = ((summary.get("figures") or {}).get("tasks") or {}).get("ct2") or {}
    if ct2:
        lines.append(f"- Tỷ lệ nhiệm vụ hoàn thành đúng hạn (chỉ tiêu CT2): {n(ct2['numerator'])}/"
                     f"{n(ct2['denominator'])} ({_common.percent(ct2['rate'])})")
    return lines


def _dossier_lines(summary: Mapping, settings) -> list[str]:
    """The dossiers by class (the parts add up to the total) and the dossier rates."""
    n = vnformat.integer
    rates = summary.get("rates") or {}
    measure = str(settings.get("cach_tinh_hai_long") or "QĐ 766")
    satisfaction = rates.get("satisfaction_survey") if measure == "Khảo sát" else rates.get("satisfaction_qd766")
    lines = []
    d = (summary.get("figures") or {}).get("dossiers") or {}
    if d:
        lines.append(f"- Hồ sơ TTHC: {n(d['total'])}; đã giải quyết {n(d['resolved'])} (trước hạn {n(d['early'])}, "
                     f"đúng hạn {n(d['on_time'])}, trễ hạn {n(d['late'])}); đang giải quyết {n(d['pending'])} (quá "
                     f"hạn {n(d['pending_overdue'])}); chờ bổ sung {n(d['waiting'])}; rút hồ sơ {n(d['withdrawn'])}; "
                     f"từ chối không tính hạn {n(d['refused_untimed'])}")  # the parts add up to the total
    return lines + [
        f"- Tỷ lệ hồ sơ TTHC giải quyết trước hạn và đúng hạn: {_common.percent(rates.get('early_or_on_time'))}",
        f"- Mức độ hài lòng của người dân ({measure}): {_common.percent(satisfaction)}",
        f"- Tỷ lệ hồ sơ được số hóa kết quả: {_common.percent(rates.get('digitised'))}",
    ]


def _late_task_lines(summary: Mapping) -> list[str]:
    """The overdue tasks (and, in a result made before issue #15, the unfinished ones), at most 40 named."""
    n = vnformat.integer
    overdue = summary.get("overdue_tasks") or []
    unfinished = (((summary.get("figures") or {}).get("tasks") or {}).get("unfinished")) or []
    lines = []
    for label, items in (("Số nhiệm vụ quá hạn", overdue), ("Số nhiệm vụ chưa hoàn thành khi hết năm", unfinished)):
        if label.startswith("Số nhiệm vụ chưa") and not items:
            continue
        lines.append(f"- {label}: {n(len(items))}")
        for t in items[:40]:
            due = vnformat.date_vn(dt.date.fromisoformat(t["due"])) if t.get("due") else "chưa xác định"
            lines.append(f"    + {t.get('id')} – {t.get('group') or ''} – hạn {due}")
    return lines


#: The policy of the outgoing message: lines up to 998 characters (RFC 5322), so that a long non-ASCII attachment
#: name stays one ``filename*=utf-8''…`` parameter instead of ``filename*0*``/``filename*1*`` continuations.
MAIL_POLICY = email_policy.default.clone(max_line_length=998)
_ADDRESS_HEADER = HeaderRegistry()
_EXAMPLE_ADDRESS = "phongcchc@haiphong.edu.vn"


def parse_addresses(raw: str | list[str], where: str) -> list[str]:
    """The e-mail addresses in ``raw`` (separated by ``,`` or ``;``), each checked with the standard library's
    address parser (``email.headerregistry``); ``where`` names their source in the message.

    A line break (a header injection), a text that is not exactly one valid address per item, an address with
    letters outside ASCII in its local part, a domain without a dot: :class:`SendError`, one Vietnamese sentence.
    A display name (``Phòng CCHC <phong@hp.edu.vn>``) is accepted; the bare address is returned.

    >>> parse_addresses("a@hp.edu.vn; Phòng CCHC <b@hp.edu.vn>", "--to")
    ['a@hp.edu.vn', 'b@hp.edu.vn']
    >>> parse_addresses("", "--to")
    []
    """
    text = raw if isinstance(raw, str) else ",".join(raw)
    if any(ch in text for ch in "\r\n\x00\x0b\x0c\x85\u2028\u2029"):
        raise SendError(f"Địa chỉ thư ở {where} có ký tự xuống dòng: mỗi địa chỉ phải nằm trên một dòng, nhiều "
                        "địa chỉ cách nhau bằng dấu phẩy.")
    out = []
    for item in (part.strip() for part in text.replace(";", ",").split(",")):
        if not item:
            continue
        try:
            header = _ADDRESS_HEADER("To", item)
            addresses = header.addresses
        except Exception:  # noqa: BLE001 - the parser raises assorted errors on garbage ("a@")
            header, addresses = None, ()
        ok = (header is not None and not header.defects and len(addresses) == 1
              and addresses[0].username and "." in addresses[0].domain.strip(".")
              and not addresses[0].domain.startswith("[") and addresses[0].addr_spec.isascii())
        if not ok:
            raise SendError(f"'{item}' ở {where} không phải một địa chỉ thư điện tử hợp lệ "
                            f"(ví dụ đúng: {_EXAMPLE_ADDRESS}).")
        out.append(addresses[0].addr_spec)
    return out


def smtp_config(settings, env: Mapping[str, str]) -> SmtpConfig:
    """SMTP settings from ``Cấu hình`` overridden by ``CCHC_SMTP_*`` environment variables; the addresses are
    checked with :func:`parse_addresses` (:class:`SendError` names the setting or variable)."""
    def pick(env_key: str, setting: str, default=""):
        v = env.get(env_key)
        if v not in (None, ""):
            return v
        s = settings.get(setting)
        return default if s in (None, "") else s

    port_raw = pick("CCHC_SMTP_PORT", "smtp_cong", 0)
    try:
        port = int(port_raw)
    except (TypeError, ValueError):
        raise SendError(f"Cổng SMTP '{port_raw}' không hợp lệ.") from None
    security = str(pick("CCHC_SMTP_SECURITY", "smtp_bao_mat", "STARTTLS")).strip()
    norm = {"ssl": "SSL", "tls": "SSL", "starttls": "STARTTLS", "không": "Không", "khong": "Không",
            "none": "Không", "plain": "Không"}.get(security.lower())
    if norm is None:
        raise SendError(f"Chế độ bảo mật SMTP '{security}' không hợp lệ; chỉ nhận SSL, STARTTLS hoặc Không.")
    if not port:
        port = {"SSL": 465, "STARTTLS": 587, "Không": 25}[norm]
    to = parse_addresses(str(pick("CCHC_SMTP_TO", "email_nguoi_nhan", "")),
                         "biến môi trường CCHC_SMTP_TO" if env.get("CCHC_SMTP_TO") else
                         "ô 'email_nguoi_nhan' của trang Cấu hình")
    senders = parse_addresses(str(pick("CCHC_SMTP_FROM", "email_nguoi_gui", "")),
                              "biến môi trường CCHC_SMTP_FROM" if env.get("CCHC_SMTP_FROM") else
                              "ô 'email_nguoi_gui' của trang Cấu hình")
    if len(senders) > 1:
        raise SendError(f"Chỉ được một địa chỉ người gửi, đang có {len(senders)}: {', '.join(senders)}.")
    try:
        timeout = float(env.get("CCHC_SMTP_TIMEOUT") or 30)
    except ValueError:
        timeout = 30.0
    return SmtpConfig(host=str(pick("CCHC_SMTP_HOST", "smtp_may_chu", "")).strip(), port=port, security=norm,
                      user=str(pick("CCHC_SMTP_USER", "smtp_tai_khoan", "")).strip(),
                      sender=senders[0] if senders else "", to=to,
                      timeout=timeout, cafile=env.get("CCHC_SMTP_CAFILE") or None)


def missing_address_warnings(cfg: SmtpConfig) -> list[str]:
    """Vietnamese sentences naming the settings to fill when the recipient or the sender is missing."""
    out = []
    if not cfg.to:
        out.append("Chưa có địa chỉ người nhận: thư nháp không có dòng 'To'. Hãy điền 'email_nguoi_nhan' trong "
                   "trang Cấu hình (hoặc dùng --to).")
    if not cfg.sender:
        out.append("Chưa có địa chỉ người gửi: thư nháp không có dòng 'From'. Hãy điền 'email_nguoi_gui' trong "
                   "trang Cấu hình.")
    return out


def _password(cfg: SmtpConfig, env: Mapping[str, str]) -> str | None:
    pw = env.get("CCHC_SMTP_PASSWORD")
    if pw:
        return pw
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, cfg.user)
    except Exception:  # no backend, locked keyring, … → no password  # noqa: BLE001
        return None


def _login(server: smtplib.SMTP, user: str, password: str) -> None:
    """``server.login``; a non-ASCII user or password (smtplib only encodes ASCII) goes through
    AUTH PLAIN with UTF-8 (RFC 4616)."""
    try:
        server.login(user, password)
        return
    except UnicodeEncodeError:
        pass
    import base64

    if "plain" not in server.esmtp_features.get("auth", "").lower():
        raise SendError("Mật khẩu hoặc tên đăng nhập SMTP có ký tự tiếng Việt nhưng máy chủ không hỗ trợ "
                        "đăng nhập AUTH PLAIN; hãy dùng mật khẩu không dấu.")
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, resp = server.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, resp)


def _smtp_send(msg: EmailMessage, cfg: SmtpConfig, env: Mapping[str, str]) -> None:
    """Deliver ``msg``; every failure becomes one Vietnamese :class:`SendError`."""
    where = f"{cfg.host}:{cfg.port}"
    context = ssl.create_default_context(cafile=cfg.cafile)
    password = None
    if cfg.user:
        password = _password(cfg, env)
        if not password:
            raise SendError("Chưa có mật khẩu SMTP: đặt biến môi trường CCHC_SMTP_PASSWORD hoặc lưu mật khẩu "
                            f"vào kho khóa của hệ điều hành (dịch vụ '{KEYRING_SERVICE}', tài khoản '{cfg.user}').")
    try:
        if cfg.security == "SSL":
            server = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        else:
            server = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        with server:
            if cfg.security == "STARTTLS":
                server.ehlo()
                if not server.has_extn("starttls"):
                    raise SendError(f"Máy chủ thư {where} không hỗ trợ STARTTLS; kiểm tra 'smtp_bao_mat' và cổng.")
                server.starttls(context=context)
                server.ehlo()
            if cfg.user:
                _login(server, cfg.user, password or "")
            refused = server.send_message(msg, from_addr=cfg.sender or None, to_addrs=cfg.to)
            if refused:
                bad = ", ".join(refused)
                raise SendError(f"Máy chủ thư từ chối người nhận: {bad}.")
    except SendError:
        raise
    except smtplib.SMTPAuthenticationError:
        raise SendError(f"Máy chủ thư {where} từ chối đăng nhập của tài khoản '{cfg.user}': "
                        "kiểm tra tên đăng nhập và mật khẩu.") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"Máy chủ thư {where} không hỗ trợ thao tác yêu cầu (ví dụ đăng nhập khi chưa mã hóa): "
                        f"{exc}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        bad = ", ".join(exc.recipients)
        raise SendError(f"Máy chủ thư từ chối địa chỉ người nhận: {bad}.") from None
    except smtplib.SMTPSenderRefused as exc:
        raise SendError(f"Máy chủ thư từ chối địa chỉ người gửi '{exc.sender}'.") from None
    except ssl.SSLError as exc:
        raise SendError(f"Không thiết lập được kết nối mã hóa (TLS) với máy chủ thư {where}: "
                        f"{exc.reason or exc}.") from None
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, ConnectionError, socket.gaierror,
            TimeoutError) as exc:
        raise SendError(f"Không kết nối được máy chủ thư {where}: {exc}.") from None
    except smtplib.SMTPException as exc:
        raise SendError(f"Gửi thư qua {where} thất bại: {exc}.") from None
    except OSError as exc:
        raise SendError(f"Không kết nối được máy chủ thư {where}: {exc}.") from None


def _already_sent(book, period: Period) -> str | None:
    """The Thời gian of a previous successful send of ``period`` recorded in the Nhật ký of ``book``, or None."""
    for row in book.read_log():
        if str(row.get("Cột") or "") == LOG_COLUMN_SEND and str(row.get("Giá trị mới") or "") == period.label:
            return str(row.get("Thời gian") or "")
    return None


def send_log_row(outcome: SendOutcome, resend: bool = False, now: dt.datetime | None = None) -> dict:
    """The ``Nhật ký`` row (keys ``_log.LOG_HEADERS``) recording ``outcome``.

    A real send: ``Cột`` = :data:`LOG_COLUMN_SEND`, ``Giá trị mới`` = the period label (what the
    already-sent check looks for). A draft (``sent=False``; only the Excel button records one) gets
    ``Cột`` = :data:`LOG_COLUMN_DRAFT`, so it never counts as sent.
    """
    now = (now or dt.datetime.now()).replace(microsecond=0)
    to = ", ".join(outcome.recipients)
    if outcome.sent:
        return {"Thời gian": now, "Tệp": outcome.xlsx.name, "Tổ/nhóm": "", "Mã": "", "Cột": LOG_COLUMN_SEND,
                "Giá trị cũ": "", "Giá trị mới": outcome.period_label,
                "Ghi chú": f"Đã gửi tới {to}" + (" (gửi lại)" if resend else "")}
    eml = outcome.eml.name if outcome.eml else ""
    return {"Thời gian": now, "Tệp": eml, "Tổ/nhóm": "", "Mã": "", "Cột": LOG_COLUMN_DRAFT,
            "Giá trị cũ": "", "Giá trị mới": outcome.period_label,
            "Ghi chú": "Đã tạo thư nháp, chưa gửi" + (f" (người nhận: {to})" if to else "")}


def stored_report_result(book, *, period: str | None = None, as_of: dt.date | None = None, hint=None):
    """The report that is in the open ``book`` (a :class:`cchc_xl.io.file_book.FileBook`), checked and
    computed: one load (:func:`cchc_xl.engine.load_data`), the record checked against it
    (:func:`cchc_xl.report.record.stored_report`: ``period``/``as_of`` when given must match; ``hint(period,
    as_of)`` names what makes the report again), one computation (:func:`cchc_xl.engine.stored_result`).
    Returns the :class:`~cchc_xl.engine.RefreshResult`; raises :class:`SendError`."""
    from ..engine import load_data, stored_result
    from ..report.record import stored_report

    data = load_data(book)
    return stored_result(data, stored_report(book, data, period=period, as_of=as_of, hint=hint))


def send_file(path: str | os.PathLike, period: str | None = None, to: str | list[str] | None = None,
              dry_run: bool = False, force: bool = False, env: Mapping[str, str] = os.environ,
              outdir: str | os.PathLike | None = None, as_of: dt.date | None = None,
              progress=None, make_pdf: PdfMaker | None = None, refresh_hint=None) -> SendOutcome:
    """``cchc-xl send``: build the attachments of the report that is in the workbook at ``path`` and send (or
    draft) them — the file opened once and read once (:func:`stored_report_result`), then :func:`send_report`
    with that result and the open book (the send is recorded in its ``Nhật ký``).

    The report's period and as-of date are those recorded with the ``Báo cáo`` sheet; ``period``/``as_of``,
    when given, must match them. A workbook whose data changed since its report was made is refused — the
    message names the command that makes the report again (``refresh_hint(period, as_of)``; default
    ``cchc-xl refresh …``). Everything that can be checked before reading is checked first — the file, the
    period, ``to``, who prints the PDF (``make_pdf``, default :func:`~cchc_xl.distribute.outgoing.pdf_maker`:
    LibreOffice, else a Vietnamese error) — so that a refusal leaves no stray file.
    """
    from ..io.file_book import FileBook

    step = progress or (lambda f, m: None)
    master = Path(path)
    if not master.exists():
        raise CchcError(f"Không tìm thấy tệp '{master}'.")
    if period is not None and str(period).strip().lower() not in PERIOD_KEYS:
        raise CchcError(f"Kỳ báo cáo '{period}' không hợp lệ; chỉ nhận: {', '.join(PERIOD_KEYS)}.")
    override = parse_addresses(to, "--to") if to else None
    make_pdf = make_pdf or pdf_maker()
    step(0.05, "Đang đọc báo cáo trong sổ…")
    book = FileBook.open(master)
    result = stored_report_result(book, period=period, as_of=as_of, hint=refresh_hint)
    return send_report(result, book=book, to=override, dry_run=dry_run, force=force, env=env, outdir=outdir,
                       progress=progress, make_pdf=make_pdf)


def send_report(result, *, book=None, to: str | list[str] | None = None, dry_run: bool = False,
                force: bool = False, env: Mapping[str, str] = os.environ, outdir: str | os.PathLike | None = None,
                progress=None, record: bool = True, make_pdf: PdfMaker | None = None) -> SendOutcome:
    """Send (or draft) the report computed as ``result`` (a :class:`~cchc_xl.engine.RefreshResult`: the report
    that is in the workbook, :func:`stored_report_result`, or the run's own in ``consolidate --send``).

    ``book`` is the open master (a :class:`cchc_xl.io.file_book.FileBook`): its ``Nhật ký`` says whether the
    period was already sent and, once the server accepted the message, records the send (the book saved again
    under the workbook's writer lock, atomically, with a backup; refused when the file changed since it was
    read). ``record=False`` leaves the workbook alone: the caller records :func:`send_log_row` itself (the
    Excel button writes it into the open workbook, after its own already-sent check on that book).
    ``outdir`` defaults to the book's folder.

    Raises :class:`SendError` for a report with a section that could not be computed, for every SMTP failure,
    for a period already sent (without ``force``) and for a missing recipient; nothing is recorded in
    ``Nhật ký`` then. A draft (``dry_run`` or no SMTP server configured) returns ``sent=False`` and ``eml``; a
    draft without recipient or sender carries a warning naming the setting to fill (``outcome.warnings``).
    """
    step = progress or (lambda f, m: None)
    override = parse_addresses(to, "--to") if to else None
    make_pdf = make_pdf or pdf_maker()
    if outdir is None and book is None:
        raise ValueError("send_report needs the open book or an output folder")
    outdir = Path(outdir) if outdir else Path(book.path).parent
    if result.unavailable:
        raise SendError("Không gửi báo cáo vì có phần không tính được số liệu — "
                        + result.figures.unavailable_text() + ". Hãy sửa sổ tính rồi gửi lại.")
    summary = result.to_json()
    settings = result.settings
    per = result.period
    cfg = smtp_config(settings, env)
    if override:
        cfg.to = override
    refusal = None if dry_run else unit_code_refusal(settings)
    if refusal:                     # before anything is written: every Sở would reject the exchange file
        raise SendError(refusal)
    if not force and not dry_run and book is not None:
        when = _already_sent(book, per)
        if when is not None:
            raise SendError(f"Báo cáo {per.label} đã được gửi lúc {when}; dùng --force để gửi lại.")
    step(0.4, "Đang tạo tệp Excel và PDF gửi Sở…")
    xlsx, pdf = build_outgoing(result, outdir, make_pdf=make_pdf)
    msg = compose_message(summary, settings, per, [xlsx, pdf], sender=cfg.sender, to=cfg.to)
    outcome = SendOutcome(False, per.key, per.label, list(cfg.to), xlsx, pdf, subject=str(msg["Subject"]),
                          warnings=missing_address_warnings(cfg))
    if dry_run or not cfg.host:
        msg["X-Unsent"] = "1"
        eml = outdir / (xlsx.stem + ".eml")
        replace_file(eml, bytes(msg))       # never through a link planted under the draft's name
        outcome.eml = eml
        why = "chạy thử (--dry-run)" if dry_run else "chưa cấu hình máy chủ thư (smtp_may_chu)"
        outcome.message = f"Đã tạo thư nháp {eml.name} ({why}); chưa gửi." + _missing_code_note(settings)
        step(1.0, outcome.message)
        return outcome
    if not cfg.to:
        raise SendError("Chưa có địa chỉ người nhận: điền 'email_nguoi_nhan' trong trang Cấu hình hoặc dùng --to.")
    if not cfg.sender:
        raise SendError("Chưa có địa chỉ người gửi: điền 'email_nguoi_gui' trong trang Cấu hình.")
    step(0.7, f"Đang gửi thư tới {', '.join(cfg.to)}…")
    _smtp_send(msg, cfg, env)
    outcome.sent = True
    outcome.message = f"Đã gửi báo cáo {per.label} tới {', '.join(cfg.to)}." + _missing_code_note(settings)
    if record and book is not None:
        try:
            _record_send(book, [send_log_row(outcome, resend=force)])
        except (CchcError, OSError) as exc:  # the mail is gone: say so, do not pretend the send failed
            why = exc if isinstance(exc, CchcError) else describe_os_error(exc, "ghi")
            outcome.message += f" Chú ý: chưa ghi được vào '{schema.SHEET_LOG}' ({why})"
    step(1.0, outcome.message)
    return outcome


def _record_send(book, rows: list[dict]) -> None:
    """Append ``rows`` to the open ``book``'s ``Nhật ký`` and save it, under the workbook's writer lock (held
    already in ``consolidate --send``); saving is refused when the file changed since it was read."""
    with book.write_lock():
        book.append_log(rows)
        book.save()
