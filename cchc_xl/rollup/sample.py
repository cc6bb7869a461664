"""Sample schools for trying the roll-up (``cchc-xl sample-inbox``) and for its benchmark.

The bundled workbook has one school and no unit code, so it alone cannot show what a roll-up does. Here one
school's workbook becomes N plausible schools: each gets its own unit code (``000.26.NNNN.H26``) and name, its
tasks' statuses and completion dates, the dossiers it received (channel, outcome, rating) and its satisfaction
measure, all drawn from a seeded random generator (the same seed gives the same files). Each school's report is
computed by the engine (:func:`cchc_xl.engine.compute`) and written by the school side's own writer
(:func:`cchc_xl.exchange.writer.write_exchange`) — the file *Gửi báo cáo lên Sở* sends — with the time it was
made, and the file's time set to when the Sở's mail program would have saved it (a few of them after the
deadline).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
from pathlib import Path

from ..core.vocabulary import PeriodKey

__all__ = ["write_sample_inbox", "write_school", "vary", "unit_identity", "load_school"]

DISTRICTS = ("Kiến Thụy", "An Dương", "Thủy Nguyên", "Tiên Lãng", "Vĩnh Bảo", "Kiến An", "Đồ Sơn", "Ngô Quyền",
             "Lê Chân", "Hồng Bàng", "Hải An", "Dương Kinh", "An Lão", "Cát Hải", "Bạch Long Vĩ")
LEVELS = ("THPT", "THCS", "Tiểu học", "Mầm non", "THCS và THPT", "GDNN-GDTX")


def unit_identity(i: int) -> tuple[str, str]:
    """A plausible unit code and name for school number ``i``.

    >>> unit_identity(0)
    ('000.26.0000.H26', 'Trường THPT Kiến Thụy số 1')
    """
    level = LEVELS[i % len(LEVELS)]
    district = DISTRICTS[(i // len(LEVELS)) % len(DISTRICTS)]
    return f"000.26.{i:04d}.H26", f"Trường {level} {district} số {i + 1}"


def vary(data, i: int, rng: random.Random, as_of: dt.date):
    """A copy of ``data`` (a school's ``WorkbookData``) as school ``i``: its identity, varied tasks and dossiers."""
    code, name = unit_identity(i)
    settings = dataclasses.replace(data.settings, values=dict(data.settings.values))
    settings.values.update({"ma_dinh_danh": code, "ten_truong_ngan": name, "ten_truong": name.upper(),
                            "cach_tinh_hai_long": rng.choice(("QĐ 766", "QĐ 766", "Khảo sát"))})
    diligence = rng.random()
    tasks = []
    for t in data.tasks:
        r = rng.random()
        if r < 0.03:
            tasks.append(dataclasses.replace(t, status="cancelled", done_date=None))
        elif r < 0.15 + 0.6 * diligence:
            done = as_of - dt.timedelta(days=rng.randint(0, 150))
            tasks.append(dataclasses.replace(t, status="done", done_date=done, evidence=f"Số {rng.randint(1, 99)}/BC"))
        elif r < 0.9:
            tasks.append(dataclasses.replace(t, status="in_progress", done_date=None))
        else:
            tasks.append(dataclasses.replace(t, status="not_started", done_date=None))
    dossiers = []
    start = dt.datetime.combine(as_of - dt.timedelta(days=200), dt.time(8))
    for k in range(rng.randint(0, 60)) if data.dossiers else ():
        base = rng.choice(data.dossiers)
        received = start + dt.timedelta(days=rng.randint(0, 190), hours=rng.randint(0, 8))
        if received.date() > as_of:
            continue
        status = rng.choices(("returned", "processing", "waiting", "withdrawn", "refused"), (80, 10, 4, 3, 3))[0]
        finished = None
        if status in ("returned", "refused", "withdrawn"):
            finished = min(as_of, received.date() + dt.timedelta(days=rng.randint(0, 12)))
        dossiers.append(dataclasses.replace(
            base, id=f"{code}-{k:04d}", received=received, status=status, finished=finished, appointment=None,
            channel=rng.choices(("direct", "online", "post"), (55, 40, 5))[0],
            digitised=rng.random() < 0.8 if status == "returned" else None,
            rating=rng.choice(("very_satisfied", "satisfied", "satisfied", "dissatisfied", None, None)),
            complaint=rng.random() < 0.03))
    return dataclasses.replace(data, settings=settings, tasks=tasks, dossiers=dossiers)


def load_school(workbook: str | os.PathLike):
    """The school's data read from ``workbook`` (once, for all the samples)."""
    from ..engine import load_data
    from ..io.file_book import FileBook

    return load_data(FileBook.open(Path(workbook)))


def write_school(data, i: int, out_dir: Path, period: str = PeriodKey.H1, seed: int = 2024) -> Path:
    """School ``i``'s exchange file in ``out_dir`` (see the module docstring); returns its path."""
    from ..core.periods import get_period
    from ..engine import compute
    from ..exchange.writer import write_exchange

    rng = random.Random(seed * 100003 + i)
    year = int(data.settings["nam_ke_hoach"])
    the_period = get_period(period, year)
    as_of = the_period.end - dt.timedelta(days=rng.randint(0, 4))
    result = compute(vary(data, i, rng, as_of), as_of=as_of, period=period)
    made = dt.datetime.combine(the_period.end, dt.time(8)) + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 6))
    name = f"BC_CCHC_{period}{year}_{i:05d}.xlsx"
    path = write_exchange(result, Path(out_dir) / name, made_at=made)
    arrival = (made + dt.timedelta(hours=rng.randint(0, 72))).timestamp()  # when the mail program saved it
    os.utime(path, (arrival, arrival))
    return path


def write_sample_inbox(workbook: str | os.PathLike, out_dir: str | os.PathLike, schools: int, *,
                       period: str = PeriodKey.H1, seed: int = 2024, progress=None) -> list[Path]:
    """``schools`` sample schools' exchange files from ``workbook`` into ``out_dir`` (created)."""
    from ..errors import CchcError

    if schools < 1 or schools > 10_000:
        raise CchcError(f"Số trường mẫu phải từ 1 đến 10.000 (đang là {schools}).")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load_school(workbook)
    written = []
    for i in range(schools):
        if progress and i % 5 == 0:
            progress(i / schools, f"Đang tạo tệp của trường mẫu {i + 1}/{schools}")
        written.append(write_school(data, i, out, period, seed))
    if progress:
        progress(1.0, "Xong.")
    return written
