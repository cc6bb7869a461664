"""The Sở's IMAP account, its password and the limits of one collection run.

The Sở has no workbook of settings: the account comes from the command line, else from the environment
(``CCHC_IMAP_HOST``, ``CCHC_IMAP_PORT``, ``CCHC_IMAP_SECURITY``, ``CCHC_IMAP_USER``, ``CCHC_IMAP_FOLDER``,
``CCHC_IMAP_CAFILE`` — a CA bundle to trust, for a self-signed server —, ``CCHC_IMAP_TIMEOUT`` in seconds).
The connection is **TLS from the first byte** (port 993) unless STARTTLS (143) or no encryption is asked for
by name. The password is read only from ``CCHC_IMAP_PASSWORD`` or the operating system's keyring (service
``cchc-xl``, user = the IMAP account: ``keyring set cchc-xl so@haiphong.edu.vn``), as ``send`` reads the SMTP
one — never from the command line or a file.

A message is marked as collected, once its file is safely on disk, either with an IMAP keyword
(:attr:`MarkMode.FLAG`, the default: :data:`KEYWORD_COLLECTED`; the message stays where it is, read or unread
as it was) or by moving it to a folder (:attr:`MarkMode.MOVE`, ``--move-to``). A message that is skipped (no
report attached, too large, malformed…) stays in the folder with the keyword :data:`KEYWORD_SKIPPED`, so that
a person can read it and the next run does not examine it again.

>>> s = imap_settings(host="mail.haiphong.edu.vn", user="so@haiphong.edu.vn", env={})
>>> (s.port, s.security.value, s.folder, s.mark.value)
(993, 'SSL', 'INBOX', 'flag')
>>> imap_settings(host="h", user="u", security="starttls", env={"CCHC_IMAP_PORT": "1143"}).port
1143
>>> imap_settings(env={"CCHC_IMAP_HOST": "h", "CCHC_IMAP_USER": "u", "CCHC_IMAP_SECURITY": "Không"}).port
143
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..errors import CchcError
from ..io.inbox import MAX_FILE_BYTES

__all__ = ["ImapSettings", "Security", "MarkMode", "Limits", "imap_settings", "imap_password", "KEYRING_SERVICE",
           "KEYWORD_COLLECTED", "KEYWORD_SKIPPED", "DEFAULT_MOVE_TO"]

KEYRING_SERVICE = "cchc-xl"            # the same service as send's SMTP password
KEYWORD_COLLECTED = "CchcDaNhan"       # IMAP keywords are ASCII atoms
KEYWORD_SKIPPED = "CchcBoQua"
DEFAULT_MOVE_TO = "Đã nhận báo cáo"


class Security(StrEnum):
    """How the connection is protected; the values are what a user writes (``--security``)."""

    SSL = "SSL"            # TLS from the first byte (IMAPS, port 993)
    STARTTLS = "STARTTLS"  # plain, then upgraded before logging in (port 143)
    NONE = "Không"         # no encryption: only when asked by name


class MarkMode(StrEnum):
    """How a collected message is marked on the server."""

    FLAG = "flag"          # the keyword KEYWORD_COLLECTED; the message stays in its folder
    MOVE = "move"          # moved to the folder ImapSettings.move_to (created when missing)


_SECURITY_WORDS = {"ssl": Security.SSL, "tls": Security.SSL, "imaps": Security.SSL, "starttls": Security.STARTTLS,
                   "không": Security.NONE, "khong": Security.NONE, "none": Security.NONE, "plain": Security.NONE}
_DEFAULT_PORT = {Security.SSL: 993, Security.STARTTLS: 143, Security.NONE: 143}


@dataclass(frozen=True)
class Limits:
    """What one run accepts: a larger message is skipped without being downloaded; messages beyond
    ``max_messages`` wait for the next run; an attachment larger than the roll-up reads is skipped."""

    max_message_bytes: int = 30 * 1024 * 1024
    max_messages: int = 500
    max_attachment_bytes: int = MAX_FILE_BYTES     # the roll-up's own cap (io/inbox.py)
    max_parts: int = 100                           # MIME parts looked at in one message
    max_depth: int = 10                            # nesting of multipart containers


@dataclass(frozen=True)
class ImapSettings:
    host: str
    user: str
    port: int = 993
    security: Security = Security.SSL
    folder: str = "INBOX"
    mark: MarkMode = MarkMode.FLAG
    move_to: str = DEFAULT_MOVE_TO
    cafile: str | None = None
    timeout: float = 60.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def _pick(value, env: Mapping[str, str], name: str, default=None):
    if value not in (None, ""):
        return value
    got = env.get(name)
    return default if got in (None, "") else got


def imap_settings(*, host: str | None = None, port: int | str | None = None, security: str | None = None,
                  user: str | None = None, folder: str | None = None, mark: str | None = None,
                  move_to: str | None = None, env: Mapping[str, str] = os.environ) -> ImapSettings:
    """The account from the arguments given, else from ``CCHC_IMAP_*``; :class:`CchcError` (one Vietnamese
    sentence) when the server or the account is missing, or a value is not understood."""
    host = str(_pick(host, env, "CCHC_IMAP_HOST", "")).strip()
    user = str(_pick(user, env, "CCHC_IMAP_USER", "")).strip()
    if not host:
        raise CchcError("Chưa có máy chủ thư IMAP của Sở: ghi --host hoặc đặt biến môi trường CCHC_IMAP_HOST.")
    if not user:
        raise CchcError("Chưa có tài khoản hộp thư của Sở: ghi --user hoặc đặt biến môi trường CCHC_IMAP_USER.")
    word = str(_pick(security, env, "CCHC_IMAP_SECURITY", "SSL")).strip()
    sec = _SECURITY_WORDS.get(word.lower())
    if sec is None:
        raise CchcError(f"Chế độ bảo mật IMAP '{word}' không hợp lệ; chỉ nhận SSL, STARTTLS hoặc Không.")
    raw_port = _pick(port, env, "CCHC_IMAP_PORT", _DEFAULT_PORT[sec])
    try:
        port_number = int(raw_port)
        if not 0 < port_number < 65536:
            raise ValueError
    except (TypeError, ValueError):
        raise CchcError(f"Cổng IMAP '{raw_port}' không hợp lệ (một số từ 1 đến 65535).") from None
    mode_word = str(mark or MarkMode.FLAG.value).strip().lower()
    try:
        mode = MarkMode(mode_word)
    except ValueError:
        raise CchcError(f"Cách đánh dấu thư đã nhận '{mark}' không hợp lệ; chỉ nhận flag hoặc move.") from None
    folder = str(_pick(folder, env, "CCHC_IMAP_FOLDER", "INBOX")).strip() or "INBOX"
    move_to = str(move_to or DEFAULT_MOVE_TO).strip()
    for label, name in (("--folder", folder), ("--move-to", move_to)):
        if any(ord(ch) < 32 for ch in name):
            raise CchcError(f"Tên thư mục thư ở {label} có ký tự điều khiển (xuống dòng…); hãy ghi lại.")
    if mode is MarkMode.MOVE and move_to == folder:
        raise CchcError("Thư mục chuyển thư đã nhận (--move-to) phải khác thư mục đọc thư (--folder).")
    try:
        timeout = float(env.get("CCHC_IMAP_TIMEOUT") or 60)
    except ValueError:
        timeout = 60.0
    return ImapSettings(host=host, user=user, port=port_number, security=sec, folder=folder, mark=mode,
                        move_to=move_to, cafile=env.get("CCHC_IMAP_CAFILE") or None, timeout=timeout)


def imap_password(settings: ImapSettings, env: Mapping[str, str] = os.environ) -> str:
    """``CCHC_IMAP_PASSWORD``, else the keyring's entry (service :data:`KEYRING_SERVICE`, the account);
    :class:`CchcError` naming both places when neither has it."""
    password = env.get("CCHC_IMAP_PASSWORD")
    if password:
        return password
    try:
        import keyring

        password = keyring.get_password(KEYRING_SERVICE, settings.user)
    except Exception:  # noqa: BLE001 - no backend, a locked keyring… → no password
        password = None
    if not password:
        raise CchcError("Chưa có mật khẩu hộp thư IMAP: đặt biến môi trường CCHC_IMAP_PASSWORD hoặc lưu mật khẩu "
                        f"vào kho khóa của hệ điều hành (dịch vụ '{KEYRING_SERVICE}', tài khoản '{settings.user}').")
    return password
