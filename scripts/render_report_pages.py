"""Render the four period reports of the bundled workbook to PDF and to PNG pages under ``docs/report_pages/``.

For each report date of issue #7 (14/03, 14/06, 14/09 and 14/12/2024 with the matching period q1, h1, q3,
year) a copy of the workbook is refreshed, only its ``Báo cáo`` sheet is printed by LibreOffice headless (a
private profile per run) and each PDF page becomes a small black-and-white PNG (``pdftoppm -mono``: the report
must read right in black and white). Prints the page count and fonts of each PDF.

    python scripts/render_report_pages.py [--out docs/report_pages] [--dpi 60] [--pdf-dir DIR]

Needs LibreOffice (``soffice``) and poppler-utils (``pdftoppm``, ``pdfinfo``, ``pdffonts``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPORTS = (("q1", dt.date(2024, 3, 14)), ("h1", dt.date(2024, 6, 14)), ("q3", dt.date(2024, 9, 14)),
           ("year", dt.date(2024, 12, 14)))


def report_only(src: Path, dst: Path, sheet: str) -> None:
    """A copy of workbook ``src`` in which every sheet but ``sheet`` is hidden and ``sheet`` is active
    (LibreOffice prints the visible sheets)."""
    from lxml import etree

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                root = etree.fromstring(data)
                sheets = root.findall(f"{ns}sheets/{ns}sheet")
                for i, s in enumerate(sheets):
                    if s.get("name") == sheet:
                        s.attrib.pop("state", None)
                        view = root.find(f"{ns}bookViews/{ns}workbookView")
                        if view is not None:
                            view.set("activeTab", str(i))
                            view.set("firstSheet", str(i))
                    else:
                        s.set("state", "hidden")
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif info.filename.startswith("xl/worksheets/sheet") and info.filename.endswith(".xml"):
                data = data.replace(b'tabSelected="1"', b'tabSelected="0"')
            zout.writestr(info, data)


def to_pdf(files: list[Path], outdir: Path, timeout: float = 600) -> list[Path]:
    """Print ``files`` with one LibreOffice call (private profile); returns the PDFs in order."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="cchc-render-profile-") as profile:
        subprocess.run([soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                        "--nolockcheck", "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
                       capture_output=True, timeout=timeout, check=False,
                       env=dict(os.environ, SAL_USE_VCLPLUGIN="svp"))
    pdfs = [outdir / (f.stem + ".pdf") for f in files]
    missing = [p.name for p in pdfs if not p.exists()]
    if missing:
        raise SystemExit(f"LibreOffice did not print {', '.join(missing)}")
    return pdfs


def render(workbook: Path, workdir: Path) -> dict[str, Path]:
    """Refresh ``workbook`` at the four report dates into ``workdir`` and print each report: period → PDF."""
    from cchc_xl.engine import refresh_file
    from cchc_xl.schema import SHEET_REPORT

    prints = []
    for key, as_of in REPORTS:
        refreshed = workdir / f"{key}.xlsm"
        refresh_file(workbook, as_of=as_of, period=key, out=refreshed, backup=False)
        only = workdir / f"bao_cao_{key}.xlsx"
        report_only(refreshed, only, SHEET_REPORT)
        prints.append(only)
    pdfs = to_pdf(prints, workdir)
    return {key: pdf for (key, _), pdf in zip(REPORTS, pdfs)}


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbook", type=Path, default=ROOT / "workbook" / "CCHC_2024.xlsm")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report_pages")
    parser.add_argument("--dpi", type=int, default=60, help="resolution of the PNG pages (default 60: ~18 KB a page)")
    parser.add_argument("--pdf-dir", type=Path, default=None, help="also keep the four PDFs here")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):
        old.unlink()
    index = ["# The four period reports of the bundled workbook, page by page",
             "",
             "Made by `python scripts/render_report_pages.py` (LibreOffice headless, black and white, "
             f"{args.dpi} dpi): the bundled workbook refreshed at each date with the matching period, its `Báo cáo` "
             "sheet printed.", "",
             "| Report | As of | Pages |", "|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="cchc-render-") as tmp:
        pdfs = render(args.workbook, Path(tmp))
        total = 0
        for (key, as_of), pdf in zip(REPORTS, pdfs.values()):
            stem = Path(tmp) / f"png-{key}"
            subprocess.run(["pdftoppm", "-mono", "-r", str(args.dpi), "-png", str(pdf), str(stem)], check=True)
            pages = sorted(Path(tmp).glob(f"png-{key}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
            for n, png in enumerate(pages, start=1):
                shutil.move(str(png), args.out / f"{key}-{n:02d}.png")
            fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
            names = sorted({line.split()[0].split("+")[-1] for line in fonts if line.strip()})
            size = sum(p.stat().st_size for p in args.out.glob(f"{key}-*.png"))
            total += size
            count = page_count(pdf)
            print(f"{key}: {count} pages, fonts {', '.join(names)}, PNG {size // 1024} KB")
            links = ", ".join(f"[{n}]({key}-{n:02d}.png)" for n in range(1, count + 1))
            index.append(f"| `{key}` | {as_of:%d/%m/%Y} | {count}: {links} |")
            if args.pdf_dir:
                args.pdf_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(pdf, args.pdf_dir / f"bao_cao_{key}.pdf")
        (args.out / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
        print(f"{args.out}: {total // 1024} KB of PNG")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
