"""The school's report (sheet ``Báo cáo``): its layout as a grid of cells, its annexes, the flow onto A4 pages,
its record in the workbook, the text metrics behind row heights, the cell styles and the sheet's frame.

Modules (each imports only those above it in this list, and ``core``/``schema``/``errors``):

* :mod:`~cchc_xl.report.textmetrics` — advance widths of Liberation Serif (Times New Roman's metrics);
* :mod:`~cchc_xl.report.styles` — the report's cell styles by name, specs every writer turns into its own;
* :mod:`~cchc_xl.report.flow` — items (paragraphs, rows, page breaks) measured and placed on pages, and what
  the report and its annexes both print;
* :mod:`~cchc_xl.report.annexes` — the annexes I–IV;
* :mod:`~cchc_xl.report.layout` — the whole report as a :class:`~cchc_xl.report.layout.ReportGrid`;
* :mod:`~cchc_xl.report.record` — the report's record (period, as-of date, data fingerprint) and what ``send``
  checks against it;
* :mod:`~cchc_xl.report.frame` — the sheet's frame written with XlsxWriter (page setup, grid, print area, page
  numbers, chart): used by the workbook build, the exchange file and the Sở's summary page.

The modules are imported by their full names (``from cchc_xl.report.layout import build_report_grid``), so that
reading a record does not load the layout and its font metrics.
"""
