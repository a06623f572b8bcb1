"""Errors a user can act on: each names the file, record and reason."""

from __future__ import annotations


class AkhbarError(Exception):
    """An error shown to the user as one clear line, never a bare traceback."""


class ValidationFailed(AkhbarError):
    """The expectation suites rejected the built dataset."""
