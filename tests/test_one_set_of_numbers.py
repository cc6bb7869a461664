"""One set of numbers (issue #7 §1): every output of a refresh shows the same figures.

For the bundled workbook refreshed at the four report dates, each total is read back from each output
on its own terms — the Vietnamese summary text, ``--json``, the ``Báo cáo`` sheet of the written file
(read with openpyxl, an independent reader), the indicator table ``tblChiTieu``, the ``.eml`` body that
``send`` writes, and the computed columns of the data sheets — and they must all be equal.
"""

from __future__ import annotations

import contextlib
import email
import io
import json
import re
from email import policy
from pathlib import Path

import openpyxl
import pytest

from cchc_xl import schema
from cchc_xl.cli import main
from cchc_xl.core.tasks import TASK_FLAGS

from report_sheet import logical_rows

REPORTS = [("2024-03-14", "q1"), ("2024-06-14", "h1"), ("2024-09-14", "q3"), ("2024-12-14", "year")]
FLAG_BY_LABEL = {label: key for key, label in schema.TASK_FLAG.items()}


def _int(text: str) -> int:
    return int(text.replace(".", ""))


def _run(*args) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(a) for a in args])
    return code, out.getvalue()


# -- readers: one per output, each parsing what a person would read ------------------------------------

def from_summary(text: str) -> dict:
    m = re.search(r"^Nhiệm vụ: ([\d.]+) — (.*?)(?: \(dòng phụ lục|$)", text, re.M)
    tasks = {"total": _int(m.group(1))}
    for label, n in re.findall(r"([^,:]+): ([\d.]+)", m.group(2)):
        tasks[FLAG_BY_LABEL[label.strip()]] = _int(n)
    ct2 = re.search(r"^Tỷ lệ hoàn thành đúng hạn \(CT2\): ([\d.]+)/([\d.]+)", text, re.M)
    d = re.search(r"^Hồ sơ TTHC: ([\d.]+) .*?đã giải quyết ([\d.]+) \(trước hạn ([\d.]+), đúng hạn ([\d.]+), trễ hạn "
                  r"([\d.]+)\); đang giải quyết ([\d.]+) \(quá hạn ([\d.]+)\); chờ bổ sung ([\d.]+)", text, re.M)
    return {"tasks": tasks, "ct2": (_int(ct2.group(1)), _int(ct2.group(2))),
            "dossiers": dict(zip(("total", "resolved", "early", "on_time", "late", "pending", "pending_overdue",
                                  "waiting"), map(_int, d.groups())))}


def from_json(j: dict) -> dict:
    d, fd, ct2 = j["dossiers"], j["figures"]["dossiers"], j["figures"]["tasks"]["ct2"]
    return {"tasks": {k: v for k, v in j["tasks"].items()},
            "ct2": (ct2["numerator"], ct2["denominator"]),
            "dossiers": {"total": fd["total"], "resolved": d["resolved"], "early": d["early"], "on_time": d["on_time"],
                         "late": d["late"], "pending": fd["pending"], "pending_overdue": d["pending_overdue"],
                         "waiting": d["waiting"]}}


def ct2_from_json(j: dict) -> tuple[int, int]:
    """CT2 recounted from ``task_flags`` and ``occurrence_flags`` alone (the counted tasks: not an appendix row)."""
    skipped = {x["id"] for x in j["figures"]["tasks"]["not_counted"]}
    flags = []
    for tid, row in j["task_flags"].items():
        if tid in skipped:
            continue
        flags += [o["flag"] for o in j["occurrence_flags"][tid]] if tid in j["occurrence_flags"] else [row["flag"]]
    on_time = flags.count(schema.TASK_FLAG["done_on_time"])
    return on_time, on_time + flags.count(schema.TASK_FLAG["done_late"]) + flags.count(schema.TASK_FLAG["overdue"])


def _report_rows(path: Path) -> list[list[object]]:
    """The report's rows, one entry per printed cell (tests/report_sheet.py)."""
    return logical_rows(path)


def from_report(path: Path) -> dict:
    rows = _report_rows(path)
    total = next(r for r in rows if len(r) > 1 and r[1] == "Tổng cộng")  # Phụ lục I: tasks by area
    n, on_time, late, overdue, not_due, not_done = map(_int, total[2:8])
    texts = [str(c) for r in rows for c in r if isinstance(c, str)]
    ct2 = next(re.search(r"\(chỉ tiêu CT2\): ([\d.]+)/([\d.]+)", t) for t in texts if "(chỉ tiêu CT2)" in t)
    # Phụ lục III: one line per count, [TT, label, number, rate]
    lines = {str(r[1]).split(" (")[0]: r[2] for r in rows if len(r) >= 3 and isinstance(r[1], str)
             and isinstance(r[2], str) and re.fullmatch(r"[\d.]+", r[2])}
    return {"tasks": {"total": n, "done_on_time": on_time, "done_late": late, "overdue+unfinished": overdue,
                      "not_yet_due": not_due, "not_done": not_done},
            "ct2": (_int(ct2.group(1)), _int(ct2.group(2))),
            "ct2_indicator_row": next(r[4] for r in rows if len(r) > 4 and r[1] == "CT2"),  # Phụ lục II
            "dossiers": {"total": _int(lines["Tổng số hồ sơ tiếp nhận"]), "resolved": _int(lines["Đã giải quyết"]),
                         "early": _int(lines["Trước hạn"]), "on_time": _int(lines["Đúng hạn"]),
                         "late": _int(lines["Trễ hạn"]), "pending": _int(lines["Đang giải quyết"]),
                         "pending_overdue": _int(lines["Quá hạn"]), "waiting": _int(lines["Chờ bổ sung"])}}


def from_eml(path: Path) -> dict:
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = msg.get_body(("plain",)).get_content()
    m = re.search(r"^- Nhiệm vụ của kế hoạch: ([\d.]+) \((.*)\)$", body, re.M)
    tasks = {"total": _int(m.group(1))}
    lowered = {label.lower(): key for label, key in FLAG_BY_LABEL.items()}
    for part in m.group(2).split(", "):
        label, n = part.rsplit(" ", 1)
        tasks[lowered[label]] = _int(n)
    ct2 = re.search(r"\(chỉ tiêu CT2\): ([\d.]+)/([\d.]+)", body)
    d = re.search(r"^- Hồ sơ TTHC: ([\d.]+); đã giải quyết ([\d.]+) \(trước hạn ([\d.]+), đúng hạn ([\d.]+), trễ hạn "
                  r"([\d.]+)\); đang giải quyết ([\d.]+) \(quá hạn ([\d.]+)\); chờ bổ sung ([\d.]+); rút hồ sơ "
                  r"([\d.]+); từ chối không tính hạn ([\d.]+)$", body, re.M)
    overdue = re.search(r"^- Số nhiệm vụ quá hạn: ([\d.]+)", body, re.M)
    numbers = dict(zip(("total", "resolved", "early", "on_time", "late", "pending", "pending_overdue", "waiting",
                        "withdrawn", "refused"), map(_int, d.groups())))
    # the e-mail's dossier line adds up (issue #15): total = resolved + pending + waiting + withdrawn + refused
    assert numbers["total"] == sum(numbers[k] for k in ("resolved", "pending", "waiting", "withdrawn", "refused"))
    return {"tasks": tasks, "ct2": (_int(ct2.group(1)), _int(ct2.group(2))), "overdue": _int(overdue.group(1)),
            "dossiers": {k: v for k, v in numbers.items() if k not in ("withdrawn", "refused")}}


def _table(path: Path, spec: schema.TableSpec) -> list[dict]:
    ws = openpyxl.load_workbook(path, read_only=True)[spec.sheet]
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[0])
    return [dict(zip(headers, r)) for r in rows[1:] if r[0] is not None]


def _fake_pdf(xlsx, pdf):
    """PDF rendering is tested elsewhere; here only the e-mail's figures matter."""
    Path(pdf).write_bytes(b"%PDF-1.4\n")
    return Path(pdf)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory, built_workbook):
    """The four reports: summary text, JSON, written file, .eml (PDF rendering is tested elsewhere)."""
    import cchc_xl.distribute.send as send

    out = {}
    for as_of, period in REPORTS:
        d = tmp_path_factory.mktemp(period)
        master = d / "CCHC_2024.xlsm"
        master.write_bytes(built_workbook.read_bytes())
        code, text = _run("refresh", master, "--as-of", as_of, "--period", period, "--out", d / "out.xlsm")
        assert code == 0
        code, js = _run("refresh", master, "--as-of", as_of, "--period", period, "--out", d / "j.xlsm", "--json")
        assert code == 0
        # send sends the report that is in the refreshed workbook (its period and as-of date are recorded there)
        outcome = send.send_file(d / "out.xlsm", period=period,
                                   as_of=__import__("datetime").date.fromisoformat(as_of),
                                   dry_run=True, outdir=d / "send", env={}, make_pdf=_fake_pdf)
        out[period] = {"text": text, "json": json.loads(js), "file": d / "out.xlsm", "eml": outcome.eml}
    return out


@pytest.mark.parametrize("as_of,period", REPORTS)
def test_every_output_shows_the_same_figures(refreshed, as_of, period):
    r = refreshed[period]
    j = r["json"]
    summary, js, report, eml = from_summary(r["text"]), from_json(j), from_report(r["file"]), from_eml(r["eml"])

    # tasks: the categories add up to the total, in every output, and agree across outputs
    tasks = js["tasks"]
    assert sum(tasks[k] for k in TASK_FLAGS) == tasks["total"]
    assert summary["tasks"] == tasks
    assert {k: v for k, v in eml["tasks"].items()} == {k: v for k, v in tasks.items() if v or k == "total"}
    assert report["tasks"] == {
        "total": tasks["total"], "done_on_time": tasks["done_on_time"], "done_late": tasks["done_late"],
        "overdue+unfinished": tasks["overdue"] + tasks["unfinished"],
        "not_yet_due": tasks["due_soon"] + tasks["in_time"] + tasks["no_deadline"], "not_done": tasks["not_done"]}
    assert eml["overdue"] == tasks["overdue"] == len(j["overdue_tasks"])

    # CT2: one numerator and denominator everywhere, recounted per unit of work from --json (issue #15): a
    # non-periodic task, or one occurrence of a periodic task, counts once; due or done = on time + late + overdue
    ct2 = js["ct2"]
    assert ct2 == ct2_from_json(j)
    assert summary["ct2"] == report["ct2"] == eml["ct2"] == ct2
    assert report["ct2_indicator_row"].endswith(f"({ct2[0]}/{ct2[1]})")
    indicators = {row["Mã"]: row for row in _table(r["file"], schema.INDICATORS)}
    assert indicators["CT2"]["Kết quả"] == pytest.approx(ct2[0] / ct2[1])
    assert {i["code"]: i["actual"] for i in j["indicators"]}["CT2"] == pytest.approx(ct2[0] / ct2[1])

    # dossiers
    assert summary["dossiers"] == js["dossiers"] == report["dossiers"] == eml["dossiers"]
    d, fd = j["dossiers"], j["figures"]["dossiers"]
    assert fd["total"] == d["resolved"] + fd["pending"] + d["waiting"] + d["withdrawn"] + d["refused_untimed"]


@pytest.mark.parametrize("as_of,period", REPORTS)
def test_filtering_the_data_sheets_gives_the_report_numbers(refreshed, as_of, period):
    r = refreshed[period]
    j = r["json"]
    classes = [row["Phân loại"] for row in _table(r["file"], schema.DOSSIERS)]
    label = schema.DOSSIER_CLASS
    d = j["dossiers"]
    for key in ("early", "on_time", "late", "pending_not_due", "pending_overdue", "waiting", "withdrawn"):
        assert classes.count(label[key]) == d[key], key
    assert len(classes) - classes.count(label["out_of_period"]) == j["figures"]["dossiers"]["total"]

    tasks = [row for row in _table(r["file"], schema.TASKS) if not row.get("Liên kết")]
    flags = [FLAG_BY_LABEL[row["Tình trạng hạn"]] for row in tasks]
    assert {k: flags.count(k) for k in TASK_FLAGS} == {k: j["tasks"][k] for k in TASK_FLAGS}
    occurrences = {row["Mã"]: row["Tình trạng hạn"] for row in _table(r["file"], schema.OCCURRENCES)}
    assert occurrences == {k: schema.TASK_FLAG[v["flag"]] for k, v in j["figures"]["tasks"]["occurrences"].items()}


@pytest.mark.parametrize("as_of,period", REPORTS)
def test_every_task_of_the_plan_is_accounted_for(refreshed, as_of, period):
    r = refreshed[period]
    j = r["json"]
    figures = j["figures"]["tasks"]
    assert j["problems"] == [] and j["unavailable"] == {}  # the bundled data is clean at every report date
    assert j["tasks"]["total"] == 31  # the 31 sub-items of section III
    assert {x["id"]: x["link"] for x in figures["not_counted"]} == {"PL.1": "1.a", "PL.2": "Tổng hợp"}
    assert [x["id"] for x in figures["not_done"]] == ["4.đ"] and "phạm vi" in figures["not_done"][0]["reason"]
    area4 = figures["by_area"]["4"]
    assert area4["total"] == 7 and area4["not_done"] == 1  # area 4 has 7 sub-items, 4.đ among them
    report_text = "\n".join(str(c).replace("\u00a0", " ") for row in _report_rows(r["file"]) for c in row if c)
    assert "Nhiệm vụ 4.đ không thực hiện. Lý do:" in report_text
    assert "PL.1" in report_text and "PL.2" in report_text
    # never late before the deadline (issue #15, replacing the year-end rule that made every task due at 14/12):
    # no task or occurrence is overdue unless its deadline is before the as-of date, and none is "unfinished"
    for tid, row in j["task_flags"].items():
        if row["flag"] == schema.TASK_FLAG["overdue"]:
            assert row["due"] < as_of, tid
        for occ in j["occurrence_flags"].get(tid, []):
            assert occ["flag"] != schema.TASK_FLAG["overdue"] or occ["due"] < as_of, (tid, occ)
    assert j["tasks"]["unfinished"] == 0 and figures["unfinished"] == []
    if period == "year":  # the tasks due 31/12 are in progress at the annual cut-off, not late
        in_time = {tid for tid, row in j["task_flags"].items() if row["flag"] == schema.TASK_FLAG["in_time"]}
        assert {"1.b", "1.d", "1.e", "2.a", "3.a", "4.b", "4.g", "5.b", "5.d", "5.e", "7.a"} <= in_time
        assert all(j["task_flags"][t]["due"] == "2024-12-31" for t in in_time)
        assert j["figures"]["year_end"] and figures["ct2"]["denominator"] == 22
        assert {i["status"] for i in j["indicators"]} <= {"Đạt", "Không đạt", "Theo dõi"}
    else:
        assert not j["figures"]["year_end"]
        assert "Không đạt" not in {i["status"] for i in j["indicators"]}  # mid-period: 'Chưa đạt'
