"""Placeholder: being written (issue 4). Re-exported by dlnotes.conv."""
__all__ = []
