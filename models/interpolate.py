"""Monotone and cubic splines in numpy: `PchipInterpolator` and `CubicSpline` as scipy.interpolate has them
(same derivatives, not-a-knot ends, extrapolation with the end pieces), for the arguments the add-on uses;
tests/test_scipy_equivalence.py checks them against scipy.
"""

import numpy as np


class _HermiteCubic:
    """Piecewise cubic through (x, y) with slopes `dydx`, evaluated like scipy's PPoly."""

    def __init__(self, x: np.ndarray, y: np.ndarray, dydx: np.ndarray, axis: int, extrapolate: bool):
        self.x, self.axis, self.extrapolate = x, axis, extrapolate
        dx = np.diff(x).reshape((-1,) + (1,) * (y.ndim - 1))
        slope = np.diff(y, axis=0) / dx
        t = (dydx[:-1] + dydx[1:] - 2 * slope) / dx
        self.c = np.stack([t / dx, (slope - dydx[:-1]) / dx - t, dydx[:-1], y[:-1]])

    def __call__(self, x_new) -> np.ndarray:
        x_new = np.asarray(x_new, dtype=np.float64)
        flat = x_new.ravel()
        piece = np.clip(np.searchsorted(self.x, flat, side="right") - 1, 0, len(self.x) - 2)
        s = (flat - self.x[piece]).reshape((-1,) + (1,) * (self.c.ndim - 2))
        c = self.c[:, piece]
        z = s * s
        result = c[3] + c[2] * s + c[1] * z + c[0] * (z * s)
        outside = (flat < self.x[0]) | (flat > self.x[-1]) | np.isnan(flat)
        if not self.extrapolate:
            result[outside] = np.nan
        else:
            result[np.isnan(flat)] = np.nan
        result = result.reshape(x_new.shape + result.shape[1:])
        if self.axis != 0 and x_new.ndim > 0:
            result = np.moveaxis(result, list(range(x_new.ndim)), [self.axis + i for i in range(x_new.ndim)])
        return result


def _prepare(x, y, axis: int):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    y = y.astype(np.result_type(y.dtype, np.float64), copy=False)
    axis = axis % y.ndim
    if x.ndim != 1:
        raise ValueError("`x` must be 1-dimensional.")
    if len(x) < 2:
        raise ValueError("`x` must contain at least 2 elements.")
    if len(x) != y.shape[axis]:
        raise ValueError(f"The length of `y` along `axis`={axis} doesn't match the length of `x`")
    if not np.all(np.isfinite(x)):
        raise ValueError("`x` must contain only finite values.")
    if np.any(np.diff(x) <= 0):
        raise ValueError("`x` must be strictly increasing sequence.")
    return x, np.moveaxis(y, axis, 0), axis


class PchipInterpolator(_HermiteCubic):
    """scipy.interpolate.PchipInterpolator: shape-preserving cubic (Fritsch-Butland slopes, one-sided
    three-point ends)."""

    def __init__(self, x, y, axis: int = 0, extrapolate: bool = None):
        x, y, axis = _prepare(x, y, axis)
        super().__init__(x, y, self._slopes(x, y), axis, True if extrapolate is None else extrapolate)

    @staticmethod
    def _edge(h0, h1, m0, m1):
        d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
        wrong_sign = np.sign(d) != np.sign(m0)
        overshoot = (np.sign(m0) != np.sign(m1)) & (np.abs(d) > 3.0 * np.abs(m0))
        d = np.where(wrong_sign, 0.0, d)
        return np.where(~wrong_sign & overshoot, 3.0 * m0, d)

    @classmethod
    def _slopes(cls, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        shape = y.shape
        y = y.reshape(len(y), -1)
        h = np.diff(x)[:, None]
        m = np.diff(y, axis=0) / h
        if len(y) == 2:
            return np.broadcast_to(m[0], y.shape).reshape(shape).copy()
        sign = np.sign(m)
        flat = (sign[1:] != sign[:-1]) | (m[1:] == 0) | (m[:-1] == 0)
        w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            harmonic = (w1 / m[:-1] + w2 / m[1:]) / (w1 + w2)
            inner = np.where(flat, 0.0, 1.0 / harmonic)
        d = np.empty_like(y)
        d[1:-1] = inner
        d[0] = cls._edge(h[0], h[1], m[0], m[1])
        d[-1] = cls._edge(h[-1], h[-2], m[-1], m[-2])
        return d.reshape(shape)


class CubicSpline(_HermiteCubic):
    """scipy.interpolate.CubicSpline with its default not-a-knot ends (a straight line through two points,
    a parabola through three)."""

    def __init__(self, x, y, axis: int = 0, bc_type: str = "not-a-knot", extrapolate: bool = None):
        if bc_type != "not-a-knot":
            raise TypeError("only bc_type='not-a-knot' is supported")
        x, y, axis = _prepare(x, y, axis)
        super().__init__(x, y, self._slopes(x, y), axis, True if extrapolate is None else extrapolate)

    @staticmethod
    def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        n = len(x)
        dx = np.diff(x)
        dxr = dx.reshape((-1,) + (1,) * (y.ndim - 1))
        slope = np.diff(y, axis=0) / dxr
        if n == 2:
            return np.broadcast_to(slope[0], y.shape).copy()
        if n == 3:
            A = np.array([[1.0, 1.0, 0.0], [dx[1], 2 * (dx[0] + dx[1]), dx[0]], [0.0, 1.0, 1.0]])
            b = np.stack([2 * slope[0], 3 * (dxr[0] * slope[1] + dxr[1] * slope[0]), 2 * slope[1]])
            return np.linalg.solve(A, b.reshape(3, -1)).reshape(y.shape)
        # The tridiagonal system scipy solves: lower, diagonal, upper and right-hand side per row.
        lower, diagonal, upper = np.zeros(n), np.zeros(n), np.zeros(n)
        diagonal[1:-1] = 2 * (dx[:-1] + dx[1:])
        upper[1:-1] = dx[:-1]
        lower[1:-1] = dx[1:]
        b = np.empty(y.shape)
        b[1:-1] = 3 * (dxr[1:] * slope[:-1] + dxr[:-1] * slope[1:])
        d = x[2] - x[0]
        diagonal[0], upper[0] = dx[1], d
        b[0] = ((dxr[0] + 2 * d) * dxr[1] * slope[0] + dxr[0] ** 2 * slope[1]) / d
        d = x[-1] - x[-3]
        diagonal[-1], lower[-1] = dx[-2], d
        b[-1] = (dxr[-1] ** 2 * slope[-2] + (2 * d + dxr[-1]) * dxr[-2] * slope[-1]) / d
        return _solve_tridiagonal(lower, diagonal, upper, b)


def _solve_tridiagonal(lower: np.ndarray, diagonal: np.ndarray, upper: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row i: lower[i] * s[i-1] + diagonal[i] * s[i] + upper[i] * s[i+1] = b[i] (Thomas algorithm; the spline
    systems are diagonally dominant apart from the not-a-knot rows, which need no pivoting either)."""
    n = len(diagonal)
    c = np.empty(n)
    d = np.empty_like(b)
    c[0] = upper[0] / diagonal[0]
    d[0] = b[0] / diagonal[0]
    for i in range(1, n):
        pivot = diagonal[i] - lower[i] * c[i - 1]
        c[i] = upper[i] / pivot
        d[i] = (b[i] - lower[i] * d[i - 1]) / pivot
    for i in range(n - 2, -1, -1):
        d[i] -= c[i] * d[i + 1]
    return d
