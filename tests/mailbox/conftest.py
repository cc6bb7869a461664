"""Fixtures of the mailbox tests: a real Dovecot (IMAP, TLS), the school side's own files, a real SMTP server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for helper in ("distribute", "rollup"):                    # smtp_server.py, rollfix.py
    path = str(HERE.parent / helper)
    if path not in sys.path:
        sys.path.append(path)

from dovecot import Dovecot  # noqa: E402
from smtp_server import make_cert  # noqa: E402

@pytest.fixture(scope="session")
def cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (cryptography), shared by Dovecot and the SMTP server."""
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def dovecot(cert):
    server = Dovecot(cert).start()
    yield server
    server.stop()


@pytest.fixture()
def account(dovecot):
    """A fresh mailbox of the Sở for one test."""
    return dovecot.next_account()
