"""Distribution: hand-out copies per group, scheduled consolidation, sending the report upward.

Public entry points (see each module's docstring for the edge cases):

* :func:`handout` (module ``handout``) — one ``.xlsx`` per group;
* :func:`consolidate` (module ``consolidate``) — exit codes 0 ok / 2 rejections / 3 failed / 4 busy;
* :func:`send_report` (module ``send``) — values-only ``.xlsx`` + PDF by e-mail, or a ``.eml`` draft;
* :func:`register` (module ``cli``) — adds the ``handout``, ``consolidate`` and ``send`` subcommands to
  the main ``cchc-xl`` argument parser.

Note: the names ``handout`` and ``consolidate`` here are the functions; the modules of the same name
are reached with ``import cchc_xl.distribute.handout as m`` / ``from cchc_xl.distribute.handout import …``.
"""

from .cli import register
from .consolidate import consolidate
from .handout import handout
from .send import send_report

__all__ = ["handout", "consolidate", "send_report", "register"]
