"""Messages for the mailbox tests: the schools' own (``send --dry-run`` drafts) and hostile ones crafted here."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from rollfix import ROOT, make_school

AS_OF = dt.date(2024, 6, 14)
VN = dt.timezone(dt.timedelta(hours=7))
SO = "phongcchc@haiphong.edu.vn"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def code(i: int) -> str:
    return f"000.26.{i:04d}.H26"


def name(i: int) -> str:
    return f"Trường THPT Thử Nghiệm số {i}"


def address(i: int) -> str:
    return f"vanthu.truong{i}@haiphong.edu.vn"


def cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``cchc-xl ARGS`` as a user runs it (a process of its own)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            **(env or {})}
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *args], capture_output=True, env=full,
                          timeout=timeout)


def school_mail(work: Path, i: int, *, seed: int = 0, as_of: dt.date = AS_OF, period: str = "h1",
                sender: str | None = None) -> tuple[dict, Path]:
    """School ``i``'s own workbook (varied data, its unit code set), refreshed by ``cchc-xl refresh --json`` and
    sent by ``cchc-xl send --dry-run``: returns its own ``refresh --json`` object and the ``.eml`` draft."""
    wb = make_school(work / f"truong{i}-{seed}" / "CCHC_2024.xlsm", i, code=code(i), name=name(i), seed=seed,
                     as_of=as_of)
    r = cli("refresh", str(wb), "--as-of", as_of.isoformat(), "--period", period, "--json")
    assert r.returncode == 0, r.stderr.decode()
    own = json.loads(r.stdout)
    r = cli("send", str(wb), "--dry-run", "-q", env={"CCHC_SMTP_FROM": sender or address(i), "CCHC_SMTP_TO": SO})
    assert r.returncode == 0, r.stderr.decode()
    eml = next(Path(line) for line in r.stdout.decode().splitlines() if line.endswith(".eml"))
    return own, eml


def school_mail_fast(work: Path, i: int, *, seed: int = 0, as_of: dt.date = AS_OF, period: str = "h1",
                     sender: str | None = None) -> tuple[dict, Path]:
    """The same through the library (one process): ``refresh_file`` and ``send_file(dry_run=True)``."""
    from cchc_xl.distribute.send import send_file
    from cchc_xl.engine import refresh_file

    wb = make_school(work / f"truong{i}-{seed}" / "CCHC_2024.xlsm", i, code=code(i), name=name(i), seed=seed,
                     as_of=as_of)
    own = json.loads(json.dumps(refresh_file(wb, as_of=as_of, period=period, backup=False).to_json()))
    out = send_file(wb, dry_run=True, env={"CCHC_SMTP_FROM": sender or address(i), "CCHC_SMTP_TO": SO})
    return own, out.eml


def letter(subject: str, attachments=(), *, sender: str = "truong.la@example.vn", reply_to: str | None = None,
           body: str = "Kính gửi Sở.") -> EmailMessage:
    """A message with ``attachments``: ``(name, bytes, mime type)`` or an ``EmailMessage`` (attached as a
    forwarded message)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SO
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.vn")
    if reply_to:
        msg["Reply-To"] = reply_to
    msg.set_content(body)
    for item in attachments:
        if isinstance(item, EmailMessage):
            msg.add_attachment(item)
            continue
        filename, data, ctype = item
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def repack(src: bytes, extra: dict[str, bytes]) -> bytes:
    """A copy of the package ``src`` with members added (a zip bomb, a VBA project)."""
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        for member, data in extra.items():
            zout.writestr(member, data)
    return out.getvalue()


def attachment_of(eml: Path, suffix: str = ".xlsx") -> tuple[str, bytes]:
    from email import message_from_bytes, policy

    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    part = next(p for p in msg.iter_attachments() if p.get_filename().endswith(suffix))
    return part.get_filename(), part.get_payload(decode=True)
