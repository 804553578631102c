"""Tests mirror the package (tests/cleaning/ for liushou_core/cleaning/, …); this file's folder is put on
sys.path by pytest, so the shared fixtures (run_fixture.py, person_frames.py) import from every sub-folder."""
