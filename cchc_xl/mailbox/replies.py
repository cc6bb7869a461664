"""``cchc-xl reply``: after a roll-up, one short Vietnamese receipt to each school, for each file it sent.

For every report :mod:`.collect` saved and nobody answered yet, the roll-up's verdict (:mod:`.verdicts`):

* **accepted** — with the figures the Sở recorded for it (the exchange file's labels, :mod:`cchc_xl.exchange.spec`;
  counts as ``1.234``, rates as ``95,53%``), the as-of date and when the message reached the Sở's server;
* **rejected** — with the reason the roll-up wrote and what to do (correct, send again);
* **superseded** — a later report of the same unit and period is the one the Sở uses.

A file the roll-up has not judged yet waits for the next run. The receipt goes to the message's ``Reply-To``,
else ``From``, as :mod:`.letter` checked it; a file without a usable address is recorded as answered-impossible
(said once in the summary). Each receipt is recorded in the ledger once the SMTP server accepted it — **never
twice for the same file**, even when two messages carried it. ``--dry-run`` (or no SMTP server configured)
writes ``.eml`` drafts and records nothing. SMTP is ``send``'s own (:mod:`cchc_xl.distribute.send`: the
``CCHC_SMTP_*`` settings, TLS, the password from ``CCHC_SMTP_PASSWORD`` or the keyring, address checks); the
receipt says ``Auto-Submitted: auto-replied`` (RFC 3834) so that auto-responders do not answer it, and threads
under the school's message (``In-Reply-To``). After three failed sends in a row the run stops: the rest wait.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from .. import schema
from ..core import vnformat
from ..errors import CchcError, SendError
from ..exchange import spec
from ..io.nofollow import replace_file
from .ledger import CollectedFile, Ledger, inbox_lock
from .verdicts import Verdict, VerdictKind, read_verdicts

__all__ = ["send_replies", "reply_to_schools", "compose_reply", "figure_lines", "ReplyPlan", "ReplySummary",
           "DRAFTS_FOLDER"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
DRAFTS_FOLDER = "thu_tra_loi"          # INBOX/thu_tra_loi/: drafts (a subfolder: the roll-up lists only the top)
_FAILURES_IN_A_ROW = 3
_COUNT_GROUPS = ("tasks.", "dossiers.", "procedures.")
_TASK_KEYS = ("tasks.total", *(f"tasks.{flag}" for flag in schema.TASK_FLAG), "tasks.ct2_done", "tasks.ct2_due",
              "rates.ct2")
_DOSSIER_KEYS = ("dossiers.total", "dossiers.resolved", "dossiers.early", "dossiers.on_time", "dossiers.late",
                 "dossiers.pending", "dossiers.pending_overdue", "dossiers.waiting", "rates.early_or_on_time",
                 "rates.digitised")


@dataclass(frozen=True)
class ReplyPlan:
    """One reply run: which inbox's ledger, which roll-up database, drafts or real mail, how the Sở signs."""

    inbox: Path
    db: Path
    dry_run: bool = False
    drafts: Path | None = None           # default INBOX/thu_tra_loi
    signature: str = "Sở Giáo dục và Đào tạo"
    lock_wait: float | None = None


@dataclass
class ReplySummary:
    sent: list[tuple[str, str, VerdictKind]] = field(default_factory=list)       # (file, address, verdict)
    drafts: list[Path] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)                             # files not judged yet
    unanswerable: list[tuple[str, str]] = field(default_factory=list)            # (file, why)
    failed: list[tuple[str, str]] = field(default_factory=list)                  # (file, why)
    left: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_ERROR
        return EXIT_PROBLEMS if self.unanswerable else EXIT_OK

    def text(self) -> str:
        lines = [f"Thư trả lời: đã gửi {len(self.sent)}; thư nháp {len(self.drafts)}; chưa có kết quả tổng hợp "
                 f"{len(self.waiting)}; không có địa chỉ trả lời {len(self.unanswerable)}; gửi lỗi "
                 f"{len(self.failed)}; để lại lần sau {self.left}"]
        lines += [f"ĐÃ TRẢ LỜI: {name} → {address} ({kind.value})" for name, address, kind in self.sent]
        lines += [f"THƯ NHÁP: {p}" for p in self.drafts]
        lines += [f"KHÔNG TRẢ LỜI ĐƯỢC: {name} — {why}" for name, why in self.unanswerable]
        lines += [f"GỬI LỖI: {name} — {why}" for name, why in self.failed]
        lines += [f"Chú ý: {w}" for w in self.warnings]
        return "\n".join(lines)


def _when(value: dt.datetime | None) -> str:
    """``dd/mm/yyyy hh:mm``; an aware time in this computer's time zone (the IMAP server may answer in UTC)."""
    if value is None:
        return "không rõ"
    if value.tzinfo is not None:
        value = value.astimezone()
    return f"{vnformat.date_vn(value.date())} {value:%H:%M}"


def _value(key: str, value) -> str:
    if value is None or value == "":
        return "chưa có dữ liệu"
    if isinstance(value, dt.date):
        return vnformat.date_vn(value)
    if isinstance(value, str):
        return value
    if key.startswith("rates.") or key.endswith(".actual"):
        return vnformat.percent(float(value))
    if key.startswith(_COUNT_GROUPS):
        return vnformat.integer(int(round(float(value))))
    return str(value)


def _label(key: str) -> str:
    """The exchange format's label; a task flag reads as one phrase (``Nhiệm vụ quá hạn``)."""
    group, _, flag = key.partition(".")
    if group == "tasks" and flag in schema.TASK_FLAG:
        return f"Nhiệm vụ {schema.TASK_FLAG[flag].lower()}"
    return spec.label_for(key)


def figure_lines(values: Mapping[str, object]) -> list[str]:
    """The recorded figures as ``- label: value`` lines: tasks, CT2, dossiers, rates, the unit's satisfaction
    measure, then each indicator with its assessment (labels from the exchange format).

    >>> for line in figure_lines({"tasks.total": 31.0, "tasks.overdue": 3.0, "rates.early_or_on_time": 0.9553,
    ...                           "indicator.CT2.actual": 0.5, "indicator.CT2.status": "Chưa đạt"}):
    ...     print(line)
    - Tổng số nhiệm vụ: 31
    - Nhiệm vụ quá hạn: 3
    - Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn: 95,53%
    - Chỉ tiêu CT2: 50,00% (Chưa đạt)
    """
    survey = str(values.get("settings.satisfaction_measure") or "") == "Khảo sát"
    keys = [*_TASK_KEYS, *_DOSSIER_KEYS, "rates.satisfaction_survey" if survey else "rates.satisfaction_qd766"]
    lines = [f"- {_label(k)}: {_value(k, values[k])}" for k in keys if k in values]
    codes = sorted({k.split(".")[1] for k in values if k.startswith("indicator.") and k.endswith(".status")})
    for code in codes:
        actual = values.get(spec.indicator_key(code, "actual"))
        lines.append(f"- Chỉ tiêu {code}: {_value(spec.indicator_key(code, 'actual'), actual)} "
                     f"({values.get(spec.indicator_key(code, 'status')) or 'chưa đánh giá'})")
    return lines


def _subject(verdict: Verdict) -> str:
    period = str(verdict.values.get("period.label") or "").strip()
    unit = verdict.unit_name.strip()
    if verdict.kind is VerdictKind.ACCEPTED:
        return f"Sở đã tiếp nhận báo cáo CCHC {period} – {unit}"
    if verdict.kind is VerdictKind.SUPERSEDED:
        return f"Báo cáo CCHC {period} – {unit}: Sở dùng bản lập sau"
    return f"Báo cáo CCHC chưa được tiếp nhận: tệp {verdict.file_name} bị từ chối"


def _body(item: CollectedFile, verdict: Verdict, signature: str) -> str:
    period = str(verdict.values.get("period.label") or "").strip()
    received = f"thư đến máy chủ thư của Sở lúc {_when(item.arrived_at)}"
    if verdict.kind is VerdictKind.REJECTED:
        lines = ["Kính gửi: đơn vị gửi báo cáo.", "",
                 f"{signature} đã nhận thư của đơn vị (tệp {item.file_name}, {received}) nhưng CHƯA đưa vào "
                 "tổng hợp vì tệp bị từ chối.",
                 f"Lý do: {verdict.reason.rstrip('.')}.", "",
                 "Việc cần làm: sửa theo lý do trên, bấm 'Cập nhật tất cả' rồi nút 'Gửi báo cáo lên Sở' trên thẻ CCHC "
                 "của sổ tính (hoặc chạy lệnh cchc-xl send) để gửi lại tệp báo cáo (.xlsx) do chương trình tạo, "
                 "không sửa tay, không nén, không đặt mật khẩu."]
    elif verdict.kind is VerdictKind.SUPERSEDED:
        lines = [f"Kính gửi: {verdict.unit_name}.", "",
                 f"{signature} đã nhận tệp {item.file_name} ({received}; tệp lập lúc {_when(verdict.made_at)}) của "
                 f"đơn vị cho kỳ {period}. Sở đã có bản báo cáo lập sau của đơn vị cho cùng kỳ (tệp "
                 f"{verdict.newer_file}, lập lúc {_when(verdict.newer_made_at)}) nên dùng bản đó; tệp này được lưu "
                 "lại nhưng không đưa vào tổng hợp.", "",
                 "Đơn vị không cần làm gì thêm."]
    else:
        as_of = vnformat.date_vn(verdict.as_of) if verdict.as_of else "không rõ"
        lines = [f"Kính gửi: {verdict.unit_name}.", "",
                 f"{signature} đã nhận và đưa vào tổng hợp báo cáo kết quả thực hiện công tác cải cách hành chính "
                 f"{period} của đơn vị:",
                 f"- Tệp: {item.file_name}",
                 f"- Mã định danh: {verdict.unit_code}",
                 f"- Thời điểm nhận: {_when(item.arrived_at)} (thư đến máy chủ thư của Sở)",
                 f"- Số liệu tính đến ngày: {as_of}; tệp lập lúc {_when(verdict.made_at)}", "",
                 "Số liệu Sở đã ghi nhận:", *figure_lines(verdict.values), "",
                 "Nếu số liệu trên khác với báo cáo của đơn vị, hãy kiểm tra sổ tính, lập lại báo cáo và gửi lại; bản "
                 "lập sau sẽ thay bản này."]
    return "\n".join(lines + ["", "Đây là thư trả lời tự động của chương trình cchc-xl; mỗi tệp báo cáo được trả "
                              "lời một lần.", "", "Trân trọng./.", signature, ""])


def compose_reply(item: CollectedFile, verdict: Verdict, *, sender: str, to: str,
                  signature: str = "Sở Giáo dục và Đào tạo") -> EmailMessage:
    """The receipt for ``item`` (a collected file) with ``verdict``, from ``sender`` to ``to``."""
    from ..distribute.send import MAIL_POLICY

    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = _subject(verdict)
    if sender:
        msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1] if "@" in sender else None)
    if item.message_id:
        msg["In-Reply-To"] = item.message_id
        msg["References"] = item.message_id
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(_body(item, verdict, signature), charset="utf-8", cte="quoted-printable")
    return msg


def _draft_name(item: CollectedFile) -> str:
    stem = item.file_name.rsplit(".", 1)[0]
    return f"TraLoi_{stem}.eml"


def send_replies(plan: ReplyPlan, ledger: Ledger, *, env: Mapping[str, str] = os.environ,
                 now: dt.datetime | None = None, progress=None) -> ReplySummary:
    """Answer every collected file that has a verdict and no reply yet; the caller holds the inbox's lock.
    Raises :class:`CchcError` before sending anything when the roll-up's database or the SMTP settings are
    wrong."""
    from ..io.inbox import fit_name
    from ..distribute.send import smtp_config

    step = progress or (lambda f, m: None)
    summary = ReplySummary()
    cfg = smtp_config({}, env)            # CCHC_SMTP_*: the Sở's server and its address (CCHC_SMTP_FROM)
    draft = plan.dry_run or not cfg.host
    if not draft and not cfg.sender:
        raise CchcError("Chưa có địa chỉ người gửi thư trả lời: đặt biến môi trường CCHC_SMTP_FROM là địa chỉ thư "
                        "của Sở.")
    if not cfg.host and not plan.dry_run:
        summary.warnings.append("chưa cấu hình máy chủ gửi thư (CCHC_SMTP_HOST): chỉ tạo thư nháp, chưa gửi")
    todo = ledger.unanswered()
    verdicts = read_verdicts(plan.db, [item.sha256 for item in todo])
    drafts = plan.drafts or plan.inbox / DRAFTS_FOLDER
    now = now or dt.datetime.now().astimezone()
    failures = 0
    for i, item in enumerate(todo):
        verdict = verdicts.get(item.sha256)
        if verdict is None:
            summary.waiting.append(item.file_name)
            continue
        if not item.sender:
            summary.unanswerable.append((item.file_name, "thư của đơn vị không có địa chỉ trả lời hợp lệ"))
            if not draft:
                ledger.record_reply(item.sha256, verdict.kind.name.lower(), "", "", now)
            continue
        step(i / max(len(todo), 1), f"Đang trả lời {item.sender}")
        msg = compose_reply(item, verdict, sender=cfg.sender, to=item.sender, signature=plan.signature)
        if draft:
            msg["X-Unsent"] = "1"
            drafts.mkdir(parents=True, exist_ok=True)
            path = drafts / fit_name(_draft_name(item), drafts)
            replace_file(path, bytes(msg))   # never through a link planted in the drafts folder
            summary.drafts.append(path)
            continue
        if failures >= _FAILURES_IN_A_ROW:
            summary.left += 1
            continue
        try:
            _deliver(msg, dataclasses.replace(cfg, to=[item.sender]), env)
        except SendError as exc:
            failures += 1
            summary.failed.append((item.file_name, str(exc)))
            continue
        failures = 0
        ledger.record_reply(item.sha256, verdict.kind.name.lower(), item.sender, str(msg["Message-ID"]), now)
        summary.sent.append((item.file_name, item.sender, verdict.kind))
    step(1.0, "Xong.")
    return summary


def _deliver(msg: EmailMessage, cfg, env: Mapping[str, str]) -> None:
    """``send``'s SMTP delivery (connection, TLS, login, refusals as one Vietnamese SendError)."""
    from ..distribute.send import _smtp_send

    _smtp_send(msg, cfg, env)


def reply_to_schools(plan: ReplyPlan, *, env: Mapping[str, str] = os.environ, progress=None) -> ReplySummary:
    """The ``reply`` command's flow: the inbox checked and locked, the ledger opened, :func:`send_replies`."""
    inbox = Path(plan.inbox)
    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'.")
    with inbox_lock(inbox, plan.lock_wait), Ledger(inbox) as ledger:
        return send_replies(plan, ledger, env=env, progress=progress)
