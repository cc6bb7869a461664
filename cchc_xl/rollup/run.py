"""``cchc-xl rollup INBOX --out FILE.xlsx``: the Sở rolls up every school's exchange file.

Flow of :func:`rollup` (never opens a file in Excel, never runs a macro):

1. list the inbox (:func:`cchc_xl.distribute.intake.candidates`); files still being written are left
   for the next run;
2. read each file once, hash it (SHA-256); a hash already in the database is skipped — so a re-run on
   the same inbox reads, hashes and changes nothing;
3. screen a new file (size, password/CFB, zip bomb, corrupt zip, not a spreadsheet, macros), then read
   it (:func:`cchc_xl.exchange.reader.read_exchange`); a file of another period than the one rolled up
   is rejected too. Rejected files move to ``INBOX/rejected/`` with ``NAME.txt`` giving the Vietnamese
   reasons; accepted files stay where they are;
4. store the run in the SQLite database (default ``FILE.sqlite`` beside the output) in one transaction;
5. aggregate with pandas (:mod:`.aggregate`) and write the workbook with XlsxWriter (:mod:`.workbook`),
   atomically. When nothing changed since the last workbook (same files, same options, output intact)
   the workbook is not rewritten.

Period: ``--period q1|h1|q3|year`` optionally with ``/YYYY`` (e.g. ``h1/2024``); without a year, or
without ``--period``, the latest period among the new files (else in the database) is used. The
deadline for late reports defaults to the 20th of the period's last month (Văn bản 581/BNV-CCHC) and
is a setting (``--deadline``); a unit is late when its first accepted file arrived (the mail server's
time for a file ``cchc-xl collect`` saved, else the file's time) after
that day. Exit codes as consolidation: 0 ok, 2 done with rejected files, 3 failed, 4 another run busy.
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
from ..core.periods import PERIOD_KEYS, get_period
from ..core.text import ZERO_WIDTH_PATTERN, clean_text
from ..distribute import _common, intake
from ..errors import CchcError
from ..mailbox import server_arrival   # the mail server's arrival time of a file `collect` saved

__all__ = ["rollup", "RollupSummary", "RollupOptions", "parse_period", "parent_of", "read_units", "default_deadline",
           "EXIT_OK", "EXIT_REJECTED", "EXIT_FAILED", "EXIT_BUSY"]

EXIT_OK, EXIT_REJECTED, EXIT_FAILED, EXIT_BUSY = 0, 2, 3, 4
SETTLE_SECONDS = 3.0
_PERIOD_ARG = re.compile(r"^\s*(q1|h1|q3|year)\s*(?:/\s*(\d{4}))?\s*$", re.IGNORECASE)


@dataclass
class RollupOptions:
    """What the Sở prints on its summary page (all optional)."""

    issuer: str = ""          # e.g. "SỞ GIÁO DỤC VÀ ĐÀO TẠO" (default: the schools' governing body)
    issuer_parent: str = ""   # e.g. "UBND THÀNH PHỐ HẢI PHÒNG" (default: from ``place``, see parent_of)
    place: str = ""           # default: the schools' place name
    number: str = ""          # report number; blank = dots to fill in by hand
    symbol: str = "BC-SGDĐT"
    signer: str = ""
    signer_title: str = "GIÁM ĐỐC"

    def resolved(self) -> "RollupOptions":
        """A copy with the governing authority filled in from ``place`` when not given."""
        return dataclasses.replace(self, issuer_parent=self.issuer_parent or parent_of(self.place))

    def token(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)


@dataclass
class RollupSummary:
    files_seen: int = 0
    already_known: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    units_reporting: int = 0
    units_missing: int = 0
    units_late: int = 0
    period_label: str = ""
    written: bool = False
    out: Path | None = None
    db: Path | None = None
    rejections: list[tuple[str, str]] = field(default_factory=list)
    skips: list[tuple[str, str]] = field(default_factory=list)
    exit_code: int = EXIT_OK
    message: str = ""

    def text(self) -> str:
        lines = [f"Kỳ tổng hợp: {self.period_label or '(chưa xác định)'}",
                 f"Tệp trong hộp thư: {self.files_seen} (đã có từ trước: {self.already_known}; mới chấp nhận: "
                 f"{self.accepted}; từ chối: {self.rejected}; để lại lần sau: {self.skipped})",
                 f"Đơn vị đã báo cáo: {self.units_reporting}; chưa báo cáo: {self.units_missing}; "
                 f"nộp muộn: {self.units_late}"]
        lines += [f"TỪ CHỐI: {name} — {why}" for name, why in self.rejections]
        lines += [f"BỎ QUA: {name} — {why}" for name, why in self.skips]
        if self.out:
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
    """``"h1/2024"`` → ``("h1", 2024)``; ``"q3"`` → ``("q3", None)``; None → ``(None, None)``.

    >>> parse_period("H1/2024"), parse_period("year")
    (('h1', 2024), ('year', None))
    """
    if text is None or not str(text).strip():
        return None, None
    m = _PERIOD_ARG.match(str(text))
    if not m:
        raise CchcError(f"Kỳ tổng hợp '{text}' không hợp lệ; dùng {', '.join(PERIOD_KEYS)}, có thể kèm năm, "
                        "ví dụ h1/2024.")
    return m.group(1).lower(), int(m.group(2)) if m.group(2) else None


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
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        raise CchcError(f"'{path}' là một thư mục, không phải tệp danh sách đơn vị (.csv); hãy ghi đúng tên tệp.")
    if not path.is_file():
        raise CchcError(f"Không tìm thấy tệp danh sách đơn vị '{path}'.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CchcError(f"Tệp '{path.name}' không phải văn bản UTF-8; hãy lưu lại dạng 'CSV UTF-8'.") from None
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CchcError(f"Không đọc được tệp danh sách đơn vị '{path.name}': {exc}".rstrip(".") + ".") from None
    df.columns = [clean_text(str(c), single_line=True) for c in df.columns]
    missing = [c for c in ("Mã định danh", "Tên đơn vị") if c not in df.columns]
    if missing:
        raise CchcError(f"Tệp '{path.name}' thiếu cột {', '.join(repr(c) for c in missing)} ở dòng tiêu đề.")
    df = df.rename(columns={"Mã định danh": "unit_code", "Tên đơn vị": "unit_name"})[["unit_code", "unit_name"]]
    df = df.apply(lambda s: s.str.replace(ZERO_WIDTH_PATTERN, "", regex=True).str.normalize("NFC").str.strip())
    blank = df.index[df["unit_code"] == ""]
    if len(blank):
        raise CchcError(f"Tệp '{path.name}', dòng {blank[0] + 2}: thiếu 'Mã định danh'.")
    dup = df.index[df["unit_code"].duplicated()]
    if len(dup):
        code = df.loc[dup[0], "unit_code"]
        first_line = df.index[df["unit_code"] == code][0] + 2
        raise CchcError(f"Tệp '{path.name}', dòng {dup[0] + 2}: mã định danh '{code}' bị lặp (đã có ở dòng "
                        f"{first_line}).")
    return df.reset_index(drop=True)


@dataclass
class _Examined:
    path: Path
    sha: str
    size: int
    arrived: dt.datetime
    submission: object = None
    reason: str | None = None


def _examine(path: Path, data: bytes, max_bytes: int) -> tuple[object, str | None]:
    from ..exchange.reader import ExchangeFormatError, read_exchange

    problem = intake.container_problem(data, max_bytes)
    if problem:
        return None, problem
    problems = intake.zip_problems(data, name=path.name)
    if problems:
        return None, problems[0]
    try:
        return read_exchange(data), None
    except ExchangeFormatError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001
        return None, f"tệp bị hỏng, không đọc được nội dung ({type(exc).__name__})"


def _reason_file(moved: Path, name: str, now: dt.datetime, reason: str) -> None:
    intake.write_reason_file(
        moved, f"Tệp: {name}\nThời gian kiểm tra: {now:%d/%m/%Y %H:%M:%S}\n"
        "Tệp bị TỪ CHỐI, chưa được đưa vào báo cáo tổng hợp của Sở. Lý do:\n"
        f"- {reason}\nĐơn vị hãy sửa theo lý do trên rồi gửi lại.\n")


def rollup(inbox: str | os.PathLike, out: str | os.PathLike, *, period: str | None = None,
           units: str | os.PathLike | None = None, db: str | os.PathLike | None = None,
           deadline: dt.date | None = None, options: RollupOptions | None = None,
           now: dt.datetime | None = None, settle_seconds: float = SETTLE_SECONDS,
           max_bytes: int = intake.MAX_FILE_BYTES, lock_wait: float | None = None,
           progress=None) -> RollupSummary:
    """Roll up ``inbox`` into the workbook ``out``; returns a summary whose ``exit_code`` a scheduler
    can act on. User errors (missing inbox, bad units list, bad period) raise :class:`CchcError`."""
    inbox, out = Path(inbox), Path(out)
    step = progress or (lambda f, m: None)
    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'.")
    if out.suffix.lower() != ".xlsx":
        raise CchcError(f"Tệp tổng hợp '{out.name}' phải có đuôi .xlsx.")
    key, year = parse_period(period)
    expected = read_units(units) if units else None
    units_token = hashlib.sha256(Path(units).read_bytes()).hexdigest() if units else ""
    options = (options or RollupOptions()).resolved()
    now = (now or dt.datetime.now()).replace(microsecond=0)
    summary = RollupSummary(out=out, db=Path(db) if db else out.with_suffix(".sqlite"))
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _common.run_lock(out, wait=lock_wait):
            _run(inbox, out, summary, key, year, expected, units_token, deadline, options, now, settle_seconds,
                 max_bytes, step)
    except _common.LockBusy:
        summary.exit_code = EXIT_BUSY
        summary.message = "Một lần tổng hợp khác đang chạy với tệp này; lần này dừng lại, không thay đổi gì."
    except CchcError as exc:
        summary.exit_code = EXIT_FAILED
        summary.message = f"Lỗi: {exc}"
    return summary


def _run(inbox: Path, out: Path, summary: RollupSummary, key, year, expected, units_token, deadline,
         options: RollupOptions, now: dt.datetime, settle: float, max_bytes: int, step) -> None:
    from .store import Store

    step(0.02, "Đang đọc hộp thư…")
    files = intake.candidates(inbox)
    summary.files_seen = len(files)
    busy = intake.busy_reasons(files, settle, check_seconds=1.0 if files else 0)
    with Store(summary.db) as store:
        known = store.known_hashes()
        fresh: list[_Examined] = []
        for i, p in enumerate(files):
            if i % 50 == 0:
                step(0.05 + 0.5 * i / max(len(files), 1), f"Đang kiểm tra {p.name}")
            if busy[p]:
                summary.skipped += 1
                summary.skips.append((p.name, busy[p]))
                continue
            try:
                st = p.stat()
                if st.st_size > max_bytes:
                    data, sha = b"", hashlib.sha256(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()
                else:
                    data = p.read_bytes()
                    sha = hashlib.sha256(data).hexdigest()
            except OSError as exc:
                summary.skipped += 1
                summary.skips.append((p.name, f"không đọc được tệp ({exc.strerror or exc})"))
                continue
            if sha in known:
                summary.already_known += 1
                continue
            known.add(sha)
            arrived = server_arrival(p, sha) or dt.datetime.fromtimestamp(st.st_mtime).replace(microsecond=0)
            ex = _Examined(p, sha, st.st_size, arrived)
            if st.st_size > max_bytes:
                ex.reason = intake.size_problem(st.st_size, max_bytes)
            else:
                ex.submission, ex.reason = _examine(p, data, max_bytes)
            fresh.append(ex)

        if key is None or year is None:
            candidates = [e.submission for e in fresh if e.submission is not None
                          and (key is None or e.submission.period_key == key)]
            if candidates:
                best = max(candidates, key=lambda s: (s.values["period.to"], s.made_at))
                key, year = key or best.period_key, year or best.period_year
            else:
                latest = store.latest_period()
                if latest and (key is None or latest[0] == key):
                    key, year = latest
        if key is None or year is None:
            key = key or "year"
            year = year or now.year
        the_period = get_period(key, year)
        label = the_period.label
        summary.period_label = label
        for e in fresh:
            s = e.submission
            if s is not None and (s.period_key, s.period_year) != (key, year):
                e.reason = (f"tệp là báo cáo {s.values['period.label']}, không phải kỳ đang tổng hợp ({label}); "
                            "hãy gửi báo cáo đúng kỳ")
                e.submission = None

        accepted = [(e.sha, e.path.name, e.size, e.arrived, e.submission) for e in fresh if e.submission is not None]
        rejected = [e for e in fresh if e.submission is None]
        for e in rejected:  # move first: a run killed before the commit re-examines nothing left in the inbox
            try:
                moved = intake.move_unique(e.path, inbox / "rejected")
                _reason_file(moved, e.path.name, now, e.reason)
            except OSError as exc:      # the rejection stands (recorded below); only its filing failed
                e.reason += f" (không chuyển được vào thư mục 'rejected': {exc.strerror or exc})"
            summary.rejections.append((e.path.name, e.reason))
        step(0.6, "Đang lưu vào cơ sở dữ liệu…")
        store.record(accepted, [(e.sha, e.path.name, e.size, e.arrived, e.reason) for e in rejected], now)
        summary.accepted, summary.rejected = len(accepted), len(rejected)

        deadline = deadline or default_deadline(the_period.end)
        fingerprint = hashlib.sha256("|".join([store.state_token(), key, str(year), units_token, deadline.isoformat(),
                                              options.token(), __version__]).encode()).hexdigest()
        previous = json.loads(store.meta(f"output:{out.resolve()}") or "{}")
        intact = out.exists() and previous.get("sha256") == hashlib.sha256(out.read_bytes()).hexdigest()
        step(0.7, "Đang tổng hợp…")
        if intact and previous.get("fingerprint") == fingerprint:
            result = previous.get("counts", {})
            summary.units_reporting = result.get("reporting", 0)
            summary.units_missing = result.get("missing", 0)
            summary.units_late = result.get("late", 0)
        else:
            from .aggregate import aggregate
            from .workbook import write_rollup_workbook

            prev_values = store.values_frame(key, year - 1)
            data = aggregate(period_key=key, year=year, label=label, start=the_period.start, end=the_period.end,
                             deadline=deadline, submissions=store.submissions(key, year),
                             values=store.values_frame(key, year), first_arrivals=store.first_arrivals(key, year),
                             expected=expected, previous_values=prev_values)
            summary.units_reporting = len(data.units)
            summary.units_missing = int((data.status["status"] == "Chưa báo cáo").sum())
            summary.units_late = int((data.status["status"] == "Nộp muộn").sum())
            step(0.8, "Đang ghi tệp tổng hợp…")
            write_rollup_workbook(data, out, options, files=store.file_rows(), made_at=now)
            summary.written = True
            store.set_meta(f"output:{out.resolve()}", json.dumps({
                "fingerprint": fingerprint, "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
                "counts": {"reporting": summary.units_reporting, "missing": summary.units_missing,
                           "late": summary.units_late}}))
    summary.exit_code = EXIT_REJECTED if summary.rejected else EXIT_OK
    step(1.0, "Xong.")
