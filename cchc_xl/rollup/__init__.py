"""The Sở's side: ``cchc-xl rollup`` reads every school's exchange file, stores it (SQLite), aggregates
(pandas) and writes the Sở's workbook (XlsxWriter). Modules: :mod:`.run` (the flow), :mod:`.store`,
:mod:`.aggregate`, :mod:`.workbook`, :mod:`.summary_page`, :mod:`.cli` (the subcommand). Nothing is
imported here, so that ``cchc-xl --help`` stays fast.
"""
