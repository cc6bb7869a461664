"""The Sở's mailbox: the schools' reports collected from IMAP into the roll-up's inbox, and each school answered.

Schools send their report upward by e-mail (``cchc-xl send``: the exchange file and its PDF). This package
closes the loop on the Sở's side, one module per concern:

============================  ==========================================================================
module                        what it is
============================  ==========================================================================
:mod:`.settings`              the IMAP account (host, port, TLS, folder, how a message is marked), the
                              password (``CCHC_IMAP_PASSWORD`` or the OS keyring), the limits of one run
:mod:`.letter`                one message read without trust: the report attachment, the PDFs beside it,
                              the sender's address, or the reason the message is skipped (no I/O)
:mod:`.ledger`                the inbox's sidecar database (``INBOX/.cchc-hop-thu.sqlite``): each file
                              collected with the server's arrival time (INTERNALDATE), each message
                              seen, each reply sent (the roll-up reads its arrival times through
                              :func:`cchc_xl.io.inbox.server_arrival`, never through this package)
:mod:`.imap`                  the IMAP adapter over IMAPClient: connect, list, fetch, mark
:mod:`.collect`               ``cchc-xl collect``: mailbox → inbox, each file fsync'd before its message
                              is marked
:mod:`.verdicts`              the ONE reader of the roll-up's database: each file's verdict
:mod:`.replies`               ``cchc-xl reply``: one Vietnamese receipt per file, by SMTP (``send``'s)
:mod:`.cli`                   the commands' thin run functions: ``collect``, ``reply`` and ``mailbox`` (collect →
                              roll-up → replies, for the scheduler; ``scripts/mailbox.py``)
============================  ==========================================================================

The names below are public; they are imported when first used (``from cchc_xl.mailbox import collect``), so
that a command loads only the modules it needs.
"""

from __future__ import annotations

import importlib

__all__ = ["Ledger", "LEDGER_NAME", "ImapSettings", "MarkMode", "Limits", "imap_settings",
           "imap_password", "Letter", "read_letter", "collect", "CollectSummary", "read_verdicts", "Verdict",
           "VerdictKind", "send_replies", "ReplySummary", "compose_reply"]

_HOME = {
    "Ledger": "ledger", "LEDGER_NAME": "ledger",
    "ImapSettings": "settings", "MarkMode": "settings", "Limits": "settings", "imap_settings": "settings",
    "imap_password": "settings",
    "Letter": "letter", "read_letter": "letter",
    "collect": "collect", "CollectSummary": "collect",
    "read_verdicts": "verdicts", "Verdict": "verdicts", "VerdictKind": "verdicts",
    "send_replies": "replies", "ReplySummary": "replies", "compose_reply": "replies",
}


def __getattr__(name: str):
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
