"""Demo data sets: where a Gaussian mixture shines, and two classics.

Every loader returns a :class:`DemoDataset` -- the numeric ``features`` to cluster
(a DataFrame whose column names carry units), the true ``labels`` with their
``label_names``, a display ``name`` for the sidebar, the full ``frame`` a user
would download as CSV, and, for the synthetic sets, the true mixture
``params`` (weights, means, covariances) so a fitted model can be checked
against the truth.

Why these sets?  K-means assigns each point to the nearest centre, so it can
only draw *straight, equidistant* borders and silently assumes round clusters
of equal spread.  A Gaussian mixture learns a full covariance per component,
so it can follow long, tilted, correlated clusters of different sizes:

* :func:`make_elongated_blobs` -- long thin tilted clusters lying side by
  side, staggered like a staircase.  With the defaults K-means cuts across
  them while a full-covariance mixture recovers them almost exactly.
* :func:`make_customers` -- a mall-customers style export (annual income vs.
  spending score) with five segments of unequal size, spread and
  correlation, plus the ID/age/gender/city columns a real export carries.
* :func:`load_iris_data`, :func:`load_wine_data` -- the scikit-learn
  classics, offline, with units in the column names.

Synthetic generators take a keyword-only ``random_state`` and shuffle their
rows, so the same seed always gives the same rows in the same order.

Examples
--------
>>> ds = make_elongated_blobs(n_samples=90, random_state=1)
>>> ds.features.shape, ds.labels.shape, ds.label_names
((90, 2), (90,), ['Cluster A', 'Cluster B', 'Cluster C'])
>>> sorted(DEMO_DATASETS)
['Elongated clusters', 'Iris flowers', 'Mall customers', 'Wine cultivars']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "DEMO_DATASETS",
    "CUSTOMER_SEGMENTS",
    "DemoDataset",
    "load_iris_data",
    "load_wine_data",
    "make_customers",
    "make_elongated_blobs",
]

#: Segment names of :func:`make_customers`, in label order.  Exact strings:
#: the Segments page names clusters from quantiles and is tested against them.
CUSTOMER_SEGMENTS = (
    "Earn high, spend low",
    "Earn high, spend high",
    "Earn low, spend high",
    "Earn low, spend low",
    "Average",
)

INCOME = "Annual income (k$)"
SPEND = "Spending score (1-100)"


@dataclass
class DemoDataset:
    """A demo data set with its ground truth.

    Attributes
    ----------
    features : pandas.DataFrame
        The numeric columns to cluster, float64, column names with units.
    labels : numpy.ndarray of int, shape (n_samples,)
        True class of each row, indices into ``label_names``.
    label_names : list of str
        Human-readable name of each class.
    name : str
        Display name (sidebar, titles).
    params : dict or None
        The generating mixture, ``{"weights": (K,), "means": (K, D),
        "covariances": (K, D, D)}`` in the units of ``features``, when known
        (synthetic sets), else ``None``.
    frame : pandas.DataFrame
        Everything a user would download as CSV, rows aligned with
        ``features``.  For labelled benchmark sets it adds the label as a
        text column; for the customers export it adds ID/age/gender/city but
        *not* the segment (finding it is the point).
    description : str
        One or two sentences for the Data page.
    """

    features: pd.DataFrame
    labels: np.ndarray
    label_names: list[str]
    name: str
    params: dict | None = None
    frame: pd.DataFrame | None = None
    description: str = ""

    def __post_init__(self):
        if self.frame is None:
            self.frame = self.features.copy()


def _rotation(degrees):
    theta = np.deg2rad(degrees)
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def _sample_mixture(rng, n_samples, weights, means, covariances):
    """Draw ``n_samples`` points with exactly rounded component counts, shuffled."""
    counts = np.floor(np.asarray(weights) * n_samples).astype(int)
    # hand the remainder to the largest fractional parts, deterministically
    rest = n_samples - counts.sum()
    order = np.argsort(-(np.asarray(weights) * n_samples - counts), kind="stable")
    counts[order[:rest]] += 1
    labels = np.repeat(np.arange(len(counts)), counts)
    X = np.empty((n_samples, means.shape[1]))
    for k, n_k in enumerate(counts):
        X[labels == k] = rng.multivariate_normal(means[k], covariances[k], size=n_k)
    perm = rng.permutation(n_samples)
    return X[perm], labels[perm]


def make_elongated_blobs(
    n_samples: int = 600,
    n_components: int = 3,
    n_features: int = 2,
    *,
    elongation: float = 6.0,
    rotation: float = 30.0,
    separation: float = 6.0,
    stagger: float = 1.0,
    unequal_sizes: bool = False,
    random_state: int | np.random.Generator = 0,
) -> DemoDataset:
    """Long, thin, parallel clusters where K-means fails and a GMM succeeds.

    Every component has the same covariance: standard deviation
    ``elongation`` along its long axis and 1 along its short axis, tilted by
    ``rotation`` degrees.  The centres form a staircase: neighbours are
    ``separation`` short-axis standard deviations apart *across* the clusters
    and ``stagger`` long-axis standard deviations apart *along* them.
    K-means, which wants round clusters, slices across the long axes; a
    full-covariance mixture follows them.

    Parameters
    ----------
    n_samples : int, default=600
    n_components : int, default=3
    n_features : int, default=2
        Features beyond the first two are independent standard-normal noise
        (the same for every component), so only the first two separate.
    elongation : float, default=6.0
        Axis ratio: long-axis over short-axis standard deviation (>= 1).
    rotation : float, default=30.0
        Tilt of the long axis, in degrees counter-clockwise from x.
    separation : float, default=6.0
        Distance between neighbouring centres across the clusters, in
        short-axis standard deviations.
    stagger : float, default=1.0
        Shift between neighbouring centres along the clusters, in long-axis
        standard deviations (0 puts them exactly side by side).
    unequal_sizes : bool, default=False
        If True, component ``k`` gets weight proportional to ``k + 1``.
    random_state : int or numpy.random.Generator, default=0

    Returns
    -------
    DemoDataset
        ``params`` holds the true weights, means and covariances.

    Examples
    --------
    >>> ds = make_elongated_blobs(n_samples=60, unequal_sizes=True, random_state=3)
    >>> list(ds.features.columns)
    ['x1 (a.u.)', 'x2 (a.u.)']
    >>> np.bincount(ds.labels).tolist()
    [10, 20, 30]
    >>> ds.params["covariances"].shape
    (3, 2, 2)
    """
    n_samples, n_components, n_features = int(n_samples), int(n_components), int(n_features)
    if n_samples < n_components:
        raise ValueError(f"n_samples must be >= n_components ({n_components}), got {n_samples}.")
    if n_components < 1 or n_features < 2:
        raise ValueError(
            f"need n_components >= 1 and n_features >= 2, got {n_components} and {n_features}."
        )
    if elongation < 1:
        raise ValueError(f"elongation is an axis ratio and must be >= 1, got {elongation}.")
    rng = np.random.default_rng(random_state)
    R = _rotation(rotation)
    long_axis, short_axis = R[:, 0], R[:, 1]
    cov2 = R @ np.diag([elongation**2, 1.0]) @ R.T
    steps = np.arange(n_components) - (n_components - 1) / 2
    centre2 = steps[:, None] * (separation * short_axis + stagger * elongation * long_axis)
    means = np.zeros((n_components, n_features))
    means[:, :2] = centre2
    cov = np.eye(n_features)
    cov[:2, :2] = cov2
    covariances = np.repeat(cov[None], n_components, axis=0)
    weights = np.arange(1.0, n_components + 1) if unequal_sizes else np.ones(n_components)
    weights /= weights.sum()
    X, labels = _sample_mixture(rng, n_samples, weights, means, covariances)
    columns = [f"x{j + 1} (a.u.)" for j in range(n_features)]
    features = pd.DataFrame(X, columns=columns)
    names = [f"Cluster {_letter(k)}" for k in range(n_components)]
    frame = features.assign(Cluster=[names[k] for k in labels])
    return DemoDataset(
        features=features,
        labels=labels,
        label_names=names,
        name="Elongated clusters",
        params={"weights": weights, "means": means, "covariances": covariances},
        frame=frame,
        description=(
            f"{n_components} long, thin clusters tilted by {rotation:g} degrees. "
            "K-means cuts across them; a full-covariance mixture follows them."
        ),
    )


def _letter(k):
    return chr(ord("A") + k) if k < 26 else str(k + 1)


# Segment geometry: (weight, income mean, spend mean, income sd, spend sd, correlation)
_SEGMENT_SPECS = {
    "Earn high, spend low": (0.15, 90.0, 17.0, 13.0, 6.0, -0.6),
    "Earn high, spend high": (0.13, 88.0, 83.0, 12.0, 6.0, 0.6),
    "Earn low, spend high": (0.09, 24.0, 80.0, 5.0, 8.0, -0.5),
    "Earn low, spend low": (0.10, 25.0, 20.0, 5.0, 8.0, 0.5),
    "Average": (0.53, 55.0, 50.0, 12.0, 10.0, 0.2),
}

_CITIES = ("Springfield", "Riverside", "Fairview", "Lakewood", "Greenville")


def make_customers(n_samples: int = 1000, *, n_segments: int = 5, extra_columns: bool = True,
                   random_state: int | np.random.Generator = 0) -> DemoDataset:
    """A mall-customers style export: income vs. spending score in segments.

    Five segments of unequal size and spread, with some correlation inside
    each, the corners tighter than the large diffuse "Average" middle -- the
    unequal spreads are what trip up K-means.  Income is rounded to 0.1 k$
    and clipped at 5; the spending score is an integer clipped to 1..100.

    Parameters
    ----------
    n_samples : int, default=1000
    n_segments : {4, 5}, default=5
        With 4 the "Average" segment is left out.
    extra_columns : bool, default=True
        Add "CustomerID", "Gender", "Age" and "City" to ``frame`` so it looks
        like a real export.  ``features`` always holds only income and score.
    random_state : int or numpy.random.Generator, default=0

    Returns
    -------
    DemoDataset
        ``label_names`` are exact strings from :data:`CUSTOMER_SEGMENTS`;
        ``params`` is the generating mixture (before rounding and clipping).

    Examples
    --------
    >>> ds = make_customers(200, random_state=0)
    >>> list(ds.features.columns)
    ['Annual income (k$)', 'Spending score (1-100)']
    >>> list(ds.frame.columns)
    ['CustomerID', 'Gender', 'Age', 'City', 'Annual income (k$)', 'Spending score (1-100)']
    >>> ds.label_names[-1]
    'Average'
    >>> bool(ds.features["Spending score (1-100)"].between(1, 100).all())
    True
    """
    if n_segments not in (4, 5):
        raise ValueError(f"n_segments must be 4 or 5, got {n_segments!r}.")
    n_samples = int(n_samples)
    if n_samples < n_segments:
        raise ValueError(f"n_samples must be >= n_segments ({n_segments}), got {n_samples}.")
    names = list(CUSTOMER_SEGMENTS[:n_segments])
    specs = np.array([_SEGMENT_SPECS[s] for s in names])
    weights = specs[:, 0] / specs[:, 0].sum()
    means = specs[:, 1:3].copy()
    sd = specs[:, 3:5]
    rho = specs[:, 5]
    covariances = np.empty((n_segments, 2, 2))
    covariances[:, 0, 0] = sd[:, 0] ** 2
    covariances[:, 1, 1] = sd[:, 1] ** 2
    covariances[:, 0, 1] = covariances[:, 1, 0] = rho * sd[:, 0] * sd[:, 1]
    rng = np.random.default_rng(random_state)
    X, labels = _sample_mixture(rng, n_samples, weights, means, covariances)
    income = np.clip(np.round(X[:, 0], 1), 5.0, None)
    spend = np.clip(np.round(X[:, 1]), 1, 100).astype(float)
    features = pd.DataFrame({INCOME: income, SPEND: spend})
    if extra_columns:
        # Younger customers spend a little more; ages 18..75.
        age = np.clip(np.round(52 - 0.25 * (spend - 50) + rng.normal(0, 11, n_samples)), 18, 75)
        gender = rng.choice(["Female", "Male"], size=n_samples, p=[0.56, 0.44])
        city = rng.choice(_CITIES, size=n_samples, p=[0.3, 0.25, 0.2, 0.15, 0.1])
        frame = pd.DataFrame(
            {
                "CustomerID": [f"C{i:05d}" for i in range(1, n_samples + 1)],
                "Gender": gender,
                "Age": age.astype(int),
                "City": city,
                INCOME: income,
                SPEND: spend,
            }
        )
    else:
        frame = features.copy()
    return DemoDataset(
        features=features,
        labels=labels,
        label_names=names,
        name="Mall customers",
        params={"weights": weights, "means": means, "covariances": covariances},
        frame=frame,
        description=(
            "Annual income and spending score of mall customers in "
            f"{n_segments} segments of unequal size and spread."
        ),
    )


def _from_sklearn(bunch, columns, label_column, name, description):
    features = pd.DataFrame(np.asarray(bunch.data, dtype=float), columns=columns)
    labels = np.asarray(bunch.target, dtype=int)
    names = [str(t).replace("_", " ").capitalize() for t in bunch.target_names]
    frame = features.assign(**{label_column: [names[k] for k in labels]})
    return DemoDataset(
        features=features,
        labels=labels,
        label_names=names,
        name=name,
        params=None,
        frame=frame,
        description=description,
    )


def load_iris_data() -> DemoDataset:
    """Fisher's iris flowers: 150 flowers, 4 measurements in cm, 3 species.

    Returns
    -------
    DemoDataset

    Examples
    --------
    >>> ds = load_iris_data()
    >>> ds.features.shape, ds.label_names
    ((150, 4), ['Setosa', 'Versicolor', 'Virginica'])
    >>> ds.features.columns[0]
    'Sepal length (cm)'
    """
    from sklearn.datasets import load_iris

    columns = ["Sepal length (cm)", "Sepal width (cm)", "Petal length (cm)", "Petal width (cm)"]
    return _from_sklearn(
        load_iris(),
        columns,
        "Species",
        "Iris flowers",
        "Sepal and petal sizes of 150 iris flowers from three species.",
    )


_WINE_COLUMNS = [
    "Alcohol (% vol)",
    "Malic acid (g/L)",
    "Ash (g/L)",
    "Alcalinity of ash",
    "Magnesium (mg/L)",
    "Total phenols",
    "Flavanoids",
    "Nonflavanoid phenols",
    "Proanthocyanins",
    "Color intensity",
    "Hue",
    "OD280/OD315 of diluted wines",
    "Proline",
]


def load_wine_data() -> DemoDataset:
    """The UCI wine data: 178 Italian wines, 13 chemical measurements, 3 cultivars.

    Returns
    -------
    DemoDataset

    Examples
    --------
    >>> ds = load_wine_data()
    >>> ds.features.shape, ds.label_names
    ((178, 13), ['Cultivar 1', 'Cultivar 2', 'Cultivar 3'])
    """
    from sklearn.datasets import load_wine

    bunch = load_wine()
    bunch.target_names = np.array(["Cultivar 1", "Cultivar 2", "Cultivar 3"])
    return _from_sklearn(
        bunch,
        _WINE_COLUMNS,
        "Cultivar",
        "Wine cultivars",
        "Chemical analysis of 178 wines grown in one region of Italy by three cultivators.",
    )


#: Display name -> zero-argument loader, for the Data page's picker.
DEMO_DATASETS: dict[str, Callable[[], DemoDataset]] = {
    "Elongated clusters": make_elongated_blobs,
    "Mall customers": make_customers,
    "Iris flowers": load_iris_data,
    "Wine cultivars": load_wine_data,
}
