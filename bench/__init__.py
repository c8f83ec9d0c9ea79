"""Benchmarks of the connector (not tests: they report figures and never fail a build).

``python -m bench`` runs every section and prints one table; ``python -m bench --quick`` runs
a shorter version.  Each comparison interleaves its contenders in rounds (A B A B ...) after a
warm-up, so a busy machine shows up as a wide per-round spread rather than a wrong ratio.
The emulator always runs in a process of its own, so server work never shares the client's
interpreter.  The figures go to ``bench/out/results.json`` (not tracked), or ``--output PATH``.

Sections: ``send`` (one send, four clients), ``steps``, ``validation``, ``signing``,
``startup``, ``threads`` and ``memory``; each is a ``Section`` object (``bench/_sections.py``)
in its module, so a new section is one new module.
"""
