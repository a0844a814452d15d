"""Benchmark, load test and their shared pieces: a national-scale seed and the measured pages.

``make bench`` runs ``bench/run.py``, ``make load`` runs ``bench/load.py``; both have a ``--small``
mode that the test suite runs so they cannot rot. Latest figures: ``bench/RESULTS.md``.
"""
