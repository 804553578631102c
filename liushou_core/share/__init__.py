"""Department copies of a run (部门共享): masked, re-rendered, in their own tree.

- :mod:`.profiles` — what each department receives (``params/departments/*.yaml``);
- :mod:`.tables` — the catalogue of shareable tables, built with the workbooks' functions;
- :mod:`.masking` — columns allowed, IDs, phones and names masked, numbers in free text hidden;
- :mod:`.render` — self-contained HTML pages and Excel ledgers;
- :mod:`.scan` — the last gate: no whole ID or mobile number in any file;
- :mod:`.bundle` — ``liushou share``: where a copy goes and how it is published.
"""

from liushou_core.share.bundle import BundleResult, default_out, share_command, share_run
from liushou_core.share.profiles import DepartmentProfile, find_profile, load_profiles
from liushou_core.share.scan import Finding, PersonalDataLeak, scan_folder

__all__ = [
    "BundleResult",
    "DepartmentProfile",
    "Finding",
    "PersonalDataLeak",
    "default_out",
    "find_profile",
    "load_profiles",
    "scan_folder",
    "share_command",
    "share_run",
]
