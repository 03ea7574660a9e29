"""The errors and warnings gmm_core raises, in three tiers, and the numeric limits behind them.

1. :class:`ConvergenceWarning` -- soft trouble: EM stopped at ``max_iter``
   (or at its time budget) before the log-likelihood settled.  The result is
   usable; the warning says what to change.
2. :class:`ValueError` -- a bad argument from a programmer (``n_components=0``,
   an unknown ``covariance_type``) or a fit that cannot go on.  The message
   names the parameter, what was expected, what was received and a remedy.
   A collapsed component is the typed :class:`CollapseError`, so callers that
   retry with more regularisation catch it by type, never by its wording;
   a method called before ``fit`` raises :class:`NotFittedError`.

:class:`ConvergenceWarning` and :class:`NotFittedError` subclass scikit-learn's
classes of the same names, so filters and handlers written for scikit-learn
catch ours.
3. :class:`DataError` -- bad *data* from a user (an upload that is empty, not
   text, has no numeric columns, ...).  It is a ``ValueError`` so generic
   handlers still catch it, and its message is written for a non-programmer:
   what is wrong, where (column, row) and what to do.

The limits are defined here once: the reader refuses columns beyond them and
the estimator refuses arrays beyond them, for the same reason -- the fit
squares the values.
"""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = ["MAX_MAGNITUDE", "MIN_SPREAD", "CollapseError", "ConvergenceWarning", "DataError",
           "FitInterrupted", "NotFittedError"]

#: 1e150: the largest size of value kept.  Fitting squares the values (variances,
#: Mahalanobis distances), and squares of larger values overflow double precision.
MAX_MAGNITUDE = 1e150
#: 1e-150: the smallest spread (max - min) of a feature column.  The variance of a
#: smaller spread underflows to zero.
MIN_SPREAD = 1e-150


class ConvergenceWarning(_SklearnConvergenceWarning):
    """EM stopped at ``max_iter`` before the change in the lower bound fell below ``tol``.

    A subclass of scikit-learn's ``ConvergenceWarning`` (itself a ``UserWarning``), so
    ``warnings.filterwarnings("ignore", category=sklearn.exceptions.ConvergenceWarning)``
    silences it too.
    """


class NotFittedError(_SklearnNotFittedError):
    """A method that needs a fitted model was called before ``fit``.

    A subclass of scikit-learn's ``NotFittedError`` (a ``ValueError`` and an
    ``AttributeError``), so ``except sklearn.exceptions.NotFittedError`` catches it.
    """


class FitInterrupted(Exception):
    """A fit was stopped from outside before it finished (:func:`gmm_core.mixture.stop_when`).

    Not a ``ValueError``: nothing went wrong with the data or the arguments, the
    caller no longer wants the result (its user left, or asked for another).
    """


class CollapseError(ValueError):
    """A component's covariance is not positive definite: it collapsed onto a line, plane or point.

    Attributes
    ----------
    component : int or None
        The component that collapsed (None for the shared ``tied`` covariance).
    """

    def __init__(self, message: str, *, component: int | None = None) -> None:
        super().__init__(message)
        self.component = component


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

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.row = row
