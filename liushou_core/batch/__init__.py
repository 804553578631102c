"""``liushou run``: the cleaning once, then every township's workbooks in parallel, then the county overview.

:mod:`.run` runs the stages; :mod:`.plan` decides which notebooks run and which are kept; :mod:`.task` is one
notebook to run; :mod:`.executors` decides where (here or on a Dask cluster); :mod:`.processes` starts and
watches the worker processes; :mod:`.worker` is one of them; :mod:`.execute` runs a notebook with papermill
(:mod:`.warmkernel` starts its kernel warm); :mod:`.manifest` records the run; :mod:`.settings` reads its
settings. Where everything goes is :mod:`liushou_core.runfolder`'s.
"""
