"""The sample county (大英县, 2017 year-end survey): realistic township returns and their answer key.

``liushou sample`` calls :func:`write_sample`; benchmarks use :func:`write_large_csv` and
:func:`synthetic_people`. See :mod:`.county` for the whole chain, :mod:`.write` for the files, and :mod:`.rounds` for the following survey
rounds (``liushou sample --round 2019``) and the truth of what changed between them.
"""

from liushou_core.sample.county import build_county, synthetic_people
from liushou_core.sample.people import SEED_COUNTS
from liushou_core.sample.rounds import build_round
from liushou_core.sample.write import SampleResult, write_large_csv, write_sample

__all__ = [
    "SEED_COUNTS",
    "SampleResult",
    "build_county",
    "build_round",
    "synthetic_people",
    "write_large_csv",
    "write_sample",
]
