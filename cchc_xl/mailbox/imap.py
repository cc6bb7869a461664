"""The IMAP adapter: the Sở's mailbox through IMAPClient, every failure told in one Vietnamese sentence.

:meth:`Mailbox.open` connects (TLS from the first byte, or STARTTLS before logging in, or — only when asked — no
encryption; the certificate is checked against the system's authorities plus ``CCHC_IMAP_CAFILE``), logs in
(``LOGIN``; a Vietnamese user name or password goes through ``AUTHENTICATE PLAIN`` in UTF-8) and selects the
folder. Then :meth:`Mailbox.pending` lists the messages not yet collected nor skipped — UIDs, sizes and the
server's INTERNALDATE, without downloading anything —, :meth:`Mailbox.fetch` downloads one message with
``BODY.PEEK[]`` (read/unread stays as it was) and :meth:`Mailbox.mark_collected` / :meth:`Mailbox.mark_skipped`
mark it (:mod:`.settings`: a keyword, or a move to a folder). What IMAPClient does, this module does not
re-implement: the protocol, literal strings, folder names in modified UTF-7, date parsing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import CchcError
from .settings import KEYWORD_COLLECTED, KEYWORD_SKIPPED, ImapSettings, MarkMode, Security

__all__ = ["Mailbox", "Pending"]

_CHUNK = 500


@dataclass(frozen=True)
class Pending:
    """A message waiting in the folder: its UID, size in bytes and the server's arrival time (aware)."""

    uid: int
    size: int
    internal_date: dt.datetime


@contextlib.contextmanager
def _told(settings: ImapSettings, doing: str) -> Iterator[None]:
    """Turn what the network, TLS or the server raise while ``doing`` into one :class:`CchcError`."""
    from imapclient.exceptions import IMAPClientError, LoginError

    where = f"máy chủ thư IMAP {settings.where}"
    try:
        yield
    except CchcError:
        raise
    except LoginError:
        raise CchcError(f"{where[0].upper()}{where[1:]} từ chối đăng nhập của tài khoản '{settings.user}': kiểm tra "
                        "tên đăng nhập và mật khẩu (CCHC_IMAP_PASSWORD hoặc kho khóa).") from None
    except ssl.SSLCertVerificationError as exc:
        raise CchcError(f"Chứng chỉ TLS của {where} không được tin cậy ({exc.verify_message or exc}); nếu máy chủ "
                        "dùng chứng chỉ tự ký, đặt CCHC_IMAP_CAFILE là tệp chứng chỉ đó.") from None
    except ssl.SSLError as exc:
        raise CchcError(f"Không thiết lập được kết nối mã hóa (TLS) với {where}: {exc.reason or exc}; kiểm tra "
                        "--security và cổng (SSL: 993, STARTTLS: 143).") from None
    except TimeoutError:
        raise CchcError(f"{where[0].upper()}{where[1:]} không trả lời khi {doing} (quá "
                        f"{settings.timeout:.0f} giây); hãy chạy lại sau.") from None
    except socket.gaierror:
        raise CchcError(f"Không tìm thấy máy chủ thư '{settings.host}'; kiểm tra --host.") from None
    except IMAPClientError as exc:
        text = exc.args[0] if exc.args else exc
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        raise CchcError(f"{where[0].upper()}{where[1:]} báo lỗi khi {doing}: {str(text)[:300]}.") from None
    except OSError as exc:
        raise CchcError(f"Không kết nối được {where} ({exc.strerror or exc}); kiểm tra --host, --port và mạng.") \
            from None


class Mailbox:
    """One logged-in connection with :attr:`ImapSettings.folder` selected (see the module docstring)."""

    def __init__(self, client, settings: ImapSettings, uidvalidity: int):
        self.client = client
        self.settings = settings
        self.uidvalidity = uidvalidity
        self._move_folder_ready = False

    @classmethod
    @contextlib.contextmanager
    def open(cls, settings: ImapSettings, password: str) -> Iterator[Mailbox]:
        from imapclient import IMAPClient

        context = ssl.create_default_context(cafile=settings.cafile)
        with _told(settings, "kết nối"):
            client = IMAPClient(settings.host, port=settings.port, ssl=settings.security is Security.SSL,
                                ssl_context=context, timeout=settings.timeout)
        try:
            client.normalise_times = False          # keep INTERNALDATE's own offset
            with _told(settings, "bắt đầu mã hóa STARTTLS"):
                if settings.security is Security.STARTTLS:
                    if not client.has_capability("STARTTLS"):
                        raise CchcError(f"Máy chủ thư IMAP {settings.where} không hỗ trợ STARTTLS; kiểm tra "
                                        "--security và cổng.")
                    client.starttls(context)
            with _told(settings, "đăng nhập"):
                try:
                    client.login(settings.user, password)
                except UnicodeEncodeError:          # LOGIN is ASCII only: SASL PLAIN carries UTF-8 (RFC 4616)
                    client.plain_login(settings.user, password)
            with _told(settings, f"mở thư mục '{settings.folder}'"):
                if not client.folder_exists(settings.folder):
                    raise CchcError(f"Hộp thư '{settings.user}' không có thư mục '{settings.folder}'; kiểm tra "
                                    "--folder.")
                selected = client.select_folder(settings.folder)
                mailbox = cls(client, settings, int(selected.get(b"UIDVALIDITY", 0)))
                if settings.mark is MarkMode.FLAG:
                    mailbox._check_keywords(selected)
            yield mailbox
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def _check_keywords(self, selected: dict) -> None:
        allowed = [bytes(f) for f in selected.get(b"PERMANENTFLAGS", ())]
        if b"\\*" not in allowed and KEYWORD_COLLECTED.encode() not in allowed:
            raise CchcError(f"Máy chủ thư không cho gắn nhãn '{KEYWORD_COLLECTED}' vào thư của thư mục "
                            f"'{self.settings.folder}'; hãy dùng --mark move để chuyển thư đã nhận sang thư mục khác.")

    def pending(self) -> list[Pending]:
        """Messages neither collected nor skipped yet, oldest UID first (metadata only)."""
        with _told(self.settings, "tìm thư mới"):
            uids = sorted(self.client.search(["NOT", "KEYWORD", KEYWORD_COLLECTED, "NOT", "KEYWORD",
                                              KEYWORD_SKIPPED]))
            out = []
            for i in range(0, len(uids), _CHUNK):
                info = self.client.fetch(uids[i:i + _CHUNK], ["RFC822.SIZE", "INTERNALDATE"])
                for uid in uids[i:i + _CHUNK]:
                    item = info.get(uid)
                    if item is None:                   # expunged meanwhile by another client
                        continue
                    when = item.get(b"INTERNALDATE")
                    if when is None:
                        continue
                    if when.tzinfo is None:
                        when = when.astimezone()
                    out.append(Pending(uid, int(item.get(b"RFC822.SIZE", 0)), when))
        return out

    def fetch(self, uid: int) -> bytes | None:
        """The whole message, without setting ``\\Seen``; None when it is gone."""
        with _told(self.settings, "tải thư"):
            item = self.client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        if not item:
            return None
        data = item.get(b"BODY[]")
        return bytes(data) if data is not None else None

    def mark_collected(self, uid: int) -> None:
        with _told(self.settings, "đánh dấu thư đã nhận"):
            self.client.add_flags([uid], [KEYWORD_COLLECTED])
            if self.settings.mark is MarkMode.MOVE:
                self._move(uid)

    def mark_skipped(self, uid: int) -> None:
        with _told(self.settings, "đánh dấu thư bỏ qua"):
            self.client.add_flags([uid], [KEYWORD_SKIPPED])

    def _move(self, uid: int) -> None:
        target = self.settings.move_to
        if not self._move_folder_ready:
            if not self.client.folder_exists(target):
                self.client.create_folder(target)
            self._move_folder_ready = True
        if self.client.has_capability("MOVE"):
            self.client.move([uid], target)
        elif self.client.has_capability("UIDPLUS"):
            self.client.copy([uid], target)
            self.client.delete_messages([uid])
            self.client.uid_expunge([uid])
        else:                                       # the copy is made; the keyword keeps the original out of the way
            self.client.copy([uid], target)
