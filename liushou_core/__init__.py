"""liushou — 农村“三留守”人员摸排工作台 (the rural three-left-behind survey workbench).

The public API is re-exported here; each concept lives in its own module.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from liushou_core.errors import ConfigError, DecisionsError, InputFileError, LiushouError, ParameterError

try:
    __version__ = version("liushou")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "ConfigError",
    "DecisionsError",
    "InputFileError",
    "LiushouError",
    "ParameterError",
    "__version__",
]
