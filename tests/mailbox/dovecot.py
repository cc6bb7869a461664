"""A real IMAP server for the tests: Debian's Dovecot on 127.0.0.1, with a throw-away configuration, users and
Maildirs under a temporary folder, TLS with a self-signed certificate made by the test (``/work/shared/mail``
shows the checked configuration this follows). Ports are chosen free at start. Missing Dovecot is a failure,
never a skip: ``.ci/run`` installs ``dovecot-imapd``."""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dovecot_binary() -> str:
    exe = shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
                                           if Path(p).exists()), None)
    if exe is None:
        pytest.fail("Dovecot is not installed: `apt-get install -y dovecot-imapd` (.ci/run installs it). The mailbox "
                    "tests need a real IMAP server.")
    return exe


@dataclass(frozen=True)
class Account:
    user: str
    password: str


class Dovecot:
    """``Dovecot(cert).start()`` … ``stop()``; ``add_user``, ``deliver`` (IMAP APPEND with a chosen INTERNALDATE),
    ``messages`` (UID → flags) and ``env`` (the ``CCHC_IMAP_*`` variables for an account)."""

    def __init__(self, cert: tuple[Path, Path]):
        self.cert, self.key = cert
        # Not under pytest's 0700 folders: the unprivileged mail user must reach its Maildir.
        self.dir = Path(tempfile.mkdtemp(prefix="cchc-dovecot-"))
        os.chmod(self.dir, 0o755)
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.proc: subprocess.Popen | None = None
        self.accounts = [Account(f"so{n}@haiphong.edu.vn", f"Mật-khẩu-Sở-{n}" if n % 2 else f"MatKhau-So-{n}")
                         for n in range(1, 81)]
        (self.dir / "users").write_text("".join(f"{a.user}:{{PLAIN}}{a.password}\n" for a in self.accounts),
                                        encoding="utf-8")

    def _identity(self) -> tuple[int, int, str, str]:
        if os.geteuid() == 0:                      # Dovecot refuses uid 0 for mail users
            return 65534, 65534, "nobody", "root"
        me = pwd.getpwuid(os.geteuid()).pw_name
        return os.geteuid(), os.getegid(), me, me

    def start(self) -> Dovecot:
        uid, gid, login_user, internal = self._identity()
        mail = self.dir / "mail"
        mail.mkdir()
        if os.geteuid() == 0:
            os.chown(mail, uid, gid)
        shutil.copyfile(self.cert, self.dir / "cert.pem")
        shutil.copyfile(self.key, self.dir / "key.pem")
        os.chmod(self.dir / "key.pem", 0o600)
        conf = f"""base_dir = {self.dir}/run
state_dir = {self.dir}/state
protocols = imap
listen = 127.0.0.1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
ssl = yes
ssl_cert = <{self.dir}/cert.pem
ssl_key = <{self.dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.dir}/mail/%u
}}
mail_location = maildir:~/Maildir
log_path = {self.dir}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal}
default_internal_group = {internal if os.geteuid() else 'root'}
first_valid_uid = {min(uid, 100)}
mail_privileged_group =
"""
        self.conf = self.dir / "dovecot.conf"
        self.conf.write_text(conf, encoding="utf-8")
        self.proc = subprocess.Popen([dovecot_binary(), "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                for port in (self.imap_port, self.imaps_port):
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        log = (self.dir / "dovecot.log").read_text(errors="replace") if (self.dir / "dovecot.log").exists() else ""
        self.stop()
        pytest.fail(f"Dovecot did not start: {log[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- accounts and messages ---------------------------------------------------------------------------------
    def next_account(self) -> Account:
        """A fresh account of the pool written before the server started (Dovecot re-reads its passwd-file at most
        once a second, so accounts are not added while it runs). Odd accounts have a Vietnamese password (sent
        with AUTHENTICATE PLAIN in UTF-8), even ones an ASCII password (LOGIN)."""
        return self.accounts.pop(0)

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self, account: Account):
        from imapclient import IMAPClient

        c = IMAPClient("127.0.0.1", port=self.imaps_port, ssl=True, ssl_context=self.context(), timeout=20)
        c.normalise_times = False
        c.plain_login(account.user, account.password)
        return c

    def deliver(self, account: Account, raw: bytes, when: dt.datetime, folder: str = "INBOX") -> None:
        """Put ``raw`` into the account's folder as the server would on delivery, with INTERNALDATE ``when``."""
        c = self.client(account)
        try:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            c.append(folder, raw, msg_time=when)
        finally:
            c.logout()

    def messages(self, account: Account, folder: str = "INBOX") -> dict[int, set[str]]:
        c = self.client(account)
        try:
            if not c.folder_exists(folder):
                return {}
            c.select_folder(folder, readonly=True)
            uids = c.search(["ALL"])
            flags = c.get_flags(uids) if uids else {}
            return {uid: {f.decode() if isinstance(f, bytes) else f for f in fl} for uid, fl in flags.items()}
        finally:
            c.logout()

    def env(self, account: Account, security: str = "SSL", **extra) -> dict[str, str]:
        port = self.imaps_port if security == "SSL" else self.imap_port
        e = {"CCHC_IMAP_HOST": "127.0.0.1", "CCHC_IMAP_PORT": str(port), "CCHC_IMAP_SECURITY": security,
             "CCHC_IMAP_USER": account.user, "CCHC_IMAP_PASSWORD": account.password,
             "CCHC_IMAP_CAFILE": str(self.cert), "CCHC_IMAP_TIMEOUT": "20"}
        e.update(extra)
        return e
