"""Distribution: hand-out copies per group, scheduled consolidation, sending the report upward.

The entry points, each in its module (see the module docstrings for the edge cases):

* :func:`cchc_xl.distribute.handout.handout` — one ``.xlsx`` per group;
* :func:`cchc_xl.distribute.consolidate.consolidate` — exit codes 0 ok / 2 rejections / 3 failed / 4 busy;
* :func:`cchc_xl.distribute.send.send_report` — values-only ``.xlsx`` + PDF by e-mail, or a ``.eml`` draft.

The package imports nothing itself, so a command that needs one of them does not pay for the others. The
``handout``, ``consolidate`` and ``send`` commands are registered with every other in :mod:`cchc_xl.cli`.
"""
