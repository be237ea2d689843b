"""The project's one home for quaternion conventions: w-first unit quaternions, and `Rotation`.

Every other module calls these instead of writing its own quaternion algebra. `Rotation` is a numpy
stand-in for the part of `scipy.spatial.transform.Rotation` the add-on uses, with scipy's conventions and
algorithms (quaternions scalar-LAST inside `Rotation`, the same signs, angles and warnings), so the
extension ships without scipy; tests/test_scipy_equivalence.py checks it against scipy.
"""

import math
import re
import warnings

import numpy as np

IDENTITY_WXYZ = np.array([1.0, 0.0, 0.0, 0.0])


class Rotation:
    """Rotations in 3-D, the subset of `scipy.spatial.transform.Rotation` that SoundMotion uses, in numpy.

    Same conventions as scipy: quaternions are (x, y, z, w), scalar LAST; lower-case Euler sequences are
    extrinsic and upper-case intrinsic; an object holds either a single rotation or a stack of them (built
    from 1-D or 2-D input), and the same algorithms give the same quaternion signs and Euler angles
    (Markley's method for matrices, Bernardes & Viollet's for Euler angles, the Kabsch/SVD solution and
    scipy's primary-vector solution for `align_vectors`).
    """

    __slots__ = ("_quat", "_single")

    def __init__(self, quat, normalize: bool = True, copy: bool = True, scalar_first: bool = False):
        q = np.array(quat, dtype=np.float64)
        if q.ndim not in (1, 2) or q.shape[-1] != 4:
            raise ValueError(f"Expected `quat` to have shape (4,) or (N, 4), got {q.shape}.")
        if scalar_first:
            q = np.roll(q, -1, axis=-1)
        if normalize:
            norms = np.linalg.norm(q, axis=-1, keepdims=True)
            if np.any(norms == 0):
                raise ValueError("Found zero norm quaternions in `quat`.")
            q = q / norms
        self._single = q.ndim == 1
        self._quat = q.reshape(-1, 4)

    @classmethod
    def _raw(cls, quat_xyzw: np.ndarray, single: bool) -> "Rotation":
        rotation = cls.__new__(cls)
        rotation._quat = quat_xyzw.reshape(-1, 4)
        rotation._single = single
        return rotation

    # ---- construction ----
    @classmethod
    def from_quat(cls, quat, *, scalar_first: bool = False) -> "Rotation":
        return cls(quat, scalar_first=scalar_first)

    @classmethod
    def identity(cls, num: int = None) -> "Rotation":
        quat = np.zeros((1 if num is None else num, 4))
        quat[:, 3] = 1.0
        return cls._raw(quat, num is None)

    @classmethod
    def from_matrix(cls, matrix, *, assume_valid: bool = False) -> "Rotation":
        m = np.array(matrix, dtype=np.float64)
        if m.ndim not in (2, 3) or m.shape[-2:] != (3, 3):
            raise ValueError(f"Expected `matrix` to have shape (3, 3) or (N, 3, 3), got {m.shape}")
        single = m.ndim == 2
        m = m.reshape(-1, 3, 3)
        if not assume_valid:
            bad = np.linalg.det(m) <= 0
            if np.any(bad):
                index = int(np.flatnonzero(bad)[0])
                raise ValueError("Non-positive determinant (left-handed or null coordinate frame) in "
                                 f"rotation matrix {index}: {m[index]}.")
            gram = m @ np.swapaxes(m, -1, -2)
            not_orthogonal = ~np.all(np.isclose(gram, np.eye(3), atol=1e-12), axis=(-2, -1))
            if np.any(not_orthogonal):   # the nearest rotation matrix, as scipy does
                u, _, vt = np.linalg.svd(m[not_orthogonal])
                m[not_orthogonal] = u @ vt
        return cls._raw(_quat_from_orthogonal(m), single)

    @classmethod
    def from_rotvec(cls, rotvec, degrees: bool = False) -> "Rotation":
        v = np.array(rotvec, dtype=np.float64)
        if v.ndim not in (1, 2) or v.shape[-1] != 3:
            raise ValueError(f"Expected `rot_vec` to have shape (3,) or (N, 3), got {v.shape}")
        single = v.ndim == 1
        v = v.reshape(-1, 3)
        if degrees:
            v = np.deg2rad(v)
        return cls._raw(_quat_from_rotvec(v), single)

    @classmethod
    def from_euler(cls, seq: str, angles, degrees: bool = False) -> "Rotation":
        extrinsic = _check_euler_sequence(seq, max_axes=3)
        a = np.array(angles, dtype=np.float64)
        if a.ndim > 2:
            raise ValueError(f"Expected `angles` to be at most 2-dimensional, got shape {a.shape}.")
        single = a.ndim < 2
        a = np.atleast_1d(a)
        if a.shape[-1] != len(seq):
            raise ValueError("Expected last dimension of `angles` to match number of sequence axes "
                             f"specified, got {a.shape[-1]}.")
        a = a.reshape(-1, len(seq))
        if degrees:
            a = np.deg2rad(a)
        quat = None
        for index, axis in enumerate("xyz".index(c) for c in seq.lower()):
            elementary = np.zeros((len(a), 4))
            elementary[:, 3] = np.cos(a[:, index] / 2.0)
            elementary[:, axis] = np.sin(a[:, index] / 2.0)
            if quat is None:
                quat = elementary
            else:
                quat = _compose(elementary, quat) if extrinsic else _compose(quat, elementary)
        return cls._raw(quat, single)

    @classmethod
    def concatenate(cls, rotations) -> "Rotation":
        if isinstance(rotations, Rotation):
            return cls._raw(rotations._quat.copy(), False)
        return cls._raw(np.concatenate([r._quat for r in rotations]), False)

    @classmethod
    def align_vectors(cls, a, b, weights=None, return_sensitivity: bool = False):
        """The rotation that best maps vectors `b` onto `a` (scipy's `align_vectors`: Kabsch/SVD for finite
        weights; with one infinite weight, or a single pair, that pair is aligned exactly)."""
        a = np.atleast_2d(np.asarray(a, dtype=np.float64))
        b = np.atleast_2d(np.asarray(b, dtype=np.float64))
        if a.ndim != 2 or a.shape[-1] != 3 or a.shape != b.shape:
            raise ValueError(f"Expected `a` and `b` of the same shape (3,) or (N, 3), got {a.shape} and {b.shape}.")
        n = len(a)
        weights = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1 or (n > 1 and len(weights) != n):
            raise ValueError("Expected `weights` to hold one value per vector pair.")
        if np.any(weights < 0):
            raise ValueError("`weights` may not contain negative values")
        infinite = np.array([True]) if n == 1 else weights == np.inf
        if infinite.sum() > 1:
            raise ValueError("Only one infinite weight is allowed")
        if infinite.any():
            if return_sensitivity:
                raise ValueError("Cannot return sensitivity matrix with an infinite weight or one vector pair")
            quat, rssd = _align_primary(a, b, weights, infinite)
            return cls._raw(quat, True), rssd
        quat, rssd, sensitivity = _align_kabsch(a, b, weights)
        rotation = cls._raw(quat, True)
        return (rotation, rssd, sensitivity) if return_sensitivity else (rotation, rssd)

    # ---- conversion ----
    @property
    def single(self) -> bool:
        return self._single

    def _out(self, array: np.ndarray):
        return array[0] if self._single else array

    def as_quat(self, canonical: bool = False, *, scalar_first: bool = False) -> np.ndarray:
        quat = _canonical(self._quat) if canonical else self._quat.copy()
        if scalar_first:
            quat = np.roll(quat, 1, axis=-1)
        return self._out(quat)

    def as_matrix(self) -> np.ndarray:
        return self._out(_matrix(self._quat))

    def as_rotvec(self, degrees: bool = False) -> np.ndarray:
        quat = _canonical(self._quat)
        angle = 2.0 * _atan2(np.linalg.norm(quat[:, :3], axis=1), quat[:, 3])
        small = angle <= 1e-3
        angle2 = angle ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            large_scale = angle / np.sin(angle / 2.0)
        scale = np.where(small, 2.0 + angle2 / 12.0 + 7.0 * angle2 ** 2 / 2880.0, large_scale)
        if degrees:
            scale = np.rad2deg(scale)
        return self._out(scale[:, None] * quat[:, :3])

    def as_euler(self, seq: str, degrees: bool = False, *, suppress_warnings: bool = False) -> np.ndarray:
        if len(seq) != 3:
            raise ValueError(f"Expected 3 axes, got {seq}.")
        extrinsic = _check_euler_sequence(seq, max_axes=3)
        angles = _euler_from_quat(self._quat, seq.lower(), extrinsic, suppress_warnings)
        return self._out(np.rad2deg(angles) if degrees else angles)

    def magnitude(self):
        angles = 2.0 * _atan2(np.linalg.norm(self._quat[:, :3], axis=1), np.abs(self._quat[:, 3]))
        return angles[0] if self._single else angles

    # ---- algebra ----
    def inv(self) -> "Rotation":
        quat = self._quat.copy()
        quat[:, :3] *= -1.0
        return Rotation._raw(quat, self._single)

    def apply(self, vectors, inverse: bool = False) -> np.ndarray:
        v = np.asarray(vectors, dtype=np.float64)
        if v.ndim not in (1, 2) or v.shape[-1] != 3:
            raise ValueError(f"Expected input of shape (3,) or (P, 3), got {v.shape}.")
        single_vector = v.ndim == 1
        v = v.reshape(-1, 3)
        if len(v) != 1 and len(self._quat) != 1 and len(v) != len(self._quat):
            raise ValueError(f"Cannot broadcast {len(self._quat)} rotations to {len(v)} vectors.")
        matrix = _matrix(self._quat)
        if inverse:
            matrix = np.swapaxes(matrix, -1, -2)
        result = (matrix @ v[..., None])[..., 0]
        return result[0] if self._single and single_vector else result

    def __mul__(self, other):
        other = _as_rotation(other)
        if other is None:
            return NotImplemented
        p, q = self._quat, other._quat
        if len(p) != 1 and len(q) != 1 and len(p) != len(q):
            raise ValueError(f"Cannot broadcast {len(p)} rotations in first to {len(q)} rotations in second object.")
        quat = _compose(p, q)
        return Rotation._raw(quat / np.linalg.norm(quat, axis=1, keepdims=True), self._single and other._single)

    def __rmul__(self, other):
        other = _as_rotation(other)   # a scipy Rotation on the left (tests and scripts still use scipy)
        return NotImplemented if other is None else other * self

    def __len__(self) -> int:
        if self._single:
            raise TypeError("Single rotation has no len().")
        return len(self._quat)

    def __getitem__(self, index) -> "Rotation":
        if self._single:
            raise TypeError("Single rotation is not subscriptable.")
        quat = self._quat[index]
        return Rotation._raw(quat.copy(), quat.ndim == 1)

    def __repr__(self) -> str:
        return f"Rotation.from_quat({self.as_quat().tolist()!r})"


_ATAN2 = np.frompyfunc(math.atan2, 2, 1)


def _atan2(y, x) -> np.ndarray:
    """atan2 from the C library, element by element, as scipy computes it. numpy's own vectorised arctan2
    differs from it in the last bit for about a third of inputs, and numpy falls back to the C library for
    an array whose memory happens to adjoin its output's: the same input gave different results from one
    call to the next, and the same seed different takes."""
    return _ATAN2(y, x).astype(np.float64)


def _as_rotation(other):
    """Our Rotation as is; anything else with scipy's `as_quat()` (a scipy Rotation) converted; else None."""
    if isinstance(other, Rotation):
        return other
    if callable(getattr(other, "as_quat", None)):
        quat = np.asarray(other.as_quat(), dtype=np.float64)
        return Rotation._raw(quat.copy(), quat.ndim == 1)
    return None


def _compose(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product of (N, 4) x-y-z-w quaternions (p after q), as scipy writes it."""
    cross = np.cross(p[:, :3], q[:, :3])
    return np.stack([p[:, 3] * q[:, 0] + q[:, 3] * p[:, 0] + cross[:, 0],
                     p[:, 3] * q[:, 1] + q[:, 3] * p[:, 1] + cross[:, 1],
                     p[:, 3] * q[:, 2] + q[:, 3] * p[:, 2] + cross[:, 2],
                     p[:, 3] * q[:, 3] - p[:, 0] * q[:, 0] - p[:, 1] * q[:, 1] - p[:, 2] * q[:, 2]], axis=-1)


def _canonical(quat: np.ndarray) -> np.ndarray:
    """w >= 0 (and the first non-zero of x, y, z positive when w is 0)."""
    x, y, z, w = quat.T
    flip = (w < 0) | ((w == 0) & ((x < 0) | ((x == 0) & ((y < 0) | ((y == 0) & (z < 0))))))
    return np.where(flip[:, None], -quat, quat)


def _matrix(quat: np.ndarray) -> np.ndarray:
    x, y, z, w = quat.T
    x2, y2, z2, w2 = x * x, y * y, z * z, w * w
    xy, zw, xz, yw, yz, xw = x * y, z * w, x * z, y * w, y * z, x * w
    return np.stack([x2 - y2 - z2 + w2, 2 * (xy - zw), 2 * (xz + yw),
                     2 * (xy + zw), -x2 + y2 - z2 + w2, 2 * (yz - xw),
                     2 * (xz - yw), 2 * (yz + xw), -x2 - y2 + z2 + w2], axis=-1).reshape(-1, 3, 3)


def _quat_from_orthogonal(m: np.ndarray) -> np.ndarray:
    """Markley's method: build the quaternion from the largest of the diagonal and the trace."""
    trace = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    choice = np.argmax(np.stack([m[:, 0, 0], m[:, 1, 1], m[:, 2, 2], trace], axis=1), axis=1)
    quat = np.empty((len(m), 4))
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        rows = choice == i
        mi = m[rows]
        quat[rows, i] = 1 - trace[rows] + 2 * mi[:, i, i]
        quat[rows, j] = mi[:, j, i] + mi[:, i, j]
        quat[rows, k] = mi[:, k, i] + mi[:, i, k]
        quat[rows, 3] = mi[:, k, j] - mi[:, j, k]
    rows = choice == 3
    mi = m[rows]
    quat[rows, 0] = mi[:, 2, 1] - mi[:, 1, 2]
    quat[rows, 1] = mi[:, 0, 2] - mi[:, 2, 0]
    quat[rows, 2] = mi[:, 1, 0] - mi[:, 0, 1]
    quat[rows, 3] = 1 + trace[rows]
    return quat / np.linalg.norm(quat, axis=1, keepdims=True)


def _quat_from_rotvec(v: np.ndarray) -> np.ndarray:
    angle = np.linalg.norm(v, axis=1)
    small = angle <= 1e-3
    angle2 = angle ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        large_scale = np.sin(angle / 2.0) / angle
    scale = np.where(small, 0.5 - angle2 / 48.0 + angle2 ** 2 / 3840.0, large_scale)
    return np.concatenate([v * scale[:, None], np.cos(angle / 2.0)[:, None]], axis=1)


def _check_euler_sequence(seq: str, max_axes: int) -> bool:
    """True for an extrinsic (lower-case) sequence, False for intrinsic; ValueError for anything else."""
    if not 1 <= len(seq) <= max_axes:
        raise ValueError(f"Expected axis specification to be a non-empty string of up to {max_axes} characters, "
                         f"got {seq}")
    extrinsic = re.fullmatch(r"[xyz]+", seq) is not None
    if not extrinsic and re.fullmatch(r"[XYZ]+", seq) is None:
        raise ValueError(f"Expected axes from `seq` to be from ['x', 'y', 'z'] or ['X', 'Y', 'Z'], got {seq}")
    if any(seq[i] == seq[i + 1] for i in range(len(seq) - 1)):
        raise ValueError(f"Expected consecutive axes to be different, got {seq}")
    return extrinsic


def _euler_from_quat(quat: np.ndarray, seq: str, extrinsic: bool, suppress_warnings: bool) -> np.ndarray:
    """Bernardes & Viollet (2022), "Quaternion to Euler angles conversion", as scipy implements it."""
    axes = ["xyz".index(c) for c in seq]
    i, j, k = axes if extrinsic else axes[::-1]
    symmetric = i == k
    if symmetric:
        k = 3 - i - j
    sign = float((i - j) * (j - k) * (k - i) // 2)
    if symmetric:
        a, b, c, d = quat[:, 3], quat[:, i], quat[:, j], quat[:, k] * sign
    else:
        a = quat[:, 3] - quat[:, j]
        b = quat[:, i] + quat[:, k] * sign
        c = quat[:, j] + quat[:, 3]
        d = quat[:, k] * sign - quat[:, i]
    angles = np.zeros((len(quat), 3))
    angles[:, 1] = 2 * _atan2(np.hypot(c, d), np.hypot(a, b))
    half_sum, half_diff = _atan2(b, a), _atan2(d, c)
    case1 = np.abs(angles[:, 1]) <= 1e-7
    case2 = np.abs(angles[:, 1] - np.pi) <= 1e-7
    case0 = ~(case1 | case2)
    if not suppress_warnings and not np.all(case0):
        warnings.warn("Gimbal lock detected. Setting third angle to zero since it is not possible to uniquely "
                      "determine all angles.", stacklevel=3)
    first, third = (0, 2) if extrinsic else (2, 0)
    angles[:, 0] = np.where(case1, 2 * half_sum, 2 * half_diff * (-1 if extrinsic else 1))
    angles[:, first] = np.where(case0, half_sum - half_diff, angles[:, first])
    last = np.where(case0, half_sum + half_diff, angles[:, third])
    if not symmetric:
        last = last * sign
        angles[:, 1] -= np.pi / 2
    angles[:, third] = last
    return (angles + np.pi) % (2 * np.pi) - np.pi


def _align_kabsch(a: np.ndarray, b: np.ndarray, weights: np.ndarray):
    B = (weights[:, None] * a).T @ b
    u, s, vh = np.linalg.svd(B)
    if np.linalg.det(u @ vh) < 0:   # an improper rotation: flip the weakest axis
        s = s.copy()
        s[-1] = -s[-1]
        u = u.copy()
        u[:, -1] = -u[:, -1]
    rssd = np.sqrt(max(float(np.sum(weights * np.sum(b ** 2 + a ** 2, axis=1)) - 2 * np.sum(s)), 0.0))
    zeta = (s[0] + s[1]) * (s[1] + s[2]) * (s[2] + s[0])
    kappa = s[0] * s[1] + s[1] * s[2] + s[2] * s[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        sensitivity = np.mean(weights) / zeta * (kappa * np.eye(3) + B @ B.T)
    return _quat_from_orthogonal((u @ vh)[None]), rssd, sensitivity


def _align_primary(a: np.ndarray, b: np.ndarray, weights: np.ndarray, infinite: np.ndarray):
    """The pair with infinite weight (or the only pair) aligned exactly by the shortest arc, then the rest
    rotated about it as well as they can be."""
    n = len(a)
    first = int(np.argmax(infinite))
    order = np.roll(np.arange(n), -first)
    a_sorted, b_sorted, w_sorted = a[order], b[order], weights[order]
    a_norm, b_norm = np.linalg.norm(a_sorted[0]), np.linalg.norm(b_sorted[0])
    if a_norm == 0 or b_norm == 0:
        raise ValueError("Cannot align zero length primary vectors")
    a_pri, b_pri = a_sorted[0] / a_norm, b_sorted[0] / b_norm
    cross = np.cross(b_pri, a_pri)
    cross_norm = np.linalg.norm(cross)
    theta = math.atan2(cross_norm, np.dot(a_pri, b_pri))
    tolerance = 1e-3
    q_flip = np.array([[0.0, 0.0, 0.0, 1.0]])
    if np.pi - theta < tolerance:   # near pi: turn by pi about an axis normal to a, then by the small rest
        if cross_norm == 0:
            i = int(np.argmin(np.abs(a_pri)))
            r = np.zeros(3)
            r[i - 1] = a_pri[i - 2]
            r[i - 2] = -a_pri[i - 1]
        else:
            r = cross
        q_flip = _quat_from_rotvec((r / np.linalg.norm(r) * np.pi)[None])
        theta = np.pi - theta
        cross = -cross
    if abs(theta) < tolerance:
        theta2 = theta * theta
        r = cross * (1 + theta2 / 6 + theta2 * theta2 * 7 / 360)
    else:
        r = cross * theta / np.sin(theta)
    q_pri = _compose(_quat_from_rotvec(r[None]), q_flip)
    if n == 1:
        q_opt = q_pri
    else:
        c_sec = (_matrix(q_pri) @ b_sorted[1:, :, None])[..., 0]
        a_sec = a_sorted[1:]
        sin_term = np.cross(c_sec, a_sec) @ a_pri
        cos_term = np.sum(c_sec * a_sec, axis=1) - (c_sec @ a_pri) * (a_sec @ a_pri)
        phi = math.atan2(np.sum(w_sorted[1:] * sin_term), np.sum(w_sorted[1:] * cos_term))
        q_opt = _compose(_quat_from_rotvec((phi * a_pri)[None]), q_pri)
    zeroed = weights.copy()
    if n > 1 or weights[0] == np.inf:
        zeroed[infinite] = 0.0
    estimate = (_matrix(q_opt) @ b[..., None])[..., 0]
    rssd = float(np.sqrt(np.sum(zeroed @ (a - estimate) ** 2)))
    return q_opt, rssd


def to_rotation(quats_wxyz: np.ndarray) -> Rotation:
    """Rotation from (..., 4) w-first quaternions (flattened over leading axes)."""
    q = np.asarray(quats_wxyz, dtype=np.float64).reshape(-1, 4)
    return Rotation.from_quat(q[:, [1, 2, 3, 0]])


def from_rotation(rotation: Rotation, shape: tuple = None) -> np.ndarray:
    """(..., 4) w-first quaternions from a Rotation, reshaped to `shape + (4,)` when given."""
    xyzw = np.atleast_2d(rotation.as_quat())
    q = xyzw[:, [3, 0, 1, 2]]
    return q.reshape(tuple(shape) + (4,)) if shape is not None else q


def normalize(quats_wxyz: np.ndarray) -> np.ndarray:
    q = np.asarray(quats_wxyz, dtype=np.float64)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def make_continuous(quats_wxyz: np.ndarray, axis: int = 0) -> np.ndarray:
    """Flip signs so neighbouring quaternions along `axis` lie in one hemisphere.

    Keyframe curves interpolate components linearly, so a sign flip between two keys
    (same rotation, opposite quaternion) would make the bone spin the long way round.
    """
    q = np.moveaxis(np.array(quats_wxyz, dtype=np.float64), axis, 0)
    if q.shape[0] > 1:
        # Sample t keeps its sign when it agrees with sample t-1 *as corrected*: a running product of agreements.
        agrees = np.where(np.sum(q[1:] * q[:-1], axis=-1) < 0.0, -1.0, 1.0)
        q[1:] *= np.cumprod(agrees, axis=0)[..., None]
    return np.moveaxis(q, 0, axis)


def multiply(a_wxyz: np.ndarray, b_wxyz: np.ndarray) -> np.ndarray:
    """Hamilton product a*b (apply b, then a), broadcast over leading axes.

    Written out rather than through Rotation objects: forward kinematics composes thousands of frames per
    bone, and scipy's Rotation composition cost about 15× more per call (measured with scipy 1.17).
    """
    a, b = np.asarray(a_wxyz, dtype=np.float64), np.asarray(b_wxyz, dtype=np.float64)
    w1, x1, y1, z1 = np.moveaxis(a, -1, 0)
    w2, x2, y2, z2 = np.moveaxis(b, -1, 0)
    return np.stack([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                     w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2], axis=-1)


def conjugate(quats_wxyz: np.ndarray) -> np.ndarray:
    """The inverse of unit quaternions."""
    return np.asarray(quats_wxyz, dtype=np.float64) * np.array([1.0, -1.0, -1.0, -1.0])


def rotate(quats_wxyz: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Rotate (..., 3) vectors by unit quaternions (..., 4), broadcast over leading axes."""
    q = np.asarray(quats_wxyz, dtype=np.float64)
    v = np.asarray(vectors, dtype=np.float64)
    w, axis = q[..., :1], q[..., 1:]
    # v' = v + 2w(u×v) + 2u×(u×v), the expanded form of q v q*.
    twice_cross = 2.0 * np.cross(axis, v)
    return v + w * twice_cross + np.cross(axis, twice_cross)


def slerp_resample(quats_wxyz: np.ndarray, src_times: np.ndarray, dst_times: np.ndarray) -> np.ndarray:
    """Resample (T, ..., 4) rotations sampled at src_times onto dst_times with per-channel slerp.

    Times outside the source range clamp to the first/last sample.
    """
    q = np.asarray(quats_wxyz, dtype=np.float64)
    src_times = np.asarray(src_times, dtype=np.float64)
    dst_times = np.clip(np.asarray(dst_times, dtype=np.float64), src_times[0], src_times[-1])
    channel_shape = q.shape[1:-1]
    if len(src_times) == 1:
        return np.broadcast_to(q[:1], (len(dst_times),) + q.shape[1:]).copy()
    lo = np.clip(np.searchsorted(src_times, dst_times, side="right") - 1, 0, len(src_times) - 2)
    frac = (dst_times - src_times[lo]) / (src_times[lo + 1] - src_times[lo])
    start = to_rotation(q[lo])
    end = to_rotation(q[lo + 1])
    step = (start.inv() * end).as_rotvec()
    weights = np.repeat(frac, int(np.prod(channel_shape, dtype=int)))[:, None]
    result = start * Rotation.from_rotvec(step * weights)
    return from_rotation(result, (len(dst_times),) + channel_shape)


def change_of_basis(quats_wxyz: np.ndarray, basis: Rotation) -> np.ndarray:
    """Express rotations in another frame: basis * q * basis⁻¹ (e.g. Y-up data into Z-up)."""
    q = np.asarray(quats_wxyz, dtype=np.float64)
    return from_rotation(basis * to_rotation(q) * basis.inv(), q.shape[:-1])


Y_UP_TO_Z_UP = Rotation.from_euler("x", 90, degrees=True)
