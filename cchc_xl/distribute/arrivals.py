"""When each file reached the inbox: the order of conflicting copies is the school's, not the sender's.

Two copies of one group that change the same task are settled by **arrival order in the inbox**: the copy
that arrived later wins. A copy's own save time (``docProps/core.xml``) or its modification time is never
used for that — both come from the sender's PC (a wrong clock would win), and copying a file keeps its
modification time.

The arrival time of a file is the time the inbox's own file system recorded when the file appeared there
(``st_birthtime`` where the system has it, else ``st_ctime``: the creation in that folder on Windows, the
last change of the file's entry on Linux — both on the clock of the machine that holds the inbox), taken
the **first time a run sees the file** and recorded in a small state file beside the inbox
(:data:`STATE_NAME`, a hidden JSON file). Later runs read it from there, so the order does not move when
the file is touched again. A file whose size or modification time changed since (a group overwrote its copy
with a new version under the same name) is a new arrival. Entries are kept only for the files still in the
inbox; the state file is removed when none is left.

A missing or unreadable state file is not an error: the times are taken again from the file system.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from pathlib import Path

__all__ = ["Arrivals", "STATE_NAME"]

STATE_NAME = ".cchc-thu-tu-den.json"
_VERSION = 1


class Arrivals:
    """The arrival times of the files of one inbox (see the module docstring)."""

    def __init__(self, inbox: Path, records: dict[str, dict] | None = None):
        self.inbox = Path(inbox)
        self.records: dict[str, dict] = records or {}

    @classmethod
    def load(cls, inbox: str | os.PathLike) -> "Arrivals":
        """The arrivals recorded beside ``inbox`` (none when the state file is missing or unreadable)."""
        inbox = Path(inbox)
        try:
            raw = json.loads((inbox / STATE_NAME).read_text(encoding="utf-8"))
            records = raw["files"] if raw.get("version") == _VERSION and isinstance(raw.get("files"), dict) else {}
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            records = {}
        return cls(inbox, {k: v for k, v in records.items() if isinstance(v, dict)})

    def of(self, path: Path, st: os.stat_result | None = None) -> dt.datetime:
        """When ``path`` arrived: as recorded for this version of the file, else now recorded from the file
        system (never later than the present moment)."""
        st = st or path.stat()
        rec = self.records.get(path.name)
        if rec and rec.get("size") == st.st_size and rec.get("mtime_ns") == st.st_mtime_ns:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                return dt.datetime.fromisoformat(rec["arrived"])
        stamp = min(getattr(st, "st_birthtime", None) or st.st_ctime, time.time())
        arrived = dt.datetime.fromtimestamp(stamp)
        self.records[path.name] = {"arrived": arrived.isoformat(), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        return arrived

    def save(self, still_there: set[str]) -> None:
        """Keep the records of the files named in ``still_there`` (those left in the inbox) and write the state
        file atomically; remove it when nothing is left. Raises ``OSError`` when the inbox cannot be written."""
        self.records = {k: v for k, v in self.records.items() if k in still_there}
        path = self.inbox / STATE_NAME
        if not self.records:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return
        from ..io.nofollow import replace_file

        text = json.dumps({"version": _VERSION, "files": self.records}, ensure_ascii=False, indent=1)
        replace_file(path, text.encode("utf-8"))    # never through a link planted under the state file's name
