"""Errors a user can act on: each names the file, record and reason.

Each class carries the process exit code the CLI and the DVC scripts use
(``getattr(exc, "exit_code", 1)``): 0 success, 1 a build or validation failure, 2 a usage
error (a refused output folder, a held lock, bad parameters).
"""

from __future__ import annotations


class AkhbarError(Exception):
    """An error shown to the user as one clear line, never a bare traceback."""

    exit_code = 1


class UsageError(AkhbarError):
    """The command cannot start as given: refused output folder, lock held, bad
    parameters or an empty input. Nothing was written."""

    exit_code = 2


class ValidationFailed(AkhbarError):
    """The expectation suites rejected the built dataset."""


class BuildCollapsed(AkhbarError):
    """The build kept too little (``build`` floors in ``params.yaml``): a corpus read with
    the wrong reader or decoder must fail loudly, not publish a near-empty dataset."""
