"""The errors and warnings gmm_core raises, in three tiers.

1. :class:`ConvergenceWarning` -- soft trouble: EM stopped at ``max_iter``
   before the log-likelihood settled.  The result is usable; the warning says
   what to change.
2. :class:`ValueError` -- a bad argument from a programmer (``n_components=0``,
   an unknown ``covariance_type``) or a fit that cannot go on (a collapsed
   component).  The message names the parameter, what was expected, what was
   received and a remedy.
3. :class:`DataError` -- bad *data* from a user (an upload that is empty, not
   text, has no numeric columns, ...).  It is a ``ValueError`` so generic
   handlers still catch it, and its message is written for a non-programmer:
   what is wrong, where (column, row) and what to do.
"""

__all__ = ["ConvergenceWarning", "DataError"]


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the change in the lower bound fell below ``tol``."""


class DataError(ValueError):
    """The user's data cannot be used as it is; the message says why and what to do.

    Parameters
    ----------
    message : str
        Plain-language explanation: what is wrong, where, and what to do.
    column : str, optional
        The column concerned, when there is one.
    row : int, optional
        The 1-based line of the file concerned, when known.
    """

    def __init__(self, message, *, column=None, row=None):
        super().__init__(message)
        self.column = column
        self.row = row
