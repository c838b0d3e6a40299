"""ecoledger: a measured, priced, auditable net-benefit ledger for ML models."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ecoledger")
except PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
