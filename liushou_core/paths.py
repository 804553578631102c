"""The one place that defines where things live: package data, the params/ folder, outputs."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
REPO_DIR = PACKAGE_DIR.parent


def params_dir() -> Path:
    """The folder of dated parameter files: ``$LIUSHOU_PARAMS`` if set, else ``params/`` of the checkout."""
    env = os.environ.get("LIUSHOU_PARAMS")
    return Path(env) if env else REPO_DIR / "params"


def outputs_dir() -> Path:
    """Default root for generated files: ``$LIUSHOU_OUTPUTS`` if set, else ``outputs/`` of the checkout."""
    env = os.environ.get("LIUSHOU_OUTPUTS")
    return Path(env) if env else REPO_DIR / "outputs"
