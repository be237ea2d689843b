"""The add-on's numpy stand-ins for scipy give scipy's results: `clips.rotations.Rotation`, `models.filters`,
`models.interpolate` (scipy stays a test and bench dependency; the extension ships without it)."""

import warnings
from math import gcd

import numpy as np
import pytest
from scipy import interpolate as sp_interpolate
from scipy import ndimage as sp_ndimage
from scipy import signal as sp_signal
from scipy.spatial.transform import Rotation as ScipyRotation

from soundmotion.clips.rotations import Rotation
from soundmotion.models import filters, interpolate

RNG = np.random.default_rng(20260601)
QUATS = RNG.normal(size=(400, 4))
VECTORS = RNG.normal(size=(400, 3))


def assert_same_angles(a, b, atol=1e-12):
    """Angles equal modulo 2π (a ±π wrap can land on either side in the last bit)."""
    np.testing.assert_allclose(np.angle(np.exp(1j * (np.asarray(a) - np.asarray(b)))), 0.0, atol=atol)


# ---- Rotation ----

def test_quaternion_matrix_rotvec_round_trips_match_scipy_including_signs():
    ours, theirs = Rotation.from_quat(QUATS), ScipyRotation.from_quat(QUATS)
    np.testing.assert_allclose(ours.as_quat(), theirs.as_quat(), atol=1e-15)   # no canonicalising: same sign
    np.testing.assert_allclose(ours.as_quat(canonical=True), theirs.as_quat(canonical=True), atol=1e-15)
    np.testing.assert_allclose(ours.as_quat(scalar_first=True), theirs.as_quat(scalar_first=True), atol=1e-15)
    np.testing.assert_allclose(ours.as_matrix(), theirs.as_matrix(), atol=1e-15)
    np.testing.assert_allclose(ours.as_rotvec(), theirs.as_rotvec(), atol=1e-14)
    np.testing.assert_allclose(ours.as_rotvec(degrees=True), theirs.as_rotvec(degrees=True), atol=1e-12)
    np.testing.assert_allclose(ours.magnitude(), theirs.magnitude(), atol=1e-14)
    matrices = theirs.as_matrix()
    np.testing.assert_allclose(Rotation.from_matrix(matrices).as_quat(), ScipyRotation.from_matrix(matrices).as_quat(),
                               atol=1e-15)
    sloppy = matrices + RNG.normal(scale=1e-3, size=matrices.shape)   # not orthogonal: both project by SVD
    np.testing.assert_allclose(Rotation.from_matrix(sloppy).as_quat(), ScipyRotation.from_matrix(sloppy).as_quat(),
                               atol=1e-14)
    for scale in (1.0, 1e-4, 0.0):   # the small-angle series too
        np.testing.assert_allclose(Rotation.from_rotvec(VECTORS * scale).as_quat(),
                                   ScipyRotation.from_rotvec(VECTORS * scale).as_quat(), atol=1e-15)
    np.testing.assert_allclose(Rotation.from_rotvec(VECTORS * 50, degrees=True).as_quat(),
                               ScipyRotation.from_rotvec(VECTORS * 50, degrees=True).as_quat(), atol=1e-15)


@pytest.mark.parametrize("seq", ["xyz", "zxy", "ZXY", "XYZ", "zyx", "zxz", "YXY", "x", "Z", "yz"])
def test_euler_angles_match_scipy(seq):
    angles = RNG.uniform(-np.pi, np.pi, size=(200, len(seq)))
    np.testing.assert_allclose(Rotation.from_euler(seq, angles).as_quat(), ScipyRotation.from_euler(seq, angles).as_quat(),
                               atol=1e-15)
    np.testing.assert_allclose(Rotation.from_euler(seq, np.degrees(angles), degrees=True).as_quat(),
                               ScipyRotation.from_euler(seq, np.degrees(angles), degrees=True).as_quat(), atol=1e-15)
    if len(seq) == 3:
        assert_same_angles(Rotation.from_quat(QUATS).as_euler(seq), ScipyRotation.from_quat(QUATS).as_euler(seq))


def test_gimbal_lock_zeroes_the_third_angle_and_warns_like_scipy():
    locked = np.array([[10.0, 90.0, 30.0], [0.0, -90.0, 45.0], [20.0, 10.0, 5.0]])   # middle angle ±90°
    symmetric_locked = np.array([[10.0, 0.0, 30.0], [20.0, 180.0, 5.0], [1.0, 2.0, 3.0]])   # middle 0° or 180°
    for seq in ("ZXY", "xyz", "zxz"):
        ours = Rotation.from_euler(seq, symmetric_locked if seq == "zxz" else locked, degrees=True)
        theirs = ScipyRotation.from_quat(ours.as_quat())
        with pytest.warns(UserWarning, match="Gimbal lock"):
            got = ours.as_euler(seq, degrees=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_same_angles(np.radians(got), np.radians(theirs.as_euler(seq, degrees=True)), atol=1e-9)


def test_composition_inverse_and_apply_match_scipy_with_scipys_broadcasting():
    p, q = QUATS[:50], QUATS[50:100]
    single = QUATS[7]
    for a, b in [(p, q), (single, q), (p, single), (single, QUATS[8]), (p[:1], q)]:
        ours, theirs = Rotation.from_quat(a) * Rotation.from_quat(b), ScipyRotation.from_quat(a) * ScipyRotation.from_quat(b)
        assert ours.single == theirs.single
        np.testing.assert_allclose(ours.as_quat(), theirs.as_quat(), atol=1e-15)
    ours, theirs = Rotation.from_quat(p), ScipyRotation.from_quat(p)
    np.testing.assert_allclose(ours.inv().as_quat(), theirs.inv().as_quat(), atol=0)
    for vectors in (VECTORS[:50], VECTORS[0]):
        np.testing.assert_allclose(ours.apply(vectors), theirs.apply(vectors), atol=1e-14)
        np.testing.assert_allclose(ours.apply(vectors, inverse=True), theirs.apply(vectors, inverse=True), atol=1e-14)
    one = Rotation.from_quat(single)
    assert one.apply(VECTORS[0]).shape == (3,) and one.apply(VECTORS[:5]).shape == (5, 3)
    assert Rotation.from_quat(single[None]).apply(VECTORS[0]).shape == (1, 3)
    with pytest.raises(ValueError):
        Rotation.from_quat(p) * Rotation.from_quat(q[:3])


def test_single_and_stacked_objects_behave_as_in_scipy():
    assert Rotation.from_euler("z", 30, degrees=True).single and Rotation.from_euler("xyz", [1, 2, 3]).single
    assert not Rotation.from_euler("z", [[30]], degrees=True).single
    assert len(Rotation.from_euler("z", np.zeros((4, 1)))) == 4
    assert Rotation.identity().single and len(Rotation.identity(3)) == 3
    stack = Rotation.from_quat(QUATS[:6])
    assert stack[2].single and not stack[1:3].single and len(stack[1:3]) == 2 and len(stack[[0, 5]]) == 2
    np.testing.assert_allclose(stack[2].as_quat(), ScipyRotation.from_quat(QUATS[:6])[2].as_quat())
    assert isinstance(stack[2].magnitude(), np.floating) and stack.magnitude().shape == (6,)
    assert len(Rotation.concatenate([stack[:2], stack[4:]])) == 4
    with pytest.raises(TypeError):
        len(Rotation.identity())
    with pytest.raises(TypeError):
        Rotation.identity()[0]
    with pytest.raises(ValueError, match="zero norm"):
        Rotation.from_quat([0, 0, 0, 0])
    with pytest.raises(ValueError, match="determinant"):
        Rotation.from_matrix(-np.eye(3))
    with pytest.raises(ValueError):
        Rotation.from_euler("xxy", [1, 2, 3])


def test_align_vectors_matches_scipy_for_all_three_cases():
    a, b = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 3))
    for weights in (None, RNG.uniform(0.1, 2.0, 6)):   # Kabsch / SVD
        ours, theirs = Rotation.align_vectors(a, b, weights=weights), ScipyRotation.align_vectors(a, b, weights=weights)
        np.testing.assert_allclose(ours[0].as_quat(), theirs[0].as_quat(), atol=1e-14)
        assert ours[1] == pytest.approx(theirs[1], abs=1e-12)
    ours = Rotation.align_vectors(a, b, return_sensitivity=True)[2]
    np.testing.assert_allclose(ours, ScipyRotation.align_vectors(a, b, return_sensitivity=True)[2], atol=1e-12)
    weights = [np.inf, 1.0, 0.5, 1.0, 2.0, 1.0]   # the primary pair exactly, as rest_pose.alignment asks
    ours, theirs = Rotation.align_vectors(a, b, weights=weights), ScipyRotation.align_vectors(a, b, weights=weights)
    np.testing.assert_allclose(ours[0].as_quat(), theirs[0].as_quat(), atol=1e-14)
    assert ours[1] == pytest.approx(theirs[1], abs=1e-12)
    for u, v in [(a[0], b[0]), ([1.0, 0, 0], [-1.0, 0, 0]), ([0, 0, 1.0], [1e-5, 0, 1.0]), ([0, 1.0, 0], [0, 1.0, 0])]:
        np.testing.assert_allclose(Rotation.align_vectors([u], [v])[0].as_quat(),
                                   ScipyRotation.align_vectors([u], [v])[0].as_quat(), atol=1e-15)


# ---- filters ----

@pytest.mark.parametrize("mode", ["reflect", "nearest", "mirror", "constant", "wrap"])
def test_gaussian_maximum_and_median_filters_match_ndimage(mode):
    for n in (1, 4, 37, 300):   # also signals shorter than the kernel
        x = RNG.normal(size=(n, 3))
        for sigma in (0.6, 1.0, 3.0, 24.0):
            np.testing.assert_allclose(filters.gaussian_filter1d(x, sigma, axis=0, mode=mode),
                                       sp_ndimage.gaussian_filter1d(x, sigma, axis=0, mode=mode), atol=1e-13)
        for size in (1, 2, 5, 8, 25):
            np.testing.assert_array_equal(filters.maximum_filter1d(x, size, axis=0, mode=mode),
                                          sp_ndimage.maximum_filter1d(x, size, axis=0, mode=mode))
            if size <= n or mode in ("nearest", "constant"):   # scipy's own median paths disagree beyond that
                np.testing.assert_array_equal(filters.median_filter(x[:, 0], size=size, mode=mode),
                                              sp_ndimage.median_filter(x[:, 0], size=size, mode=mode))
    x = RNG.normal(size=60)
    for size, origin in ((4, -2), (4, 1), (5, -1), (5, 2)):
        np.testing.assert_array_equal(filters.maximum_filter1d(x, size, mode=mode, origin=origin),
                                      sp_ndimage.maximum_filter1d(x, size, mode=mode, origin=origin))
        np.testing.assert_array_equal(filters.median_filter(x, size=size, mode=mode, origin=origin),
                                      sp_ndimage.median_filter(x, size=size, mode=mode, origin=origin))
    x32 = RNG.normal(size=200).astype(np.float32)
    assert filters.gaussian_filter1d(x32, 2.0).dtype == np.float32
    np.testing.assert_allclose(filters.gaussian_filter1d(x32, 2.0), sp_ndimage.gaussian_filter1d(x32, 2.0), atol=1e-6)


def test_lfilter_matches_scipy_with_and_without_initial_state():
    x = RNG.normal(size=(700, 4))
    for alpha in (0.02, 0.3, 1.0):   # the gesture follow-through lag, at blocks and edges of the fast path
        ours = filters.lfilter([alpha], [1, alpha - 1], x, axis=0, zi=(1 - alpha) * x[:1])
        theirs = sp_signal.lfilter([alpha], [1, alpha - 1], x, axis=0, zi=(1 - alpha) * x[:1])
        np.testing.assert_allclose(ours[0], theirs[0], atol=1e-13)
        np.testing.assert_allclose(ours[1], theirs[1], atol=1e-13)
    b, a = [0.2, 0.3, 0.1], [1.0, -0.5, 0.25, 0.1]
    np.testing.assert_allclose(filters.lfilter(b, a, x[:, 0]), sp_signal.lfilter(b, a, x[:, 0]), atol=1e-13)
    np.testing.assert_allclose(filters.lfilter([0.5], [1, -0.5], x, axis=0), sp_signal.lfilter([0.5], [1, -0.5], x, axis=0),
                               atol=1e-13)


def test_find_peaks_and_argrelextrema_match_scipy_exactly():
    conditions = [{}, {"height": 0.2}, {"distance": 3}, {"height": 0.1, "distance": 5}, {"prominence": 0.5},
                  {"prominence": (0.3, 1.0)}, {"distance": 2.5, "prominence": 0.2}, {"height": (None, 0.5)},
                  {"prominence": 0.2, "wlen": 21}, {"prominence": (0.0, 1.0), "wlen": 5.5}, {"prominence": 0.1, "wlen": 2}]
    for trial in range(60):
        x = np.round(RNG.normal(size=int(RNG.integers(2, 200))), 1)   # rounded: plateaus and ties
        for kwargs in conditions:
            ours, ours_props = filters.find_peaks(x, **kwargs)
            with warnings.catch_warnings():   # scipy warns about peaks of no prominence
                warnings.simplefilter("ignore")
                theirs, their_props = sp_signal.find_peaks(x, **kwargs)
            np.testing.assert_array_equal(ours, theirs)
            assert ours_props.keys() == their_props.keys()
            for key in ours_props:
                np.testing.assert_array_equal(ours_props[key], their_props[key])
    x = RNG.normal(size=300)
    for comparator, order in ((np.less, 1), (np.greater, 3)):
        np.testing.assert_array_equal(filters.argrelextrema(x, comparator, order=order)[0],
                                      sp_signal.argrelextrema(x, comparator, order=order)[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stft_matches_scipy_as_the_music_spectrum_calls_it(dtype):
    x = RNG.normal(size=5000).astype(dtype)
    ours = filters.stft(x, fs=22050, nperseg=2048, noverlap=1536, boundary="even", padded=True)
    theirs = sp_signal.stft(x, fs=22050, nperseg=2048, noverlap=1536, boundary="even", padded=True)
    for got, want in zip(ours, theirs):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, atol=1e-6 if dtype == np.float32 else 1e-15)
    ours = filters.stft(RNG.normal(size=(2, 900)), nperseg=128)[2]
    assert ours.shape == sp_signal.stft(np.zeros((2, 900)), nperseg=128)[2].shape


@pytest.mark.parametrize("rates", [(44100, 16000), (22050, 16000), (48000, 22050), (8000, 16000), (44100, 22050),
                                   (16000, 16000)])
def test_resample_poly_matches_scipy(rates):
    source, target = rates
    divisor = gcd(source, target)
    for dtype, atol in ((np.float64, 1e-14), (np.float32, 2e-6)):   # scipy filters float32 in float32
        x = RNG.uniform(-1, 1, size=source // 5 + 3).astype(dtype)
        ours = filters.resample_poly(x, target // divisor, source // divisor)
        theirs = sp_signal.resample_poly(x, target // divisor, source // divisor)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, atol=atol)


# ---- interpolate ----

@pytest.mark.parametrize("n", [2, 3, 4, 7, 300])
def test_pchip_and_cubic_spline_match_scipy_inside_and_beyond_the_knots(n):
    x = np.cumsum(RNG.uniform(0.1, 1.0, n))
    y = RNG.normal(size=(n, 3))
    x_new = np.linspace(x[0] - 1.0, x[-1] + 1.0, 257)
    for axis, values in ((0, y), (1, y.T)):
        ours, theirs = interpolate.CubicSpline(x, values, axis=axis), sp_interpolate.CubicSpline(x, values, axis=axis)
        np.testing.assert_allclose(ours(x_new), theirs(x_new), rtol=1e-12, atol=1e-12)
    for values in (y[:, 0], y):
        np.testing.assert_allclose(interpolate.PchipInterpolator(x, values)(x_new),
                                   sp_interpolate.PchipInterpolator(x, values)(x_new), rtol=1e-13, atol=1e-13)
    flat = np.round(y[:, 0])   # repeated values: pchip's zero slopes
    np.testing.assert_allclose(interpolate.PchipInterpolator(x, flat)(x_new),
                               sp_interpolate.PchipInterpolator(x, flat)(x_new), atol=1e-13)
    with pytest.raises(ValueError):
        interpolate.CubicSpline(x[::-1], y)


def test_cubic_spline_of_a_long_motion_matches_scipy():
    x = np.arange(6000) / 30.0   # the dance prior's correction: minutes at 30 fps, many channels
    y = RNG.normal(size=(6000, 24))
    x_new = np.arange(12000) / 60.0
    np.testing.assert_allclose(interpolate.CubicSpline(x, y, axis=0)(x_new), sp_interpolate.CubicSpline(x, y, axis=0)(x_new),
                               atol=1e-12)


def test_scipy_rotations_compose_with_ours_from_either_side():
    ours, theirs = Rotation.from_quat(QUATS[:5]), ScipyRotation.from_quat(QUATS[5:10])
    expected = (ScipyRotation.from_quat(QUATS[:5]) * theirs).as_quat()
    np.testing.assert_allclose((ours * theirs).as_quat(), expected, atol=1e-15)
    np.testing.assert_allclose((theirs * ours).as_quat(), (theirs * ScipyRotation.from_quat(QUATS[:5])).as_quat(),
                               atol=1e-15)
    assert isinstance(theirs * ours, Rotation) and (ScipyRotation.identity() * Rotation.identity()).single
