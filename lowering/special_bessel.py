"""Bessel functions as float64 approximations built from opset-18 arithmetic.

Written as float64 formulas over ONNX values (``lowering.special._Num``); float32 and float16
are computed in float64 and rounded once. Fixed orders (i0, i1, j0, j1): power and Chebyshev
series in the style of Cephes (S. L. Moshier) with range splits; the Chebyshev coefficients are this
project's own fits (mpmath, 50 digits, interpolation at 50-60 nodes, trimmed at 1e-19 of the
largest), the zeros of j0 and j1 factored out so that they keep relative accuracy there.
Accuracy, measured by ``benchmarks/accuracy_bessel.py`` against mpmath, is in each rule's
docstring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ir import ops
from lowering.registry import lowers
from lowering.special import (
    _INV_SQRT_PI,
    _horner,
    _in_float64,
    _keep_nan,
    _Num,
    _select,
    _sign_of,
)


def _chebyshev(t: _Num, coefficients: Sequence[float]) -> _Num:
    """c[0] + sum c[k] T_k(t) by Clenshaw's recurrence (stable for |t| <= 1)."""
    two_t = 2.0 * t
    b1: _Num | float = coefficients[-1]
    b2: _Num | float = 0.0
    for c in reversed(coefficients[1:-1]):
        b1, b2 = two_t * b1 + (c - b2), b1
    return t * b1 + (coefficients[0] - b2)


# -- i0, i1, j0, j1 -----------------------------------------------------------------------------
# I0(x) = sum (x²/4)**k / (k!)², k < 28 (positive terms: Horner is exact to a few ulp).
_I0_SERIES = (
    1.0, 1.0, 0.25,
    0.027777777777777776, 0.001736111111111111, 6.944444444444444e-05,
    1.9290123456790124e-06, 3.936759889140842e-08, 6.151187326782565e-10,
    7.594058428126624e-12, 7.594058428126623e-14, 6.276081345559193e-16,
    4.358389823304995e-18, 2.5789288895295828e-20, 1.3157800456783586e-22,
    5.8479113141260385e-25, 2.2843403570804838e-27, 7.904291893012054e-30,
    2.4395962632753253e-32, 6.757884385804225e-35, 1.6894710964510564e-37,
    3.8310002187098785e-40, 7.915289708078262e-43, 1.4962740468957016e-45,
    2.5976979980828152e-48, 4.156316796932504e-51, 6.14839762859838e-54,
    8.434015951438106e-57,
)  # fmt: skip
# I1(x) = (x/2) sum (x²/4)**k / (k! (k+1)!), k < 28.
_I1_SERIES = (
    1.0, 0.5, 0.08333333333333333,
    0.006944444444444444, 0.00034722222222222224, 1.1574074074074073e-05,
    2.755731922398589e-07, 4.920949861426052e-09, 6.834652585313961e-11,
    7.594058428126623e-13, 6.903689480115112e-15, 5.230067787965994e-17,
    3.352607556388458e-19, 1.842092063949702e-21, 8.771866971189057e-24,
    3.654944571328774e-26, 1.3437296218120491e-28, 4.391273273895586e-31,
    1.2839980333028028e-33, 3.3789421929021126e-36, 8.045100459290744e-39,
    1.7413637357772174e-41, 3.4414303078601135e-44, 6.234475195398757e-47,
    1.0390791992331261e-49, 1.5985833834355786e-52, 2.2771843068882885e-55,
    3.0121485540850376e-58,
)  # fmt: skip
# sqrt(x) e^-x I0(x) on [8, inf) in t = 16/x - 1 (Chebyshev coefficients).
_I0_LARGE = (
    0.4022452055070544, 0.0033691164782556943, 6.889758346916825e-05,
    2.8913705208347567e-06, 2.0489185894690638e-07, 2.266668990498178e-08,
    3.3962320257083865e-09, 4.94060238822497e-10, 1.1889147107846439e-11,
    -3.1499165279632416e-11, -1.3215811840447713e-11, -1.7941785315068062e-12,
    7.180124451383666e-13, 3.8527783827421426e-13, 1.54008621752141e-14,
    -4.150569347287222e-14, -9.554846698828307e-15, 3.8116806693526224e-15,
    1.7725601330565263e-15, -3.425485619677219e-16, -2.8276239805165836e-16,
    3.461222867697461e-17, 4.46562142029676e-17, -4.830504485944182e-18,
    -7.233180487874754e-18, 9.921475412173699e-19, 1.193650890845982e-18,
    -2.4887098371508075e-19, -1.938426454160906e-19, 6.444656697373444e-20,
)  # fmt: skip
# sqrt(x) e^-x I1(x) on [8, inf) in t = 16/x - 1.
_I1_LARGE = (
    0.38928811750914005, -0.009761097491361469, -0.00011058893876262371,
    -3.882564808877691e-06, -2.512236237870209e-07, -2.6314688468895196e-08,
    -3.835380385964237e-09, -5.589743462196584e-10, -1.8974958123505413e-11,
    3.2526035830154884e-11, 1.4125807436613782e-11, 2.0356285441470896e-12,
    -7.198551776245908e-13, -4.0835511110921974e-13, -2.1015418427726643e-14,
    4.272440016711951e-14, 1.0420276984128802e-14, -3.8144030724370075e-15,
    -1.8803547755107825e-15, 3.3082023109209285e-16, 2.96262899764595e-16,
    -3.209525921993424e-17, -4.6503053684893586e-17, 4.414348323071708e-18,
    7.517296310842105e-18, -9.314178867326884e-19, -1.242193275194891e-18,
    2.4142767194548486e-19, 2.0269443840532852e-19, -6.394267188269098e-20,
)  # fmt: skip
# The first three zeros of J0 and of J1 (beyond 0), each as hi + lo (to 107 bits).
_J0_ZEROS = (
    (2.404825557695773, -1.176691651530894e-16),
    (5.520078110286311, 8.088597146146722e-17),
    (8.653727912911013, -2.92812607320779e-16),
)
_J1_ZEROS = (
    (3.8317059702075125, -1.5269184090088067e-16),
    (7.015586669815619, -9.414165653410389e-17),
    (10.173468135062722, 4.482162274768888e-16),
)
# J0(x) / ((x² - z1²)(x² - z2²)) on [0, 5] in t = 2x²/25 - 1 (z: the zeros).
_J0_NEAR = (
    0.003433775195443006, -0.001974794511586004, 0.0002472802343211527,
    -1.7951655945298798e-05, 8.614299472476033e-07, -2.9521425632684864e-08,
    7.609233569353203e-10, -1.531306324653633e-11, 2.475309497955091e-13,
    -3.2866707304697332e-15, 3.6501313955036886e-17, -3.4418858692258494e-19,
    2.7906311139071592e-21,
)  # fmt: skip
# J0(x) / ((x - z2)(x - z3)) on [5, 8] in t = (2x - 13)/3.
_J0_MID = (
    -0.11124005488116125, -0.006288455544900609, 0.011782539190003818,
    7.93044854718218e-05, -0.00021461147409983504, 2.171650488594172e-08,
    2.0331734832757697e-06, -5.731071443204085e-09, -1.1931780820612611e-08,
    4.7570716983199016e-11, 4.785056913244395e-11, -2.141477207046636e-13,
    -1.3974269956250247e-13, 6.4816374962625e-16, 3.10810153761037e-16,
    -1.4413649414212e-18, -5.443843029233666e-19,
)  # fmt: skip
# J1(x) / (x (x² - z1²)(x² - z2²)) on [0, 5] in t = 2x²/25 - 1.
_J1_NEAR = (
    0.0004546530983912736, -0.00021348093861811067, 2.2341253121436404e-05,
    -1.38767402387634e-06, 5.806885161405081e-08, -1.7621593742140618e-09,
    4.072176387317086e-11, -7.422794511260187e-13, 1.096138032866157e-14,
    -1.3392526677386197e-16, 1.3771260961669168e-18, -1.208775673915002e-20,
    9.16569010971112e-23,
)  # fmt: skip
# J1(x) / (x - z2) on [5, 8] in t = (2x - 13)/3.
_J1_MID = (
    0.24809241182819347, 0.03904717258702938, -0.04895540097248089,
    -0.001143378088174608, 0.00131660782975213, 1.047690614332913e-05,
    -1.6526394760463177e-05, -3.159909748252348e-08, 1.20826699339029e-07,
    -1.0628621147519574e-10, -5.802500363421862e-10, 1.3223946697892592e-12,
    1.974121380588743e-12, -5.929284260221455e-15, -5.0126338193935416e-15,
    1.6908622220828518e-17, 9.868886575179941e-18, -3.4993587427597236e-20,
)  # fmt: skip
# From x = 8: J_n(x) = sqrt(2/(πx)) (P cos χ - Q sin χ), χ = x - (n/2 + 1/4)π, with P and
# x Q (P = sqrt(πx/2) (J cos χ + Y sin χ), Q = sqrt(πx/2) (Y cos χ - J sin χ)) in t = 128/x² - 1.
# P for J0.
_J0_P = (
    0.9994603493475187, -0.0005365220468132117, 3.0751847875194745e-06,
    -5.1705945376060975e-08, 1.6306464635151382e-09, -7.86409137723707e-11,
    5.168262387349193e-12, -4.3045788699253914e-13, 4.3265957431549404e-14,
    -5.069034095935236e-15, 6.748072215733873e-16, -1.0011513723467786e-16,
    1.6305919233744186e-17, -2.880866169482871e-18, 5.468082783259038e-19,
    -1.1062036496829717e-19,
)  # fmt: skip
# x Q for J0.
_J0_Q = (
    -0.12444683684269607, 0.0005470815954089319, -5.9315987288485175e-06,
    1.4377965798375193e-07, -5.817532749493056e-09, 3.376097523734991e-10,
    -2.565397936797308e-11, 2.404916100281365e-12, -2.6690625482579414e-13,
    3.4041800321963686e-14, -4.87994410531204e-15, 7.729703176242605e-16,
    -1.3348852171502517e-16, 2.4865952389390515e-17, -4.952892629886516e-18,
    1.0473158973776097e-18, -2.336930172211422e-19, 5.474581915710601e-20,
    -1.340614852833976e-20,
)  # fmt: skip
# P for J1.
_J1_P = (
    1.0009030408600137, 0.0008989898330859408, -3.987284300488908e-06,
    6.177633960644299e-08, -1.8718907491063067e-09, 8.816898659582339e-11,
    -5.704863640395645e-12, 4.699195515230542e-13, -4.6842237839904895e-14,
    5.452674896044717e-15, -7.221180842274018e-16, 1.0667689114335412e-16,
    -1.7312313216116335e-17, 3.0492991197665872e-18, -5.772421654987453e-19,
    1.165057175571149e-19,
)  # fmt: skip
# x Q for J1.
_J1_Q = (
    0.3742222965562826, -0.0007702178839325664, 7.3108922063643636e-06,
    -1.676782510726674e-07, 6.583354662120443e-09, -3.749090950541556e-10,
    2.8121750359748866e-11, -2.61145253946232e-12, 2.8774212663332235e-13,
    -3.649001916061838e-14, 5.206626366226707e-15, -8.215318025458595e-16,
    1.4141084390211833e-16, -2.626761589838529e-17, 5.2192649196714085e-18,
    -1.101261718787959e-18, 2.4525932320263116e-19, -5.735674775472222e-20,
)  # fmt: skip


def _i_scaled_far(a: _Num, large: Sequence[float]) -> _Num:
    """e^-a I_n(a) for a >= 8 (a = inf gives 0)."""
    safe = _select(a.gt(8.0), a, 8.0)  # keeps the unused branch finite
    return _chebyshev(16.0 / safe - 1.0, large) / safe.unary("Sqrt")


def _i_fixed(x: _Num, series: Sequence[float], large: Sequence[float], odd: bool) -> _Num:
    """I_n(x), n = 1 when ``odd``: the power series on |x| <= 8, e^a (e^-a I_n(a)) beyond."""
    a = x.unary("Abs")
    near = _horner(0.25 * (a * a), series)
    if odd:
        near = near * (0.5 * a)
    e = a.unary("Exp")
    far = e * _i_scaled_far(a, large)
    # PyTensor (scipy's cephes) is inf where e**|x| overflows (from 709.78), though I_n is
    # finite up to 713.98: the contract is PyTensor's.
    out = _select(a.le(8.0), near, _select(e.eq(math.inf), math.inf, far))
    if odd:
        out = _select(x.lt(0.0), -out, out)  # i1(-0.0) is +0.0 in scipy
    return _keep_nan(x, _select(a.eq(math.inf), math.nan, out))  # scipy: NaN at ±inf


def i0_64(x: _Num) -> _Num:
    """I0(x): the power series sum (x²/4)**k / (k!)² on |x| <= 8 (positive terms), beyond
    e^|x| C(16/|x| - 1) / sqrt(|x|) with C a Chebyshev series of sqrt(x) e^-x I0(x) (Cephes'
    range); +inf where e^|x| overflows and NaN at ±inf, as PyTensor (scipy). ≤ 4 ulp measured."""
    return _i_fixed(x, _I0_SERIES, _I0_LARGE, odd=False)


def i1_64(x: _Num) -> _Num:
    """I1(x), odd, as i0 with (x/2) sum (x²/4)**k / (k! (k+1)!) and sqrt(x) e^-x I1(x).
    ≤ 4 ulp measured."""
    return _i_fixed(x, _I1_SERIES, _I1_LARGE, odd=True)


def _minus_zeros(a: _Num, zeros: Sequence[tuple[float, float]], squared: bool) -> _Num:
    """prod (a - z) (or (a² - z²)) with relative accuracy at the zeros z = hi + lo:
    (a - hi) is exact near hi (Sterbenz), then - lo."""
    out: _Num | None = None
    for hi, lo in zeros:
        factor = (a - hi) - lo
        if squared:
            factor = factor * (a + hi + lo)
        out = factor if out is None else out * factor
    assert out is not None
    return out


def _j_far(a: _Num, n: int, p: Sequence[float], q: Sequence[float]) -> _Num:
    """J_n(a) for a >= 8 from P and Q; cos χ and sin χ from cos a and sin a (χ = a - (n/2 +
    1/4)π is never formed: ORT's Cos and Sin reduce large arguments exactly)."""
    safe = _select(a.ge(8.0), a, 8.0)
    w = 8.0 / safe
    t = 2.0 * (w * w) - 1.0
    pv = _chebyshev(t, p)
    qv = _chebyshev(t, q) / safe
    c, s = safe.unary("Cos"), safe.unary("Sin")
    # √2 cos χ and √2 sin χ: n = 0: cos a + sin a and sin a - cos a; n = 1: sin a - cos a and
    # -(sin a + cos a).
    combination = pv * (c + s) - qv * (s - c) if n == 0 else pv * (s - c) + qv * (s + c)
    return combination * (_INV_SQRT_PI / safe.unary("Sqrt"))


def _j_fixed(
    x: _Num, near: _Num, mid: _Num, n: int, p: Sequence[float], q: Sequence[float]
) -> _Num:
    """J_n(x) from its pieces on [0, 5] and [5, 8] and the P, Q form beyond."""
    a = x.unary("Abs")
    far = _j_far(a, n, p, q)
    out = _select(a.le(5.0), near, _select(a.le(8.0), mid, far))
    out = _select(a.eq(math.inf), math.nan, out)  # scipy: NaN at ±inf
    if n == 1:
        out = out * _sign_of(x)  # j1(-0.0) is -0.0
    return _keep_nan(x, out)


def j0_64(x: _Num) -> _Num:
    """J0(x): (x² - z1²)(x² - z2²) C(x²) on |x| <= 5 and (|x| - z2)(|x| - z3) C(|x|) on
    [5, 8] (z the zeros, factored out: relative accuracy at them), beyond
    sqrt(2/(π|x|)) (P cos χ - Q sin χ), χ = |x| - π/4, with Chebyshev series of P and x Q in
    64/x² (the P, Q form of Cephes). NaN at ±inf, as scipy. ≤ 4 ulp measured on |x| <= 8;
    beyond, ≤ 4 ulp of the envelope sqrt(2/(π|x|)) (near the zeros J0 is a difference of
    terms of that size)."""
    a = x.unary("Abs")
    near = _minus_zeros(a, _J0_ZEROS[:2], True) * _chebyshev(a * a * 0.08 - 1.0, _J0_NEAR)
    mid = _minus_zeros(a, _J0_ZEROS[1:], False) * _chebyshev((2.0 * a - 13.0) / 3.0, _J0_MID)
    return _j_fixed(x, near, mid, 0, _J0_P, _J0_Q)


def j1_64(x: _Num) -> _Num:
    """J1(x), odd: |x| (x² - z1²)(x² - z2²) C(x²) on |x| <= 5, (|x| - z2) C(|x|) on [5, 8],
    the P, Q form beyond (χ = |x| - 3π/4). NaN at ±inf; j1(-0.0) = -0.0. Accuracy as j0."""
    a = x.unary("Abs")
    near = _minus_zeros(a, _J1_ZEROS[:2], True) * _chebyshev(a * a * 0.08 - 1.0, _J1_NEAR) * a
    mid = _minus_zeros(a, _J1_ZEROS[1:2], False) * _chebyshev((2.0 * a - 13.0) / 3.0, _J1_MID)
    return _j_fixed(x, near, mid, 1, _J1_P, _J1_Q)


lowers(ops.I0)(_in_float64(i0_64))
lowers(ops.I1)(_in_float64(i1_64))
lowers(ops.J0)(_in_float64(j0_64))
lowers(ops.J1)(_in_float64(j1_64))
