"""The school-side commands of ``cchc-xl`` (``refresh``, ``redraft``, ``check``, ``import-dossiers``,
``build-workbook``, ``setup-excel``, ``handout``, ``consolidate``, ``send``): each a thin ``cmd_*(args) -> exit
code`` that imports what it needs when it runs, calls the library and prints the result. They are registered in
:data:`cchc_xl.cli.COMMANDS` by name (``"cchc_xl.commands:cmd_refresh"``), so building the parser loads none of
them; the error policy is :func:`cchc_xl.cli.run_command`'s.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .cli import EXIT_OK, EXIT_PROBLEMS
from .errors import CchcError


def _progress(quiet: bool):
    from .progress import text_progress

    return text_progress(quiet=quiet)


def _summary(result) -> str:
    """The Vietnamese summary of a refresh; every number comes from ``result.figures``."""
    from .core import vnformat
    from .core.figures import SECTION_LABELS
    from .core.narrative import stale_note
    from .core.tasks import TASK_FLAGS
    from .schema import TASK_FLAG

    n = vnformat.integer
    fig = result.figures
    source = result.chosen.as_of_words if result.chosen else ""
    lines = [
        f"Kỳ báo cáo: {result.period.label} (từ {vnformat.date_vn(result.period.start)} đến "
        f"{vnformat.date_vn(result.period.end)}), tính đến ngày {vnformat.date_vn(result.as_of)}"
        + (f" ({source})" if source else ""),
    ]
    lines += ["Lưu ý: " + note for note in fig.notes]
    for section, why in fig.unavailable.items():
        lines.append(f"KHÔNG TÍNH ĐƯỢC phần '{SECTION_LABELS.get(section, section)}': {why}")
    if fig.tasks is not None:
        c = fig.tasks.counts
        line = f"Nhiệm vụ: {n(c['total'])} — " + ", ".join(f"{TASK_FLAG[k]}: {n(c[k])}" for k in TASK_FLAGS)
        skipped = [o.task.id for o in fig.tasks.not_counted]
        if skipped:
            line += f" (dòng phụ lục không tính thêm: {', '.join(skipped)})"
        lines.append(line)
        lines.append(f"Tỷ lệ hoàn thành đúng hạn (CT2): {n(fig.tasks.ct2_numerator)}/{n(fig.tasks.ct2_denominator)}"
                     f" = {vnformat.percent(fig.ct2)}")
    st = fig.dossiers
    if st is not None:
        lines.append(
            f"Hồ sơ TTHC: {n(st.total)} (kỳ trước chuyển sang {n(st.carried_over)}, mới tiếp nhận "
            f"{n(st.received_new)}); đã giải quyết {n(st.resolved)} (trước hạn {n(st.early)}, đúng hạn "
            f"{n(st.on_time)}, trễ hạn {n(st.late)}); đang giải quyết {n(st.pending)} (quá hạn "
            f"{n(st.pending_overdue)}); chờ bổ sung {n(st.waiting)}; rút hồ sơ {n(st.withdrawn)}; từ chối không "
            f"tính hạn {n(st.refused_untimed)}; trước và đúng hạn {vnformat.percent(st.rate_early_or_on_time)}")
    if fig.indicators:
        lines.append("Chỉ tiêu: " + "; ".join(
            f"{r.code} {r.actual if isinstance(r.actual, str) else vnformat.percent(r.actual)} ({r.status})"
            for r in fig.indicators))
    if fig.tasks is not None:
        for label, items in (("Nhiệm vụ quá hạn", fig.tasks.overdue), ("Nhiệm vụ chưa hoàn thành",
                                                                        fig.tasks.unfinished)):
            if items:
                lines.append(f"{label}: " + ", ".join(f"{o.task.id} ({o.task.group})" for o in items))
    stale = stale_note(result.narrative, result.period.label)
    if stale:  # a person's text written before its figures changed (kept as written)
        lines.append(stale)
    if result.problems:
        lines.append(f"Có {len(result.problems)} vấn đề dữ liệu (chạy 'cchc-xl check' để xem chi tiết).")
    return "\n".join(lines)


# --- the commands: parse → call the library → print; errors are translated by run_command ------------------

def cmd_refresh(args) -> int:
    from .engine import refresh_file

    result = refresh_file(args.workbook, as_of=args.as_of, period=args.period, out=args.out,
                          progress=_progress(args.json))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        target = args.out or args.workbook
        print(_summary(result))
        print(f"Đã ghi kết quả vào '{target}'.")
    if result.unavailable:  # the report says which part could not be computed; so does the exit code
        print("Báo cáo chưa đầy đủ: " + result.figures.unavailable_text() + ".", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def cmd_redraft(args) -> int:
    from .engine import redraft_file
    from .schema import NARRATIVE, NARRATIVE_SECTIONS

    given = list(args.section or ())
    sections = [c.strip() for value in given for c in value.split(",") if c.strip()]
    if given and not sections:      # --section "" is no section, never "every section"
        raise CchcError("--section không nêu mục nào; hãy ghi mục cần soạn lại, ví dụ --section II.1 (bỏ --section "
                        "để soạn lại mọi mục của kỳ).")
    result = redraft_file(args.workbook, sections, as_of=args.as_of, period=args.period, out=args.out)
    rows = [t for t in result.narrative.values() if t.row is not None]
    chosen = [t for t in rows if not sections or t.code in sections]
    redrafted = [t for t in chosen if t.source == "draft"]   # now the engine's fresh draft (written, or already it)
    undrafted = [t for t in chosen if t.source != "draft"]   # no figures to draft from: left as it was
    kept = [t for t in rows if t not in chosen and t.source == "person"]
    for t in redrafted:
        line = f"Đã soạn lại mục {t.code} ({NARRATIVE_SECTIONS[t.code]})"
        if t.moved:
            line += f"; văn bản đã sửa được giữ ở cột 'Bản trước' (trang '{NARRATIVE.sheet}', dòng {t.row})"
        print(line + ".")
    moved = sum(t.moved for t in redrafted)
    parts = [f"đã soạn lại {len(redrafted)} mục" + (f" ({moved} mục do cán bộ viết, văn bản cũ giữ ở cột 'Bản "
                                                     f"trước')" if moved else "")]
    if kept:
        parts.append(f"giữ nguyên {len(kept)} mục do cán bộ viết không được chọn ({', '.join(t.code for t in kept)})")
    if undrafted:
        parts.append(f"không soạn được {len(undrafted)} mục vì thiếu số liệu "
                     f"({', '.join(t.code for t in undrafted)})")
    print(f"Kỳ {result.period.label}: {'; '.join(parts)}; đã lập lại trang 'Báo cáo' trong "
          f"'{args.out or args.workbook}'.")
    return EXIT_OK


def cmd_check(args) -> int:
    from .engine import check_file

    problems = check_file(args.workbook, as_of=args.as_of)
    if args.json:
        print(json.dumps([p.to_dict() for p in problems], ensure_ascii=False))
    elif not problems:
        print("Không phát hiện vấn đề dữ liệu nào.")
    else:
        for p in problems:
            print(p.describe())
        print(f"Tổng cộng {len(problems)} vấn đề.", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_import(args) -> int:
    from .io.import_dossiers import import_dossiers

    report = import_dossiers(args.workbook, args.file, out=args.out)
    print(report.summary())
    return EXIT_OK


def cmd_build(args) -> int:
    from .build.pipeline import build

    path = build(args.out)
    print(f"Đã tạo sổ tính '{path}'.")
    return EXIT_OK


def cmd_setup_excel(args) -> int:
    from .excel.conf import setup_excel

    result = setup_excel(args.workbook)
    print(result.text)
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def cmd_handout(args) -> int:
    from .distribute.handout import handout

    paths = handout(args.workbook, args.out_dir, progress=_progress(args.quiet))
    for p in paths:
        print(p)
    print(f"Đã tạo {len(paths)} tệp cho các tổ/nhóm trong {args.out_dir}.", file=sys.stderr)
    return EXIT_OK


def cmd_consolidate(args) -> int:
    if Path(args.workbook).is_dir():
        raise CchcError(f"'{args.workbook}' là một thư mục, không phải tệp sổ tính chính; hãy ghi đúng đường dẫn "
                        "tới tệp .xlsm.")
    if not Path(args.workbook).is_file():
        raise CchcError(f"Không tìm thấy tệp sổ tính chính '{args.workbook}'.")
    if Path(args.inbox).exists() and not Path(args.inbox).is_dir():
        raise CchcError(f"'{args.inbox}' là một tệp, không phải thư mục hộp thư đến; hãy ghi đúng thư mục.")
    if not Path(args.inbox).is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{args.inbox}'.")
    if args.log and Path(args.log).is_dir():
        raise CchcError(f"--log '{args.log}' là một thư mục; hãy ghi tên tệp nhật ký, ví dụ "
                        f"'{Path(args.log) / 'tong_hop.log'}'.")
    from .distribute.consolidate import EXIT_BUSY as BUSY, EXIT_FAILED as FAILED, consolidate

    s = consolidate(args.workbook, args.inbox, as_of=args.as_of, send=args.send, log_path=args.log,
                    progress=_progress(args.quiet), lock_wait=args.wait)
    # results on standard output (the summary, what the run did); problems on standard error
    if s.report is not None:         # the run got through (a later send may still have failed)
        print(s.table(message=False))
    if s.exit_code in (FAILED, BUSY):
        print(f"Lỗi: {s.message}", file=sys.stderr)
    elif s.message:
        print(s.message)
    if s.rejected:
        print(f"Có {s.rejected} tệp bị từ chối; lý do ở tệp .txt cùng tên trong '{Path(args.inbox) / 'rejected'}'.",
              file=sys.stderr)
    if s.unfiled:
        print(f"Có {len(s.unfiled)} tệp chưa chuyển được (dòng CHƯA CHUYỂN ở trên); lần chạy sau sẽ xử lý lại.",
              file=sys.stderr)
    if s.log_problem:
        print(s.log_problem, file=sys.stderr)
    return s.exit_code


def cmd_send(args) -> int:
    from .distribute.send import send_file

    out = send_file(args.workbook, period=args.period, to=args.to, dry_run=args.dry_run, force=args.force,
                    outdir=args.out_dir, as_of=args.as_of, progress=_progress(args.quiet))
    for warning in out.warnings:
        print(f"Chú ý: {warning}", file=sys.stderr)
    print(out.message)
    for p in (out.xlsx, out.pdf, out.eml):
        if p:
            print(p)
    return EXIT_OK


# --- the arguments of each command ----------------------------------------------------------------------------
