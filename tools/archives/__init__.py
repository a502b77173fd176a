"""Safe extraction of untrusted tar and zip archives: the only way the project unpacks one."""

from tools.archives.errors import UnsafeArchiveError
from tools.archives.limits import ExtractionLimits, ExtractionSummary, LimitOverrides
from tools.archives.tar_extract import safe_extract_tar
from tools.archives.zip_extract import safe_extract_zip

__all__ = [
    "ExtractionLimits",
    "ExtractionSummary",
    "LimitOverrides",
    "UnsafeArchiveError",
    "safe_extract_tar",
    "safe_extract_zip",
]
