"""The limits every workbook read obeys (documented in docs/PROMISES.md).

A small hostile file must cost little: decompression is counted as it streams and stopped at a cap
(never trusting the sizes the zip declares), and the work done on a sheet or a table is proportional to
the cells the file really holds, never to a range it declares (``A1:XFD1048576`` is 17 billion cells).

* ``MAX_UNZIPPED_BYTES`` — a workbook (the master, an ``.xlsx`` import file) may inflate to at most this;
* ``MAX_COPY_UNZIPPED_BYTES`` — the same for a file returned to an inbox: a group's copy (``consolidate``) or a
  school's exchange file (``rollup``, through ``io.inbox``): such files are small;
* ``MAX_PARTS`` — zip members in one package;
* ``MAX_RATIO`` — inflated/compressed ratio allowed for a member larger than ``RATIO_MIN_SIZE``
  (Excel's own sheets stay well under 100:1; a bomb is 1000:1);
* ``MAX_BLANK_CELLS`` — how many positions without a cell a table (or the block a reader must lay out)
  may span beyond the cells that exist; past it the file is refused with a reason.
"""

from __future__ import annotations

__all__ = ["MAX_UNZIPPED_BYTES", "MAX_COPY_UNZIPPED_BYTES", "MAX_PARTS", "MAX_RATIO", "RATIO_MIN_SIZE",
           "MAX_BLANK_CELLS"]

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_COPY_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_PARTS = 20_000
MAX_RATIO = 250
RATIO_MIN_SIZE = 1024 * 1024
MAX_BLANK_CELLS = 2_000_000
