"""privattack's version, from the installed package's metadata (its one source: pyproject.toml)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("privattack")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
