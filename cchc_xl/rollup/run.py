"""``cchc-xl rollup INBOX --out FILE.xlsx``: the Sở rolls up every school's exchange file.

Flow of :func:`rollup` (never opens a file in Excel, never runs a macro); memory does not grow with the
number of files — each file is read, judged and stored before the next one, and the aggregation reads the
database in SQL and in chunks (:mod:`.aggregate`):

1. list the inbox (:func:`cchc_xl.io.inbox.candidates`) less the roll-up's own files (the output,
   the database and SQLite's files beside it, the log, the lock); a file whose name, size, time and inode
   are those recorded when it was last hashed is known without being read; files still being written are
   left for the next run (one 1-second check for all the new files);
2. read each new file once and hash it (SHA-256); a hash already judged is not judged again — unless the
   verdict was a rejection by another version of the program (a cause it may no longer have): such files,
   in the inbox or filed in ``rejected/``, are examined again;
3. examine a new file (size, password, zip bomb, corrupt zip, macros: :mod:`cchc_xl.io.inbox`;
   then :func:`cchc_xl.exchange.reader.read_exchange`, bounded) and store it at once: an accepted file of
   **any** period is stored (a file of another period than the one rolled up is set aside for that period's
   roll-up, not rejected); a rejected file moves to ``INBOX/rejected/`` with ``NAME.txt`` giving the reason;
4. the period: ``--period`` (``q1|h1|q3|year``, optionally ``/YYYY``), else the period most files in the
   inbox carry (ties: the one that ends last; a stray file of a later period decides nothing), else the
   database's latest; the choice is printed;
5. aggregate (:mod:`.aggregate`) and write the workbook (:mod:`.workbook`) atomically — unless nothing
   changed since the last workbook (same files, options, units list; output intact).

Times the sender controls are not trusted blindly: the arrival time (:func:`.inbox.arrival_time`: the mail
server's time for a file ``cchc-xl collect`` saved, else the file's time) is never later
than the run that first saw the file, and the time a file says it was made, which orders a unit's files, is
never later than its arrival; each correction is reported. Exit codes: 0 ok, 2 done with rejected files or
a user error (:class:`cchc_xl.errors.CchcError` raised before anything is done), 3 failed (nothing changed:
a full disk, a damaged database…), 4 another run busy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..core.periods import Period, get_period
from ..core.text import ZERO_WIDTH_PATTERN, clean_text
from ..core.vocabulary import PeriodKey
from ..errors import CchcError, WorkbookBusyError, describe_os_error
from ..io.inbox import EXIT_BUSY, EXIT_FAILED, EXIT_OK, EXIT_REJECTED, MAX_FILE_BYTES, SETTLE_SECONDS

__all__ = ["rollup", "RollupSummary", "RollupOptions", "RollupPlan", "parse_period", "parent_of", "read_units",
           "default_deadline", "EXIT_OK", "EXIT_REJECTED", "EXIT_FAILED", "EXIT_BUSY",
           "EXIT_USER_ERROR", "ROLLED_OUT_CAUSE"]

EXIT_USER_ERROR = 2      # a user error stops the roll-up before anything is done (the same code as rejections)
ROLLED_OUT_CAUSE = "unit_list"     # a file whose unit code belongs to another unit in the units list
_PERIOD_ARG = re.compile(rf"^\s*({'|'.join(PeriodKey)})\s*(?:/\s*(\d{{4}}))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RollupOptions:
    """What the Sở prints on its summary page (all optional)."""

    issuer: str = ""          # e.g. "SỞ GIÁO DỤC VÀ ĐÀO TẠO" (default: the schools' governing body)
    issuer_parent: str = ""   # e.g. "UBND THÀNH PHỐ HẢI PHÒNG" (default: from ``place``, see parent_of)
    place: str = ""           # default: the schools' place name
    number: str = ""          # report number; blank = dots to fill in by hand
    symbol: str = "BC-SGDĐT"
    signer: str = ""
    signer_title: str = "GIÁM ĐỐC"
    date: dt.date | None = None  # the date line of the summary page (default: the day of the run)

    def resolved(self) -> RollupOptions:
        """A copy with the governing authority filled in from ``place`` when not given."""
        return dataclasses.replace(self, issuer_parent=self.issuer_parent or parent_of(self.place))

    def token(self) -> str:
        return json.dumps({k: str(v) for k, v in dataclasses.asdict(self).items()}, sort_keys=True,
                          ensure_ascii=False)


@dataclass(frozen=True)
class RollupPlan:
    """One run, decided once by :func:`rollup` from its arguments and passed down."""

    inbox: Path
    out: Path
    db: Path
    log: Path
    period_key: str | None
    period_year: int | None
    units: object            # the --units list (a DataFrame ``unit_code, unit_name``) or None
    units_token: str
    deadline: dt.date | None
    options: RollupOptions
    now: dt.datetime
    settle_seconds: float
    max_bytes: int
    lock_wait: float | None

    def own_files(self) -> set[Path]:
        """The roll-up's own files, which are never inputs even when they sit in the inbox."""
        from .store import companions

        from ..io.writelock import lock_path

        return {p.resolve() for p in (self.out, self.db, *companions(self.db), self.log, lock_path(self.out))}


@dataclass
class RollupSummary:
    files_seen: int = 0
    already_known: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    examined_again: int = 0
    units_expected: int | None = None
    units_reporting: int = 0
    units_missing: int = 0
    units_late: int = 0
    units_unlisted: int = 0
    period_label: str = ""
    period_choice: str = ""
    written: bool = False
    out: Path | None = None
    db: Path | None = None
    rejections: list[tuple[str, str]] = field(default_factory=list)
    skips: list[tuple[str, str]] = field(default_factory=list)
    set_aside: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK
    message: str = ""

    def text(self) -> str:
        failed = self.exit_code in (EXIT_FAILED, EXIT_BUSY)
        lines = [f"Kỳ tổng hợp: {self.period_label or '(chưa xác định)'}"
                 + (f" ({self.period_choice})" if self.period_choice else ""),
                 f"Tệp trong hộp thư: {self.files_seen} (đã có từ trước: {self.already_known}; mới chấp nhận: "
                 f"{self.accepted}; từ chối: {self.rejected}; để lại lần sau: {self.skipped})"]
        if self.examined_again:
            lines.append(f"Xem xét lại {self.examined_again} tệp đã bị phiên bản trước từ chối.")
        if not failed:
            if self.units_expected is not None:
                lines.append(f"Đơn vị phải báo cáo: {self.units_expected}; đã báo cáo: {self.units_reporting} "
                             f"(nộp muộn: {self.units_late}); chưa báo cáo: {self.units_missing}")
            else:
                lines.append(f"Đơn vị đã báo cáo: {self.units_reporting} (nộp muộn: {self.units_late})")
            if self.units_unlisted:
                lines.append(f"Đơn vị gửi báo cáo nhưng không có trong danh sách (không tính vào tổng hợp): "
                             f"{self.units_unlisted}")
        lines += [f"TỪ CHỐI: {name} — {why}" for name, why in self.rejections]
        lines += [f"ĐỂ RIÊNG: {name} — {why}" for name, why in self.set_aside]
        lines += [f"BỎ QUA: {name} — {why}" for name, why in self.skips]
        lines += [f"CẢNH BÁO: {w}" for w in self.warnings]
        if self.out and not failed:
            lines.append(("Đã ghi " if self.written else "Không có gì mới; giữ nguyên ") + str(self.out))
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)


_CENTRAL_CITIES = ("Hà Nội", "Hồ Chí Minh", "Thành phố Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế")


def parent_of(place: str) -> str:
    """The provincial People's Committee above a Sở, from the place name: a city directly under the
    central government is a ``THÀNH PHỐ``, any other place a ``TỈNH``; blank when ``place`` is blank.

    >>> parent_of("Hải Phòng"), parent_of("Nam Định"), parent_of("")
    ('UBND THÀNH PHỐ HẢI PHÒNG', 'UBND TỈNH NAM ĐỊNH', '')
    """
    place = " ".join(str(place or "").split())
    if not place:
        return ""
    kind = "THÀNH PHỐ" if place in _CENTRAL_CITIES else "TỈNH"
    name = place.removeprefix("Thành phố ").upper()
    return f"UBND {kind} {name}"


def parse_period(text: str | None) -> tuple[str | None, int | None]:
    """``"h1/2024"`` → ``(PeriodKey.H1, 2024)``; ``"q3"`` → ``(PeriodKey.Q3, None)``; None → ``(None, None)``.

    >>> parse_period("H1/2024"), parse_period("year")
    ((<PeriodKey.H1: 'h1'>, 2024), (<PeriodKey.YEAR: 'year'>, None))
    """
    if text is None or not str(text).strip():
        return None, None
    m = _PERIOD_ARG.match(str(text))
    if not m:
        raise CchcError(f"Kỳ tổng hợp '{text}' không hợp lệ; dùng {', '.join(PeriodKey)}, có thể kèm năm, "
                        "ví dụ h1/2024.")
    return PeriodKey(m.group(1).lower()), int(m.group(2)) if m.group(2) else None


def default_deadline(period_end: dt.date) -> dt.date:
    """The 20th of the period's last month (581/BNV-CCHC), or the period end when that is later.

    >>> default_deadline(dt.date(2024, 6, 14))
    datetime.date(2024, 6, 20)
    """
    return max(period_end, period_end.replace(day=20))


def read_units(path: str | os.PathLike):
    """The expected units: a CSV with columns ``Mã định danh`` and ``Tên đơn vị`` (UTF-8, with or without
    BOM; comma or semicolon). Returns a DataFrame ``unit_code, unit_name``; raises :class:`CchcError`
    naming the line of a blank or repeated code."""
    import csv

    path = Path(path)
    if path.is_dir():
        raise CchcError(f"'{path}' là một thư mục, không phải tệp danh sách đơn vị (.csv); hãy ghi đúng tên tệp.")
    if not path.is_file():
        raise CchcError(f"Không tìm thấy tệp danh sách đơn vị '{path}'.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CchcError(describe_os_error(exc, "đọc")) from None
    if len(raw) > 20 * 1024 * 1024:
        raise CchcError(f"Tệp danh sách đơn vị '{path.name}' quá lớn ({len(raw) / 1048576:.0f} MB).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CchcError(f"Tệp '{path.name}' không phải văn bản UTF-8; hãy lưu lại dạng 'CSV UTF-8'.") from None
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True, strict=True)
    rows: list[list[str]] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(raw) + 1))    # a long name is a name; the setting is the process's: restored
    try:
        for row in reader:
            rows.append(row)
    except csv.Error:  # its English message is not shown: the line and what to do instead
        raise CchcError(f"Tệp danh sách đơn vị '{path.name}', dòng {reader.line_num}: sai định dạng CSV (dấu ngoặc "
                        "kép không đóng hoặc ký tự lạ); hãy mở bằng Excel và lưu lại dạng 'CSV UTF-8'.") from None
    finally:
        csv.field_size_limit(limit)
    return _units_frame(path.name, rows)


def _units_frame(name: str, rows: list[list[str]]):
    import pandas as pd

    if not rows:
        raise CchcError(f"Tệp danh sách đơn vị '{name}' trống; cần dòng tiêu đề 'Mã định danh', 'Tên đơn vị'.")
    header = [clean_text(c, single_line=True) for c in rows[0]]
    missing = [c for c in ("Mã định danh", "Tên đơn vị") if c not in header]
    if missing:
        raise CchcError(f"Tệp '{name}' thiếu cột {', '.join(repr(c) for c in missing)} ở dòng tiêu đề.")
    ci, ni = header.index("Mã định danh"), header.index("Tên đơn vị")
    codes, names, lines = [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(str(c).strip() for c in row):
            continue
        cell = (row + [""] * (max(ci, ni) + 1))
        codes.append(cell[ci])
        names.append(cell[ni])
        lines.append(line)
    df = pd.DataFrame({"unit_code": codes, "unit_name": names}, dtype=object)
    df = df.apply(lambda s: s.str.replace(ZERO_WIDTH_PATTERN, "", regex=True).str.normalize("NFC").str.strip())
    for i, code in enumerate(df["unit_code"]):
        if code == "":
            raise CchcError(f"Tệp '{name}', dòng {lines[i]}: thiếu 'Mã định danh'.")
    dup = df.index[df["unit_code"].duplicated()]
    if len(dup):
        code = df.loc[dup[0], "unit_code"]
        first = lines[int(df.index[df["unit_code"] == code][0])]
        raise CchcError(f"Tệp '{name}', dòng {lines[int(dup[0])]}: mã định danh '{code}' bị lặp (đã có ở dòng "
                        f"{first}).")
    return df.reset_index(drop=True)


def rollup(inbox: str | os.PathLike, out: str | os.PathLike, *, period: str | None = None,
           units: str | os.PathLike | None = None, db: str | os.PathLike | None = None,
           log: str | os.PathLike | None = None, deadline: dt.date | None = None,
           options: RollupOptions | None = None, now: dt.datetime | None = None,
           settle_seconds: float = SETTLE_SECONDS, max_bytes: int = MAX_FILE_BYTES,
           lock_wait: float | None = None, progress=None) -> RollupSummary:
    """Roll up ``inbox`` into the workbook ``out``; returns a summary whose ``exit_code`` a scheduler can act on.
    User errors (a missing inbox, a bad units list or period, a database of another program, a planted link)
    raise :class:`CchcError` before anything is done."""
    inbox, out = Path(inbox), Path(out)
    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'." if not inbox.exists() else
                        f"'{inbox}' là một tệp, không phải thư mục hộp thư đến.")
    if out.suffix.lower() != ".xlsx":
        raise CchcError(f"Tệp tổng hợp '{out.name}' phải có đuôi .xlsx.")
    if out.is_dir():
        raise CchcError(f"'{out}' là một thư mục; hãy ghi tên tệp tổng hợp, ví dụ '{out / 'TongHop_CCHC.xlsx'}'.")
    key, year = parse_period(period)
    expected = read_units(units) if units else None
    units_token = hashlib.sha256(Path(units).read_bytes()).hexdigest() if units else ""
    db_path = Path(db) if db else out.with_suffix(".sqlite")
    if db_path.is_dir():
        raise CchcError(f"--db '{db_path}' là một thư mục; hãy ghi tên tệp cơ sở dữ liệu.")
    log_path = Path(log) if log else out.with_suffix(".log")
    plan = RollupPlan(inbox=inbox, out=out, db=db_path, log=log_path, period_key=key, period_year=year,
                      units=expected, units_token=units_token, deadline=deadline,
                      options=(options or RollupOptions()).resolved(),
                      now=(now or dt.datetime.now()).replace(microsecond=0), settle_seconds=settle_seconds,
                      max_bytes=max_bytes, lock_wait=lock_wait)
    _refuse_links(plan)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CchcError(describe_os_error(exc)) from None
    return run_plan(plan, progress or (lambda f, m: None))


def _refuse_links(plan: RollupPlan) -> None:
    """The lock, the log, the database and SQLite's files beside it are written: never through a link (the
    sentence of :func:`cchc_xl.io.nofollow.refuse_link`, before anything is done)."""
    from ..io.nofollow import refuse_link
    from ..io.writelock import lock_path
    from .store import companions

    for p in (lock_path(plan.out), plan.log, plan.db, *companions(plan.db)):
        if p.is_symlink():
            raise refuse_link(p)


def append_log(plan: RollupPlan, text: str) -> str | None:
    """Append one run's summary to the log (:func:`cchc_xl.io.nofollow.append_text`: never through a link, a hard
    link or anything but a regular file); the reason when it could not be."""
    from ..errors import LinkRefusedError
    from ..io.nofollow import append_text

    try:
        append_text(plan.log, f"=== {plan.now:%d/%m/%Y %H:%M:%S} ===\n{text}\n\n")
    except LinkRefusedError:
        return f"không ghi nhật ký vì '{plan.log}' là một liên kết hoặc không phải tệp thường do người khác đặt"
    except OSError as exc:
        return "không ghi được nhật ký: " + describe_os_error(exc, path=plan.log).rstrip(".")
    return None


def period_of(plan: RollupPlan, counts: dict[tuple[str, int], tuple[int, dt.date]], latest) -> tuple[Period, str]:
    """The period rolled up and why: ``--period``; else the period most files in the inbox carry (ties: the one
    ending last); else the database's latest; else the year of the run. ``counts``: ``{(key, year): (files, end)}``
    of the accepted files now in the inbox; ``latest``: the database's latest ``(key, year)`` or None.

    >>> plan = RollupPlan(Path("."), Path("o.xlsx"), Path("o.sqlite"), Path("o.log"), None, None, None, "", None,
    ...                   RollupOptions(), dt.datetime(2024, 7, 1), 0, 1, None)
    >>> counts = {("h1", 2024): (40, dt.date(2024, 6, 14)), ("q3", 2024): (1, dt.date(2024, 9, 14))}
    >>> p, why = period_of(plan, counts, None); str(p.key), p.end.year, why
    ('h1', 2024, 'kỳ có nhiều tệp nhất trong hộp thư: 40 tệp; 1 tệp thuộc kỳ khác')
    """
    key, year = plan.period_key, plan.period_year
    if key is not None and year is not None:
        return get_period(key, year), ""
    fitting = {k: v for k, v in counts.items() if key is None or k[0] == key}
    if fitting:
        (k, y), (n, _) = max(fitting.items(), key=lambda kv: (kv[1][0], kv[1][1]))
        others = sum(v[0] for kk, v in counts.items() if kk != (k, y))
        why = f"kỳ có nhiều tệp nhất trong hộp thư: {n} tệp" + (f"; {others} tệp thuộc kỳ khác" if others else "")
        return get_period(k, y), why
    if latest and (key is None or latest[0] == key):
        return get_period(*latest), "kỳ mới nhất trong cơ sở dữ liệu"
    return get_period(key or PeriodKey.YEAR, year or plan.now.year), "chưa có tệp nào của kỳ này"


def run_lock(plan: RollupPlan):
    """The output's writer lock (:func:`cchc_xl.io.writelock.writer_lock`): one roll-up of a file at a time."""
    from ..io.writelock import writer_lock

    return writer_lock(plan.out, wait=plan.lock_wait)


def run_plan(plan: RollupPlan, step) -> RollupSummary:
    """Run ``plan`` under the output's writer lock; a fault of the machine or of the database is a failed run
    (exit 3) with nothing changed and its reason; the summary is appended to the log."""
    import sqlite3

    from .store import Store, StoreError, sqlite_reason

    summary = RollupSummary(db=plan.db)
    try:
        with run_lock(plan):
            with Store(plan.db) as store:
                _run(plan, store, summary, step)
    except WorkbookBusyError:
        summary.exit_code = EXIT_BUSY
        summary.message = "Một lần tổng hợp khác đang chạy với tệp này; lần này dừng lại, không thay đổi gì."
    except StoreError as exc:
        if exc.user_error:
            raise CchcError(str(exc)) from None
        _failed(summary, str(exc))
    except sqlite3.Error as exc:
        _failed(summary, f"Lỗi cơ sở dữ liệu '{plan.db}': {sqlite_reason(exc)}.")
    except OSError as exc:
        _failed(summary, describe_os_error(exc))
    except CchcError as exc:
        _failed(summary, str(exc))
    problem = append_log(plan, summary.text())
    if problem:
        summary.warnings.append(problem)
    return summary


def _failed(summary: RollupSummary, why: str) -> None:
    summary.exit_code = EXIT_FAILED
    summary.written = False
    summary.message = f"Lỗi: {why.rstrip('.')}. Lần tổng hợp này không hoàn thành; những gì chưa lưu được giữ nguyên " \
                      "như trước."


def _run(plan: RollupPlan, store, summary: RollupSummary, step) -> None:
    from .inbox import examine_inbox

    step(0.02, "Đang đọc hộp thư…")
    store.begin()
    try:
        state = examine_inbox(plan, store, summary, step)
        counts = {(key, year): (n, dt.date.fromisoformat(end)) for key, year, end, n in store.inbox_periods()}
        period, why = period_of(plan, counts, store.latest_period())
        summary.period_label, summary.period_choice = period.label, why
        token = f"{period.key}/{period.end.year}"
        store.set_run_period(plan.now, token)
        for name, key, year in state.new_accepted:
            if (key, year) != (period.key, period.end.year):
                summary.set_aside.append((name, f"báo cáo {get_period(key, year).label}: đã lưu để tổng hợp kỳ đó, "
                                                f"không tính vào kỳ {period.label}"))
        store.commit()
    except BaseException:
        store.rollback()
        raise
    _aggregate_and_write(plan, store, summary, period, step)
    summary.exit_code = EXIT_REJECTED if summary.rejected else EXIT_OK
    step(1.0, "Xong.")


def _aggregate_and_write(plan: RollupPlan, store, summary: RollupSummary, period: Period, step) -> None:
    deadline = plan.deadline or default_deadline(period.end)
    options = plan.options if plan.options.date else dataclasses.replace(plan.options, date=plan.now.date())
    fingerprint = hashlib.sha256("|".join([store.state_token(), period.key, str(period.end.year), plan.units_token,
                                           deadline.isoformat(), options.token(), __version__]).encode()).hexdigest()
    previous = json.loads(store.meta(f"output:{plan.out.resolve()}") or "{}")
    summary.units_expected = None if plan.units is None else len(plan.units)
    if previous.get("fingerprint") == fingerprint and _intact(plan.out, previous):
        counts = previous.get("counts", {})
        for name in ("units_reporting", "units_missing", "units_late", "units_unlisted"):
            setattr(summary, name, counts.get(name, 0))
        summary.warnings += counts.get("warnings", [])
        summary.out = plan.out
        return
    from .aggregate import aggregate
    from .workbook import write_rollup_workbook

    step(0.7, "Đang tổng hợp…")
    data = aggregate(store, period, deadline, plan.units)
    _file_away_list_mismatches(plan, store, summary, data)
    summary.units_reporting = data.reported
    summary.units_missing = data.missing
    summary.units_late = data.late
    summary.units_unlisted = data.unlisted
    step(0.8, "Đang ghi tệp tổng hợp…")
    write_rollup_workbook(data, plan.out, options, made_at=plan.now)   # adds what a cell could not hold
    warnings = list(data.warnings)
    summary.warnings += warnings
    summary.written = True
    summary.out = plan.out
    st = plan.out.stat()
    store.set_meta(f"output:{plan.out.resolve()}", json.dumps({
        "fingerprint": fingerprint, "sha256": _sha_of(plan.out), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
        "counts": {"units_reporting": summary.units_reporting, "units_missing": summary.units_missing,
                   "units_late": summary.units_late, "units_unlisted": summary.units_unlisted,
                   "warnings": warnings}}, ensure_ascii=False))


def _sha_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _intact(out: Path, previous: dict) -> bool:
    """The workbook written last is still there, unchanged (size and time first, then its hash)."""
    try:
        st = out.stat()
    except OSError:
        return False
    if (st.st_size, st.st_mtime_ns) != (previous.get("size"), previous.get("mtime_ns")):
        return False
    return _sha_of(out) == previous.get("sha256")


def _file_away_list_mismatches(plan: RollupPlan, store, summary: RollupSummary, data) -> None:
    """A file whose unit code the units list gives to another unit is rejected with that reason: moved out of the
    inbox the first time it is seen (its data stay in the database, used if the list is corrected)."""
    if not data.mismatches:
        return
    store.begin()
    try:
        for sha, name, reason in data.mismatches:
            verdict = store.verdict(sha)
            if verdict is not None and verdict[2] == ROLLED_OUT_CAUSE:
                continue
            path = plan.inbox / name
            filed = None
            if path.is_file() and not path.is_symlink() and store.inbox_sha(name) == sha:
                filed, reason = _file_one(plan, path, reason)
            store.mark_rejected(sha, ROLLED_OUT_CAUSE, reason, filed)
            summary.rejections.append((name, reason))
            summary.rejected += 1
        store.commit()
    except BaseException:
        store.rollback()
        raise


def _file_one(plan: RollupPlan, path: Path, reason: str):
    from .inbox import file_away

    return file_away(path, plan.inbox, plan.now, reason)
