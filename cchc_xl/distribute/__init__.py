"""Distribution: hand-out copies per group, scheduled consolidation, sending the report upward.

Modules (see each one's docstring for the edge cases):

* :mod:`.handout` — :func:`~cchc_xl.distribute.handout.handout`: one ``.xlsx`` per group;
* :mod:`.consolidate` — :func:`~cchc_xl.distribute.consolidate.consolidate`: exit codes 0 ok / 2 rejections /
  3 failed / 4 busy;
* :mod:`.send` — :func:`~cchc_xl.distribute.send.send_report`: values-only ``.xlsx`` + PDF by e-mail, or a
  ``.eml`` draft;
* :mod:`.cli` — :func:`~cchc_xl.distribute.cli.register`: the ``handout``, ``consolidate`` and ``send``
  subcommands of ``cchc-xl``.

Nothing is imported with the package: a command imports the module it runs (``cchc-xl --help`` stays fast).
``send_report`` and ``register`` are also reachable here, on first use.
"""

from __future__ import annotations

__all__ = ["send_report", "register"]


def __getattr__(name: str):
    if name == "send_report":
        from .send import send_report

        return send_report
    if name == "register":
        from .cli import register

        return register
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
