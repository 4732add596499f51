"""The canonical dataset folder (shared/data-contract.md): specs, file reading, coercion, validation."""

from .reader import Dataset, read_dataset

__all__ = ["Dataset", "read_dataset"]
