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

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import onnx_ir as oir

from ir import ops
from ir.ops.tensor import constant_array
from lowering.context import LoweringContext, onnx_dtype
from lowering.registry import lowers
from lowering.special import (
    _INV_SQRT_PI,
    F64,
    _build_subgraph,
    _horner,
    _in_float64,
    _keep_nan,
    _Num,
    _select,
    _sign_of,
    _sinpi,
    gamma64,
)

V = oir.Value


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


# -- ive, kve: real order -----------------------------------------------------------------------
# Debye's u_k(t) / v**k = P_k(t²) / r**k (r = sqrt(v² + x²), t = v/r): row k holds P_k's
# coefficients (exact rationals from u_0 = 1, u_{k+1} = t²(1 - t²) u_k'/2 +
# ∫_0^t (1 - 5s²) u_k(s) ds / 8, rounded), k < 20: the terms are below 1e-17 from r = 25.
_DEBYE = (
    (1.0,),
    (0.125, -0.20833333333333334),
    (0.0703125, -0.4010416666666667, 0.3342013888888889),
    (
        0.0732421875, -0.8912109375, 1.8464626736111112,
        -1.0258125964506173,
    ),
    (
        0.112152099609375, -2.3640869140625, 8.78912353515625,
        -11.207002616222994, 4.669584423426247,
    ),
    (
        0.22710800170898438, -7.368794359479632, 42.53499874538846,
        -91.81824154324002, 84.63621767460073, -28.212072558200244,
    ),
    (
        0.5725014209747314, -26.491430486951554, 218.1905117442116,
        -699.5796273761325, 1059.9904525279999, -765.2524681411817,
        212.57013003921713,
    ),
    (
        1.7277275025844574, -108.09091978839466, 1200.9029132163525,
        -5305.646978613403, 11655.393336864534, -13586.550006434138,
        8061.722181737309, -1919.457662318407,
    ),
    (
        6.074042001273483, -493.915304773088, 7109.514302489364,
        -41192.65496889755, 122200.46498301746, -203400.17728041555,
        192547.00123253153, -96980.59838863752, 20204.29133096615,
    ),
    (
        24.380529699556064, -2499.8304818112097, 45218.76898136273,
        -331645.1724845636, 1268365.2733216248, -2813563.226586534,
        3763271.297656404, -2998015.9185381066, 1311763.6146629772,
        -242919.18790055133,
    ),
    (
        110.01714026924674, -13886.08975371704, 308186.4046126624,
        -2785618.1280864547, 13288767.166421818, -37567176.66076335,
        66344512.27472903, -74105148.21153265, 50952602.49266464,
        -19706819.118432228, 3284469.853072038,
    ),
    (
        551.3358961220206, -84005.43360302408, 2243768.1779224495,
        -24474062.72573873, 142062907.7975331, -495889784.2750303,
        1106842816.8230145, -1621080552.1083372, 1553596899.57058,
        -939462359.6815784, 325573074.18576574, -49329253.66450996,
    ),
    (
        3038.090510922384, -549842.3275722887, 17395107.553978164,
        -225105661.88941526, 1559279864.8792574, -6563293792.619285,
        17954213731.1556, -33026599749.800724, 41280185579.753975,
        -34632043388.158775, 18688207509.295826, -5866481492.051847,
        814789096.1183121,
    ),
    (
        18257.755474293175, -3871833.442572613, 143157876.71888897,
        -2167164983.223795, 17634730606.83497, -87867072178.02327,
        287900649906.1506, -645364869245.3765, 1008158106865.3821,
        -1098375156081.2233, 819218669548.5773, -399096175224.4665,
        114498237732.0258, -14679261247.695616,
    ),
    (
        118838.42625678325, -29188388.122220814, 1247009293.5127103,
        -21822927757.529224, 205914503232.41, -1196552880196.1816,
        4612725780849.132, -12320491305598.287, 23348364044581.84,
        -31667088584785.16, 30565125519935.32, -20516899410934.438,
        9109341185239.898, -2406297900028.504, 286464035717.679,
    ),
    (
        832859.3040162893, -234557963.52225152, 11465754899.448236,
        -229619372968.24646, 2485000928034.0854, -16634824724892.48,
        74373122908679.14, -232604831188939.94, 523054882578444.6,
        -857461032982895.0, 1026955196082762.5, -889496939881026.5,
        542739664987659.75, -221349638702525.2, 54177510755106.05,
        -6019723417234.006,
    ),
    (
        6252951.493434797, -2001646928.1917763, 110997405139.17902,
        -2521558474912.8545, 31007436472896.46, -236652530451649.25,
        1212675804250347.5, -4379325838364015.5, 1.1486706978449752e+16,
        -2.2268225133911144e+16, 3.213827526858624e+16, -3.4447226006485144e+16,
        2.705471130619708e+16, -1.5129826322457682e+16, 5705782159023671.0,
        -1301012723549699.5, 135522158703093.69,
    ),
    (
        50069589.531988926, -18078220384.658062, 1128709145410.874,
        -28863837631414.76, 400044457043036.25, -3450385511846272.5,
        2.0064271476309532e+16, -8.270945651585064e+16, 2.4960365126160426e+17,
        -5.62631788074636e+17, 9.575335098169139e+17, -1.2336116931960694e+18,
        1.1961991142756308e+18, -8.592577980317548e+17, 4.4347954614171904e+17,
        -1.5552983504313904e+17, 3.3192764720355224e+16, -3254192619642669.0,
    ),
    (
        425939216.5047669, -172283238717.3505, 12030115826419.191,
        -343965304743075.94, 5335106978708839.0, -5.1605093193485224e+16,
        3.37667624979061e+17, -1.5736434765189599e+18, 5.402894876715982e+18,
        -1.3970803516443374e+19, 2.757282981650519e+19, -4.178861444656839e+19,
        4.859942729324836e+19, -4.301555703831444e+19, 2.846521225167657e+19,
        -1.3639420410571592e+19, 4.47020096401231e+18, -8.966114215270463e+17,
        8.30195760673191e+16,
    ),
    (
        3836255180.2304335, -1727704012352.9995, 134124169151806.39,
        -4261935510426898.5, 7.351663610930971e+16, -7.921651119323832e+17,
        5.789887667664653e+18, -3.025566598990372e+19, 1.1707490535797259e+20,
        -3.434621399768417e+20, 7.756704953461136e+20, -1.360203777284994e+21,
        1.8571089321463453e+21, -1.9677247077053125e+21, 1.6016898573693598e+21,
        -9.824438427689858e+20, 4.392792200888712e+20, -1.351217503435996e+20,
        2.5563802960529236e+19, -2.242438856186775e+18,
    ),
)  # fmt: skip
# 1/Γ(1 + z) = sum a_k z**k (mpmath), for Temme's Γ functions of |μ| <= 1/2.
_RGAMMA_TAYLOR = (
    1.0, 0.5772156649015329, -0.6558780715202539,
    -0.04200263503409524, 0.16653861138229148, -0.04219773455554433,
    -0.009621971527876973, 0.0072189432466631, -0.0011651675918590652,
    -0.00021524167411495098, 0.0001280502823881162, -2.013485478078824e-05,
    -1.2504934821426706e-06, 1.133027231981696e-06, -2.056338416977607e-07,
    6.116095104481416e-09, 5.002007644469223e-09, -1.18127457048702e-09,
    1.0434267116911005e-10, 7.782263439905071e-12, -3.696805618642206e-12,
    5.100370287454476e-13, -2.0583260535665066e-14, -5.348122539423018e-15,
    1.2267786282382608e-15,
)  # fmt: skip
# The trapezoid rule's nodes t_i = i/10, i <= 50, for K: cosh(t_i) - 1 and e**t_i.
_K_NODES_COSH_M1 = (
    0.0, 0.005004168055803599, 0.020066755619075845,
    0.04533851412886049, 0.08107237183845481, 0.12762596520638078,
    0.1854652182422677, 0.255169005630943, 0.3374349463048446,
    0.43308638544877437, 0.5430806348152438, 0.6685185538222563,
    0.8106555673243748, 0.9709142303266284, 1.1508984653931404,
    1.3524096152432474, 1.577464471194885, 1.8283154578899672,
    2.1074731763172663, 2.4177315307509524, 2.7621956910836314,
    3.144313170410316, 3.5679083288982274, 4.037220649268762,
    4.556947166965507, 5.132289479663686, 5.769005806608012,
    6.473468618806292, 7.252728416861134, 8.114584294749735,
    9.067661995777765, 10.121500241917596, 11.286646200543858,
    12.574761044029565, 13.99873665867867, 15.572824671057315,
    17.31277908306264, 19.236013943268865, 21.361777632578494,
    23.711345508487987, 26.308232836016487, 29.178430136381866,
    32.35066330887281, 35.856681129304, 39.731573002435596,
    44.014120148530026, 48.74718373883922, 53.978133864612595,
    59.75932363289195, 66.1486131340032, 73.20994852478785,
)  # fmt: skip

#: Below this r = sqrt(v² + x²) the power series (I) and Temme's series or the trapezoid rule
#: with the forward recurrence (K); from it Debye's expansion.
_R0 = 25.0
#: Power-series terms for r < 25 (the largest case, v = 0 and x = 25, needs 41).
_SERIES_TERMS = 44
#: Temme's series for K where x <= 1 (its terms fall as (x²/4)^k / k!²), the trapezoid rule
#: beyond.
_TEMME_UP_TO = 1.0
_TEMME_TERMS = 16
_TRAPEZOID_STEP = 0.1


def _unsqueezed(x: _Num) -> _Num:
    """x with a trailing axis of length 1 (for a vector of nodes or terms)."""
    return _Num(x.ctx, x.ctx.op("Unsqueeze", x.v, x.ctx.axes([-1])))


def _sum_last(x: _Num, weights: Sequence[float] | np.ndarray) -> _Num:
    """sum_i weights[..., i] x[..., i] over the last axis (Mul and ReduceSum: ORT's float64
    MatMul is several times slower)."""
    ctx = x.ctx
    product = x * _Num(ctx, ctx.constant(np.asarray(weights, dtype=F64), F64))
    return _Num(ctx, ctx.op("ReduceSum", product.v, ctx.axes([-1]), keepdims=0))


def _vector(x: _Num, values: Sequence[float]) -> _Num:
    return _Num(x.ctx, x.ctx.constant(np.asarray(values, dtype=F64), F64))


def _two_sum(a: _Num, b: _Num | float) -> tuple[_Num, _Num]:
    """a + b = s + e exactly (Knuth)."""
    total = a + b
    bb = total - a
    return total, (a - (total - bb)) + (b - bb)


def _split(a: _Num) -> tuple[_Num, _Num]:
    """a = hi + lo with 26-bit halves (Veltkamp; |a| < 1e300)."""
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a: _Num, b: _Num) -> tuple[_Num, _Num]:
    """a b = p + e exactly (Dekker; no FMA in ONNX)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _debye_exponent(v: _Num, x: _Num) -> tuple[_Num, _Num, _Num, _Num]:
    """(r, w, F, c): r = sqrt(v² + x²), w = x/(v + r), F = v²/(r + x) and a correction c with
    e^E = w**v e^F e^c (E = v log w + F, Debye's exponent) to a few ulp: r, v + r, w and F in
    double-double, so that the error of E does not grow with v (Pow and Exp of exact doubles
    are within an ulp)."""
    vv, vv_e = _two_prod(v, v)
    xx, xx_e = _two_prod(x, x)
    sq, sq_e = _two_sum(vv, xx)
    sq_e = sq_e + vv_e + xx_e
    r = sq.unary("Sqrt")
    rr, rr_e = _two_prod(r, r)
    r_lo = (((sq - rr) - rr_e) + sq_e) / (2.0 * r)
    u, u_e = _two_sum(v, r)
    u_lo = u_e + r_lo
    w = x / u
    wu, wu_e = _two_prod(w, u)
    w_lo = (((x - wu) - wu_e) - w * u_lo) / u
    rx, rx_e = _two_sum(r, x)
    rx_lo = rx_e + r_lo
    f = vv / rx
    fq, fq_e = _two_prod(f, rx)
    f_lo = (((vv - fq) - fq_e) + vv_e - f * rx_lo) / rx
    return r, w, f, v * (w_lo / w) + f_lo


def _debye_polynomials(s: _Num) -> _Num:
    """P_k(s) for every k along a new last axis (one Horner over the coefficient matrix's
    columns: 20 steps on [..., 20] instead of 210 scalar steps)."""
    size = len(_DEBYE)
    matrix = np.zeros((size, size))
    for i, row in enumerate(_DEBYE):
        matrix[i, : len(row)] = row
    su = _unsqueezed(s)
    out = _vector(s, matrix[:, -1]) * su + _vector(s, matrix[:, -2])
    for j in reversed(range(size - 2)):
        out = out * su + _vector(s, matrix[:, j])
    return out


def _debye_sum(polynomials: _Num, w: _Num) -> _Num:
    """sum_k P_k w**k over the last axis of ``polynomials``."""
    wu = _unsqueezed(w)
    powers = wu._op("Pow", wu.v, _vector(w, np.arange(len(_DEBYE), dtype=F64)).v)
    return _sum_last(polynomials * powers, [1.0] * len(_DEBYE))


def _debye(v: _Num, x: _Num, kinds: str) -> dict[str, _Num]:
    """{"i": ive, "k": kve} (those of ``kinds``, sharing the work) for v >= 0, x >= 0 by
    Debye's uniform expansion, written in r and t² so that it holds at v = 0 too (Hankel's
    expansion there): I_v(x) e^-x = e^E S_I / sqrt(2π r), K_v(x) e^x = e^-E sqrt(π/(2r)) S_K,
    E = v log(x/(v + r)) + v²/(r + x), S = sum (±1)^k P_k(t²)/r**k, t = v/r. Accurate for
    r >= 25 (the terms are below 1e-17); e^E as w**v e^F e^c (``_debye_exponent``). Where those
    pieces leave the double range (orders beyond about 700, or v, x beyond 1e150), e^E from
    E in plain float64 (scaled r): its rounding costs about |E| ulp there, as in Amos' code."""
    r, w, f, c = _debye_exponent(v, x)
    big = v.gt(x)
    m = _select(big, v, x)
    m = _select(m.gt(1.0), m, 1.0)
    r_plain = m * ((v / m) * (v / m) + (x / m) * (x / m)).unary("Sqrt")
    e_plain = v * (x / (v + r_plain)).unary("Log") + v * (v / (r_plain + x))
    usable = r.lt(math.inf).and_(m.lt(1e150))
    r = _select(usable, r, r_plain)
    s = (v / r) * (v / r)
    polynomials = _debye_polynomials(s)  # P_k(t²) along the last axis
    inv_r = 1.0 / r
    root_r = r.unary("Sqrt")
    # e^E = (w**(v/2) e^(F/2))² e^c: halves so that neither factor leaves the double range
    # where e^E is in it (v/2 and F/2 are exact).
    w_half = w._op("Pow", w.v, (0.5 * v).v)
    fine = usable.and_(w_half.gt(1e-300)).and_(f.lt(1400.0))
    out = {}
    if "i" in kinds:
        total = _debye_sum(polynomials, inv_r) / (math.sqrt(2.0 * math.pi) * root_r)
        half = w_half * (0.5 * f).unary("Exp")
        growth = half * half * c.unary("Exp")
        out["i"] = _select(fine, growth, e_plain.unary("Exp")) * total
    if "k" in kinds:
        total = _debye_sum(polynomials, -inv_r) * (math.sqrt(math.pi / 2.0) / root_r)
        half = _select(fine, (-0.5 * f).unary("Exp") / w_half, (-0.5 * e_plain).unary("Exp"))
        correction = _select(fine, (-c).unary("Exp"), 1.0)
        out["k"] = half * (half * (correction * total))  # finite as far as kve is
    return out


def _ive_series(v: _Num, x: _Num) -> _Num:
    """I_v(x) e^-x = (x/2)^v e^-x / Γ(v + 1) sum_k (x²/4)^k / (k! (v + 1)_k) for v >= 0
    (positive terms, nested so that the small ones are added first); for r < 25."""
    q = 0.25 * (x * x)
    total: _Num | float = 1.0
    for k in reversed(range(1, _SERIES_TERMS + 1)):
        total = 1.0 + total * q / (float(k) * (v + float(k)))
    assert isinstance(total, _Num)
    power = (0.5 * x)._op("Pow", (0.5 * x).v, v.v)
    # Γ(v + 1) as v Γ(v) from 1 on: v + 1 would round v, and Γ magnifies that ~v ψ(v) times.
    gamma = _select(v.lt(1.0), gamma64(v + 1.0), v * gamma64(_select(v.lt(1.0), 1.0, v)))
    return power * (-x).unary("Exp") / gamma * total


def _temme(mu: _Num, x: _Num) -> tuple[_Num, _Num]:
    """(K_mu(x), K_mu+1(x)) for |mu| <= 1/2, 0 < x <= 1 by Temme's series (N. M. Temme,
    J. Comput. Phys. 19, 1975), the Γ functions of 1 ± mu from the Taylor series of 1/Γ."""
    mu2 = mu * mu
    even = _horner(mu2, _RGAMMA_TAYLOR[0::2])  # (1/Γ(1 - mu) + 1/Γ(1 + mu)) / 2
    odd = _horner(mu2, _RGAMMA_TAYLOR[1::2])  # (1/Γ(1 + mu) - 1/Γ(1 - mu)) / (2 mu)
    gam1, gam2 = -odd, even
    gampl, gammi = gam2 - mu * gam1, gam2 + mu * gam1  # 1/Γ(1 + mu), 1/Γ(1 - mu)
    half_x = 0.5 * x
    pimu = math.pi * mu
    fact = _select(pimu.unary("Abs").lt(1e-9), 1.0, pimu / pimu.unary("Sin"))
    d = -half_x.unary("Log")
    e = mu * d
    e2 = e * e
    sinhc_small = _horner(e2, [1.0 / math.factorial(2 * k + 1) for k in range(12)])
    # e^±e = (x/2)^∓mu by Pow of exact operands: e itself is rounded, and Exp would magnify
    # that d = -log(x/2) times (hundreds of ulp for tiny x).
    ee, em = half_x._op("Pow", half_x.v, (-mu).v), half_x._op("Pow", half_x.v, mu.v)
    sinhc = _select(e.unary("Abs").lt(1.0), sinhc_small, (ee - em) / (2.0 * e))
    ff = fact * (gam1 * (0.5 * (ee + em)) + gam2 * sinhc * d)
    p = 0.5 * ee / gampl
    q = 0.5 / (ee * gammi)
    c: _Num | float = 1.0
    dd = half_x * half_x
    total, total1 = ff, p
    for i in range(1, _TEMME_TERMS + 1):
        fi = float(i)
        ff = (fi * ff + p + q) / (fi * fi - mu2)
        c = dd * c / fi
        p = p / (fi - mu)
        q = q / (fi + mu)
        total = total + c * ff
        total1 = total1 + c * (p - fi * ff)
    return total, total1 * 2.0 / x


def _k_trapezoid(mu: _Num, x: _Num) -> tuple[_Num, _Num]:
    """(K_mu(x) e^x, K_mu+1(x) e^x) for |mu| <= 1/2, x >= 1 by the trapezoid rule on
    ∫_0^∞ e^(-x (cosh t - 1)) cosh(nu t) dt with step 1/10 up to t = 5 (the integrand is
    analytic in a strip, so the rule converges geometrically: below 1e-17 for 1 <= x <= 40)."""
    h = _TRAPEZOID_STEP
    nodes = [h * i for i in range(len(_K_NODES_COSH_M1))]
    weights = [h / 2, *([h] * (len(nodes) - 1))]
    decay = (_unsqueezed(-x) * _vector(x, _K_NODES_COSH_M1)).unary("Exp")
    a = (_unsqueezed(mu) * _vector(x, nodes)).unary("Exp")
    b = a * _vector(x, [math.exp(t) for t in nodes])
    cosh_mu = 0.5 * (a + 1.0 / a)
    cosh_mu1 = 0.5 * (b + 1.0 / b)
    return _sum_last(decay * cosh_mu, weights), _sum_last(decay * cosh_mu1, weights)


def _kve_recurrence(nu: _Num, x: _Num) -> _Num:
    """K_nu(x) e^x for 0 <= nu < 25, x > 0: K_mu, K_mu+1 with mu = nu - round(nu) (Temme's
    series to x = 1, the trapezoid rule beyond), then K_mu+k+1 = K_mu+k-1 + 2 (mu + k)/x K_mu+k
    up to nu (forward: the stable direction for K)."""
    n = nu.unary("Round")
    mu = nu - n
    small = x.le(_TEMME_UP_TO)
    x_small = _select(small, x, 1.0)
    x_large = _select(small, _TEMME_UP_TO, x)
    k0, k1 = _temme(mu, x_small)
    scale = x_small.unary("Exp")
    t0, t1 = _k_trapezoid(mu, x_large)
    lo = _select(small, k0 * scale, t0)
    hi = _select(small, k1 * scale, t1)
    for k in range(1, int(_R0) + 1):
        step = n.gt(float(k))  # still below nu: one more step
        nxt = lo + 2.0 * (mu + float(k)) / x * hi
        lo, hi = _select(step, hi, lo), _select(step, nxt, hi)
    return _select(n.eq(0.0), lo, hi)


def _positive(nu: _Num, a: _Num, kinds: str) -> dict[str, _Num]:
    """{"i": I_nu(a) e^-a, "k": K_nu(a) e^a} (those of ``kinds``) for nu >= 0, a >= 0 (a > 0
    for K): the series and the recurrence where r < 25, Debye's expansion beyond."""
    near = (nu * nu + a * a).unary("Sqrt").lt(_R0)
    far = _debye(nu, a, kinds)
    out = {}
    if "i" in kinds:
        out["i"] = _select(near, _ive_series(nu, a), far["i"])
    if "k" in kinds:
        out["k"] = _select(near, _kve_recurrence(nu, a), far["k"])
    return out


def _is_integer(v: _Num) -> _Num:
    return v.unary("Floor").eq(v)


#: AMOS's limit (zbesi/zbesk: min(0.5 / tol, i1mach(9) / 2) = 2**30 - 1/2): scipy's ive and
#: kve are NaN ("no computation", ierr 4) where |x| or the order |v| is beyond it.
_AMOS_LIMIT = 1073741823.5


#: AMOS's smallest |z| (1e3 times the smallest normal double): below it its power series
#: gives I_v and J_v as 0 for v != 0 (1 for v = 0) and zbesk reports K as overflowing.
_AMOS_TINY = 1e3 * 2.2250738585072014e-308


def _beyond_amos(nu: _Num, a: _Num) -> _Num:
    """Where scipy's AMOS-based ive and kve give NaN: |v| or |x| beyond AMOS's limit (±inf
    included)."""
    return nu.gt(_AMOS_LIMIT).or_(a.gt(_AMOS_LIMIT))


def ive64(v: _Num, x: _Num, reflect: bool = True) -> _Num:
    """I_v(x) e^-|x| (scipy's ive): for nu = |v| and |x|, the power series where
    r = sqrt(nu² + x²) < 25 and Debye's uniform expansion beyond (in r and t = nu/r, so that
    it is Hankel's expansion at nu = 0); negative non-integer orders by
    I_-nu = I_nu + (2/π) sin(nu π) K_nu (NaN where K_nu overflows, as scipy), x < 0 by
    I_v(-x) = (-1)^v I_v(x) for integer v (NaN otherwise). NaN where |x| or |v| is beyond
    AMOS's limit 2**30 - 1/2 (±inf included), as scipy. ``reflect=False`` leaves out the K
    part (the order is known not to need it)."""
    nu, a = v.unary("Abs"), x.unary("Abs")
    parts = _positive(nu, a, "ik" if reflect else "i")
    out = parts["i"]
    integer = _is_integer(v)
    if reflect:
        k = parts["k"]
        extra = (2.0 / math.pi) * _sinpi(nu) * k * (-2.0 * a).unary("Exp")
        reflected = _select(k.eq(math.inf).or_(a.eq(0.0)), math.nan, out + extra)
        out = _select(v.lt(0.0).and_(integer.unary("Not")), reflected, out)
    odd = (v - 2.0 * (0.5 * v).unary("Floor")).eq(1.0)
    out = _select(x.lt(0.0).and_(odd), -out, out)
    # scipy (AMOS) below |x| = 1e3 DBL_MIN: 0 for v != 0 (true value (x/2)^v / Γ(v + 1),
    # about 1 for a tiny v), NaN for negative non-integer orders (K "overflows")
    tiny = a.gt(0.0).and_(a.lt(_AMOS_TINY)).and_(nu.gt(0.0))
    out = _select(tiny, _select(v.lt(0.0).and_(integer.unary("Not")), math.nan, 0.0), out)
    bad = x.lt(0.0).and_(integer.unary("Not")).or_(_beyond_amos(nu, a))
    out = _select(bad, math.nan, out)
    return _keep_nan(v, _keep_nan(x, out))


def _as_amos_for_subnormal_orders(nu: _Num, x: _Num, out: _Num) -> _Num:
    """scipy's kve where the order is so small that AMOS's factor nu π / sin(nu π) overflows
    (nu below about 1.77e-309) and x <= 2 (zbknu's series): the factor is inf, and the series'
    first term inf · (smu / 2 - euler_gamma), smu = fl(log(2/x) nu) / nu (the subnormal product
    rounds log(2/x) to a multiple of 1/nu's step); +inf where that is positive, NaN
    (inf - inf in the series) elsewhere."""
    pi_nu = math.pi * nu
    # only tiny orders: ONNX Runtime's Sin of an integer multiple of pi can be exactly 0
    # (kve(2, x) was inf for every x <= 2)
    tiny = nu.gt(0.0).and_(nu.lt(1e-300))
    overflows = tiny.and_((1.0 / pi_nu.unary("Sin")).eq(math.inf))
    inside = overflows.and_(x.ge(_AMOS_TINY)).and_(x.le(2.0))
    safe_x = _select(inside, x, 1.0)
    safe_nu = _select(inside, nu, 1e-320)
    smu = ((2.0 / safe_x).unary("Log") * safe_nu) / safe_nu  # sinh of a subnormal is itself
    first = 0.5 * smu - 0.5772156649015329
    return _select(inside, _select(first.gt(0.0), math.inf, math.nan), out)


def kve64(v: _Num, x: _Num) -> _Num:
    """K_v(x) e^x (scipy's kve), even in v: for nu = |v|, Temme's series for K_mu, K_mu+1
    (|mu| <= 1/2) where x <= 1, the trapezoid rule on the integral e^x ∫ e^(-x cosh t)
    cosh(mu t) dt beyond, the forward recurrence up to nu, all where r = sqrt(nu² + x²) < 25;
    Debye's uniform expansion beyond. +inf at x = ±0 (whatever v, as scipy), NaN for x < 0,
    and where x or |v| is beyond AMOS's limit 2**30 - 1/2 (x = inf, v = ±inf), as scipy."""
    nu = v.unary("Abs")
    positive = _select(x.gt(0.0), x, 1.0)  # keeps the unused branches finite
    out = _positive(nu, positive, "k")["k"]
    out = _as_amos_for_subnormal_orders(nu, x, out)
    # scipy: +inf below x = 1e3 DBL_MIN (AMOS's zbesk reports an overflow there)
    out = _select(x.gt(0.0).and_(x.lt(_AMOS_TINY)), math.inf, out)
    bad = x.lt(0.0).or_(_beyond_amos(nu, x)).or_(v.unary("IsNaN"))
    out = _select(bad, math.nan, out)
    return _keep_nan(x, _select(x.eq(0.0), math.inf, out))


@lowers(ops.Ive)
def _lower_ive(op: ops.Ive, ctx: LoweringContext, args: list[V]) -> V:
    """ive64; the K part only where the order may be a negative non-integer."""
    order = constant_array(op.operands[0])
    reflect = order is None or bool(np.any((order < 0) & (np.floor(order) != order)))
    return _in_float64(functools.partial(ive64, reflect=reflect))(op, ctx, args)


lowers(ops.Kve)(_in_float64(kve64))


# -- jv: real order ------------------------------------------------------------------------------
#: Series terms where q = x²/4 <= max(1/4, (|v| + 1)/2) (the alternating terms then cancel to
#: at most a factor e of their sum), and q <= |v| for negative non-integer orders (whose terms
#: beyond k = |v| <= 37 still count: 20 more).
_JV_SERIES_TERMS = 60
#: Miller's backward recurrence from order frac(v) + 136 where 1 < x <= 75 and 0 <= v < 70 or
#: -37 < v < 0: the start is then at least 61 orders beyond x (J_x+d(x) falls below 1e-17 of
#: J's size for d of about (58 sqrt(x))^(2/3), 51 at x = 75) and 66 beyond v.
_MILLER_TOP = 136
_MILLER_X_MAX = 75.0
_MILLER_ORDER_MAX = 70.0
_MILLER_NEGATIVE_MAX = 37.0
#: Hankel's expansion from x = 75 where its 20th term is below 1e-17.
_HANKEL_TERMS = 20
#: Where the last terms of an asymptotic expansion are below this, it is accurate.
_TAIL = 1e-17


def _gamma_plus_one(v: _Num) -> _Num:
    """Γ(v + 1), as v Γ(v) from v >= 1 on (v + 1 would be rounded, Γ magnifies that)."""
    at_least_one = v.ge(1.0)
    direct = gamma64(v + 1.0)
    return _select(at_least_one, v * gamma64(_select(at_least_one, v, 1.0)), direct)


def _cospi(y: _Num) -> _Num:
    """cos(π y) from the exactly reduced argument."""
    n = y.unary("Round")
    c = (math.pi * (y - n)).unary("Cos")
    odd = (n - 2.0 * (0.5 * n).unary("Floor")).eq(1.0)
    return _select(odd, -c, c)


def _quarter_turns(o: _Num) -> tuple[_Num, _Num]:
    """(cos φ, sin φ), φ = (o/2 + 1/4)π: from cos and sin of the exactly reduced o/2, turned
    by π/4 (2 o + 1 is not exact where it reaches the next binade: 100 ulps at o = 127.65)."""
    half = 0.5 * o
    c, s = _cospi(half), _sinpi(half)
    root = math.sqrt(0.5)
    return (c - s) * root, (s + c) * root


def _jv_series(o: _Num, a: _Num) -> _Num:
    """J_o(a) = (a/2)^o / Γ(o + 1) sum_k (-a²/4)^k / (k! (o + 1)_k), a >= 0, o not a negative
    integer (nested, the small terms first)."""
    q = 0.25 * (a * a)
    total: _Num | float = 1.0
    for k in reversed(range(1, _JV_SERIES_TERMS + 1)):
        total = 1.0 - total * q / (float(k) * (o + float(k)))
    assert isinstance(total, _Num)
    half = 0.5 * a
    return half._op("Pow", half.v, o.v) / _gamma_plus_one(o) * total


def _jv_miller(o: _Num, a: _Num, negative: bool) -> tuple[_Num, _Num, _Num]:
    """J_o(a) for 1 < a <= 75, -37 < o < 70 by Miller's algorithm: the recurrence
    f_k-1 = 2 (mu + k)/a f_k - f_k+1 from order mu + 136 down to mu = o - floor(o) (backward:
    the stable direction for J), normalised by Neumann's sum
    (a/2)^mu / Γ(mu + 1) = sum_k c_k J_mu+2k(a), c_0 = 1, c_k = (mu + 2k) (mu + 1)_k-1 / k!;
    negative orders (``negative``) continue downward from mu (there the dominant direction).
    Returns (J_o, J_mu, J_mu+1): the last two for every o (whatever its size)."""
    n = o.unary("Floor")
    mu = o - n
    inv = 2.0 / a
    weights: list[_Num | float] = [1.0, mu + 2.0]
    for k in range(2, _MILLER_TOP // 2 + 1):
        weights.append(
            weights[-1] * ((mu + 2.0 * k) / (mu + (2.0 * k - 2.0))) * ((mu + (k - 1.0)) / k)
        )
    above: _Num | float = 0.0
    current: _Num | float = 1e-200
    total = weights[-1] * current
    recorded: _Num | float = 0.0
    for k in range(_MILLER_TOP, 0, -1):
        below = (mu + float(k)) * inv * current - above
        above, current = current, below
        if (k - 1) % 2 == 0:
            total = total + weights[(k - 1) // 2] * below
        recorded = _select(n.eq(float(k - 1)), below, recorded)
    assert isinstance(current, _Num) and isinstance(above, _Num) and isinstance(total, _Num)
    half = 0.5 * a
    norm = half._op("Pow", half.v, mu.v) / gamma64(mu + 1.0) / total
    assert isinstance(recorded, _Num)
    out = recorded * norm
    j_mu, j_mu1 = current * norm, above * norm
    if not negative:
        return out, j_mu, j_mu1
    upper, lower = j_mu1, j_mu
    result = lower
    for j in range(1, int(_MILLER_NEGATIVE_MAX) + 1):
        nxt = (mu - float(j - 1)) * inv * lower - upper
        upper, lower = lower, nxt
        result = _select(n.eq(float(-j)), nxt, result)
    return _select(n.ge(0.0), out, result), j_mu, j_mu1


def _jv_hankel(o: _Num, a: _Num) -> tuple[_Num, _Num, _Num]:
    """(J_o(a), Y_o(a), the last term) by Hankel's expansion: J = sqrt(2/(πa)) (P cos χ - Q sin χ),
    Y = sqrt(2/(πa)) (P sin χ + Q cos χ),
    χ = a - (o/2 + 1/4)π, P and Q the even and odd terms prod_j (4o² - (2j - 1)²)/(8 j a)
    with alternating signs; cos χ, sin χ from cos a, sin a and the exactly reduced (2o + 1)/4."""
    mu4 = 4.0 * (o * o)
    w = 0.125 / a
    term: _Num | float = 1.0
    p: _Num | float = 1.0
    q: _Num | float = 0.0
    for k in range(1, _HANKEL_TERMS + 1):
        term = term * ((mu4 - float((2 * k - 1) ** 2)) * w / float(k))
        sign = -1.0 if (k // 2) % 2 else 1.0  # k = 1, 2, 3, 4, ...: Q +, P -, Q -, P +
        if k % 2:
            q = q + sign * term
        else:
            p = p + sign * term
    assert isinstance(term, _Num) and isinstance(p, _Num) and isinstance(q, _Num)
    cos_phi, sin_phi = _quarter_turns(o)
    c, s = a.unary("Cos"), a.unary("Sin")
    cos_chi = c * cos_phi + s * sin_phi
    sin_chi = s * cos_phi - c * sin_phi
    amplitude = math.sqrt(2.0 / math.pi) / a.unary("Sqrt")
    value = (p * cos_chi - q * sin_chi) * amplitude
    second = (p * sin_chi + q * cos_chi) * amplitude
    return value, second, term.unary("Abs")


#: The arcsine's table: beta_k = k π/(2 N), k = 0..N, with sin and cos, each as hi + lo.
_ASIN_STEPS = 64


def _arcsine_table() -> np.ndarray:
    """Rows (beta_k, sin beta_k, cos beta_k), each as hi and lo (columns 0-5), to twice the
    double precision (decimal arithmetic at 40 digits, Taylor series)."""
    import decimal

    with decimal.localcontext() as context:
        context.prec = 40
        pi = decimal.Decimal("3.141592653589793238462643383279502884197169399375")
        rows = []
        for k in range(_ASIN_STEPS + 1):
            beta = pi * k / (2 * _ASIN_STEPS)
            term, sine, cosine = beta, decimal.Decimal(0), decimal.Decimal(0)
            cterm = decimal.Decimal(1)
            for j in range(30):
                sine += term
                cosine += cterm
                term = -term * beta * beta / ((2 * j + 2) * (2 * j + 3))
                cterm = -cterm * beta * beta / ((2 * j + 1) * (2 * j + 2))
            row = []
            for value in (beta, sine, cosine):
                hi = float(value)
                row += [hi, float(value - decimal.Decimal(hi))]
            rows.append(row)
    return np.array(rows, dtype=F64)


_ARCSINE = _arcsine_table()


def _asin_series() -> tuple[tuple[float, float], ...]:
    """The coefficients (2k)! / (4^k (k!)² (2k + 1)) of t^(2k+1) in asin(t), k = 1..8, each as
    hi + lo (|t| <= π/256: the next term is below 1e-36)."""
    from fractions import Fraction

    out = []
    for k in range(1, 9):
        c = Fraction(math.factorial(2 * k), 4**k * math.factorial(k) ** 2 * (2 * k + 1))
        hi = float(c)
        out.append((hi, float(c - Fraction(hi))))
    return tuple(out)


_ASIN_SERIES = _asin_series()


def _dd_mul(x: tuple[_Num | float, _Num | float], y: tuple[_Num, _Num]) -> tuple[_Num, _Num]:
    """(x_hi + x_lo)(y_hi + y_lo) as hi + lo (renormalized)."""
    x_hi, x_lo = x
    if not isinstance(x_hi, _Num):
        x_hi = y[0] * 0.0 + x_hi
    p, e = _two_prod(x_hi, y[0])
    e = e + (x_hi * y[1] + y[0] * x_lo)
    hi = p + e
    return hi, e - (hi - p)


def _dd_add_const(x: tuple[_Num, _Num], c_hi: float, c_lo: float) -> tuple[_Num, _Num]:
    """(x_hi + x_lo) + (c_hi + c_lo) as hi + lo."""
    s, e = _two_sum(x[0], c_hi)
    e = e + (x[1] + c_lo)
    hi = s + e
    return hi, e - (hi - s)


def _two_prod_dd(a: _Num, hi: _Num, lo: _Num | float) -> tuple[_Num, _Num]:
    """a (hi + lo) to twice the precision."""
    p, e = _two_prod(a, hi)
    return p, e + a * lo


def _nu_arcsine(nu: _Num, a: _Num, rho: tuple[_Num, _Num]) -> tuple[_Num, _Num]:
    """nu asin(nu/a) as hi + lo (to about 1e-32 relatively) for 0 <= nu < a, rho = sqrt(a² -
    nu²) as hi + lo: beta = beta_k + δ with beta_k from a table (the nearest of k π/128 to a
    float32 arcsine) and sin δ = (nu cos beta_k - rho sin beta_k)/a to twice the precision,
    δ = asin(sin δ) by its series in double-double (|δ| <= π/256: eight terms)."""
    ctx = nu.ctx
    rough = _Num(ctx, ctx.op("Cast", (nu / a).v, to=onnx_dtype("float32"))).unary("Asin")
    rough = _Num(ctx, ctx.op("Cast", rough.v, to=onnx_dtype(F64)))
    k = (rough * (2.0 * _ASIN_STEPS / math.pi)).unary("Round")
    k = _select(k.gt(float(_ASIN_STEPS)), float(_ASIN_STEPS), _select(k.lt(0.0), 0.0, k))
    index = ctx.op("Cast", k.v, to=onnx_dtype("int64"))
    columns = [
        _Num(ctx, ctx.op("Gather", ctx.constant(_ARCSINE[:, i], F64), index)) for i in range(6)
    ]
    beta_hi, beta_lo, sin_hi, sin_lo, cos_hi, cos_lo = columns
    p1, e1 = _two_prod_dd(nu, cos_hi, cos_lo)
    p2, e2 = _two_prod(rho[0], sin_hi)
    e2 = e2 + (rho[0] * sin_lo + rho[1] * sin_hi)
    d, de = _two_sum(p1, -p2)
    de = de + (e1 - e2)
    t = d / a
    q, qe = _two_prod(t, a)
    t_lo = (((d - q) - qe) + de) / a
    # asin(t) - t = t³ (1/6 + 3t²/40 + ...) in double-double: in plain double its rounding
    # (1e-16 of t³/6 ~ 3e-7) times nu put 1e-3 rad into the phase at nu = 1e18
    t2, t2_lo = _two_prod(t, t)
    t2_lo = t2_lo + 2.0 * t * t_lo
    acc: tuple[_Num | float, _Num | float] = _ASIN_SERIES[-1]
    for c_hi, c_lo in reversed(_ASIN_SERIES[:-1]):
        acc = _dd_add_const(_dd_mul(acc, (t2, t2_lo)), c_hi, c_lo)
    t3 = _dd_mul((t2, t2_lo), (t, t_lo))
    rest, rest_lo = _dd_mul(t3, acc)
    delta, delta_lo = _two_sum(t, rest)  # δ = t + rest as hi + lo (nu δ is up to 1e-2 nu)
    b1, b1e = _two_prod_dd(nu, beta_hi, beta_lo)
    b2, b2e = _two_prod_dd(nu, delta, delta_lo + (t_lo + rest_lo))
    total, total_e = _two_sum(b1, b2)
    return total, total_e + (b1e + b2e)


def _jy_debye_oscillating(nu: _Num, a: _Num) -> tuple[_Num, _Num, _Num]:
    """(J_nu(a), Y_nu(a), the size of the last two terms) for a > nu >= 0 by Debye's expansion
    (DLMF 10.19.6) in rho = sqrt(a² - nu²): J = sqrt(2/(π rho)) (cos ξ A + sin ξ B),
    Y = sqrt(2/(π rho)) (sin ξ A - cos ξ B), A = sum_k (-1)^k P_2k(-nu²/rho²)/rho^2k,
    B = sum_k (-1)^k P_2k+1(-nu²/rho²)/rho^2k+1, ξ = rho + nu asin(nu/a) - (2 nu + 1)π/4:
    rho + nu asin(nu/a) to twice the precision (``_nu_arcsine``), its cosine and sine from
    ORT's exactly reduced ones of its high part, (2 nu + 1)/4 reduced exactly."""
    nn, nn_e = _two_prod(nu, nu)
    aa, aa_e = _two_prod(a, a)
    sq, sq_e = _two_sum(aa, -nn)
    sq_e = sq_e + (aa_e - nn_e)
    rho = _select(sq.gt(0.0), sq, 1.0).unary("Sqrt")
    rr, rr_e = _two_prod(rho, rho)
    rho_lo = (((sq - rr) - rr_e) + sq_e) / (2.0 * rho)
    s = -((nu / rho) * (nu / rho))
    polynomials = _debye_polynomials(s)
    size = len(_DEBYE)
    inv = _unsqueezed(1.0 / rho)
    scaled = polynomials * inv._op("Pow", inv.v, _vector(rho, np.arange(size, dtype=F64)).v)
    even = [0.0 if k % 2 else (-1.0) ** (k // 2) for k in range(size)]
    odd = [(-1.0) ** (k // 2) if k % 2 else 0.0 for k in range(size)]
    sum_a, sum_b = _sum_last(scaled, even), _sum_last(scaled, odd)
    tail = _sum_last(scaled.unary("Abs"), [0.0] * (size - 2) + [1.0, 1.0])
    arc, arc_lo = _nu_arcsine(nu, a, (rho, rho_lo))
    phase, phase_e = _two_sum(rho, arc)
    low = phase_e + (rho_lo + arc_lo)
    c, sn = phase.unary("Cos"), phase.unary("Sin")
    # cos and sin of the low part itself: it is up to half an ulp of the phase (thousands
    # for orders near 1e20, where a second-order Taylor form of them was garbage)
    cos_low, sin_low = low.unary("Cos"), low.unary("Sin")
    cos_s = c * cos_low - sn * sin_low
    sin_s = sn * cos_low + c * sin_low
    cos_phi, sin_phi = _quarter_turns(nu)
    cos_xi = cos_s * cos_phi + sin_s * sin_phi
    sin_xi = sin_s * cos_phi - cos_s * sin_phi
    amplitude = math.sqrt(2.0 / math.pi) / rho.unary("Sqrt")
    j = (cos_xi * sum_a + sin_xi * sum_b) * amplitude
    second = (sin_xi * sum_a - cos_xi * sum_b) * amplitude
    return j, second, tail


def _jy_debye(nu: _Num, a: _Num, y_factor: _Num | None = None) -> tuple[_Num, _Num | None, _Num]:
    """(J_nu(a), y_factor Y_nu(a) if ``y_factor`` is given, the size of the last two terms)
    for 0 <= a < nu by Debye's expansion: J = w^nu e^r' S+ / sqrt(2π r'),
    Y = -2 w^-nu e^-r' S- / sqrt(2π r'), r' = sqrt(nu² - a²), w = a/(nu + r'),
    S± = sum (±1)^k P_k(t²)/r'^k, t = nu/r' (the polynomials of ive's expansion); r' and w in
    double-double as there. Where Y's pieces overflow, the factor (|y_factor| <= 1, the
    reflection's sine) and 2/sqrt(2π r') go inside the power, so that a product in range
    stays finite."""
    vv, vv_e = _two_prod(nu, nu)
    aa, aa_e = _two_prod(a, a)
    sq, sq_e = _two_sum(vv, -aa)
    sq_e = sq_e + (vv_e - aa_e)
    r = _select(sq.gt(0.0), sq, 1.0).unary("Sqrt")
    rr, rr_e = _two_prod(r, r)
    r_lo = (((sq - rr) - rr_e) + sq_e) / (2.0 * r)
    u, u_e = _two_sum(nu, r)
    u_lo = u_e + r_lo
    w = a / u
    wu, wu_e = _two_prod(w, u)
    w_lo = (((a - wu) - wu_e) - w * u_lo) / u
    c = nu * (w_lo / w) + r_lo
    s = (nu / r) * (nu / r)
    polynomials = _debye_polynomials(s)
    inv_r = 1.0 / r
    size = len(_DEBYE)
    last = _sum_last(polynomials, [0.0] * (size - 1) + [1.0])
    before = _sum_last(polynomials, [0.0] * (size - 2) + [1.0, 0.0])
    exponent = _Num(r.ctx, r.ctx.constant(float(len(_DEBYE) - 2), F64))
    tail = (last.unary("Abs") * inv_r + before.unary("Abs")) * inv_r._op("Pow", inv_r.v, exponent.v)
    root = (2.0 * math.pi * r).unary("Sqrt")
    # w^nu e^r' as (w^(nu/p) e^(r'/p))^p, p = 2 unless a factor would leave the double range
    # (w^(nu/2) below 1e-308 for large orders, where J itself may be far from it): then the
    # least power of 2 keeping both within e^±700 (p/2 times the rounding: 8 ulp at p = 8).
    largest = _select(r.gt(nu * w.unary("Log").unary("Abs")), r, nu * w.unary("Log").unary("Abs"))
    doublings = ((largest / 700.0).unary("Log") * (1.0 / math.log(2.0))).unary("Ceil")
    doublings = _select(doublings.gt(1.0), doublings, 1.0)  # NaN, -inf: 1
    parts = _Num(r.ctx, r.ctx.op("Pow", r.ctx.constant(2.0, F64), doublings.v))
    squared = parts.eq(2.0)
    share = 1.0 / parts
    w_part = w._op("Pow", w.v, (nu * share).v)
    piece = w_part * (r * share).unary("Exp")
    front = _select(squared, piece * piece, piece._op("Pow", piece.v, parts.v))
    j = front * c.unary("Exp") * _debye_sum(polynomials, inv_r) / root
    if y_factor is None:
        return j, None, tail
    piece_y = (-(r * share)).unary("Exp") / w_part
    front_y = _select(squared, piece_y * piece_y, piece_y._op("Pow", piece_y.v, parts.v))
    rest = (-c).unary("Exp") * _debye_sum(polynomials, -inv_r)
    y = -2.0 * front_y * rest / root * y_factor
    # |Y| beyond the double range with y_factor Y (or J_-nu) inside it: a few ulps more
    inner = 2.0 * y_factor.unary("Abs") / root
    piece_in = piece_y * inner._op("Pow", inner.v, share.v)
    scaled = _select(squared, piece_in * piece_in, piece_in._op("Pow", piece_in.v, parts.v))
    y_wide = -scaled * rest * _select(y_factor.lt(0.0), -1.0, 1.0)
    return j, _select(front_y.lt(math.inf), y, y_wide), tail


#: Steed's continued fraction for (J' + iY')/(J + iY) from its 30th level: below 1 ulp from
#: a = 4 on (3 ulp at a = 2), for orders below 2.
_STEED_DEPTH = 30
#: Where the recurrences need Y_mu, Y_mu+1 (from Steed's fraction): a >= 4.
_STEED_FROM = 4.0
#: The backward recurrence starts from Debye's expansion at an order m with
#: m - a >= 9.6 (a + 12 a^(1/3) + 20)^(1/3): its last terms are then below 3e-18.
_DEBYE_START = 9.6
#: The most steps the recurrences take (an element needing more is NaN: a guard against a
#: loop of millions of steps, the time being that of the slowest element).
_RECURRENCE_MAX = 30000


def _steed_y(mu: _Num, a: _Num, j_mu: _Num, j_mu1: _Num) -> tuple[_Num, _Num]:
    """(Y_mu(a), Y_mu+1(a)) from J_mu, J_mu+1 and Steed's continued fraction
    p + iq = (J' + iY')/(J + iY) = -1/(2a) + i + (i/a) a_1/(b_1 + a_2/(b_2 + ...)),
    a_k = (k - 1/2)² - mu², b_k = 2(a + ki) (evaluated from its 30th level up): J' = pJ - qY
    gives Y = (pJ - J')/q, J' = (mu/a) J - J_mu+1, and Y' = qJ + pY, Y_mu+1 = (mu/a) Y - Y'.
    Accurate to the modulus sqrt(J² + Y²) for a >= 4."""
    mu2 = mu * mu
    two_a = 2.0 * a
    tr: _Num | float = 0.0
    ti: _Num | float = 0.0
    for k in range(_STEED_DEPTH, 0, -1):
        dr = two_a + tr
        di = ti + 2.0 * k if isinstance(ti, _Num) else 2.0 * k
        scale = (((k - 0.5) ** 2) - mu2) / (dr * dr + di * di)
        tr, ti = scale * dr, -(scale * di)
    assert isinstance(tr, _Num) and isinstance(ti, _Num)
    # (i/a)(tr + i ti) = (-ti + i tr)/a
    p = (-0.5 - ti) / a
    q = 1.0 + tr / a
    ratio = mu / a
    derivative = ratio * j_mu - j_mu1
    y_mu = (p * j_mu - derivative) / q
    y_derivative = q * j_mu + p * y_mu
    return y_mu, ratio * y_mu - y_derivative


def _broadcast_all(values: Sequence[_Num]) -> list[_Num]:
    """The values expanded to their common shape (a loop's carried values keep their shape)."""
    total = values[0]
    for v in values[1:]:
        total = total + v
    ctx = total.ctx
    shape = ctx.op("Shape", total.v)
    return [_Num(ctx, ctx.op("Expand", v.v, shape)) for v in values]


def _dd_ratio(numerator: _Num, numerator_lo: _Num | float, a: _Num) -> tuple[_Num, _Num]:
    """(numerator + numerator_lo)/a as hi + lo."""
    q = numerator / a
    p, e = _two_prod(q, a)
    return q, (((numerator - p) - e) + numerator_lo) / a  # numerator - p: exact (Sterbenz)


def _recurrences(
    a: _Num, sequences: Sequence[tuple[_Num, _Num, _Num, _Num | float, _Num | float, _Num]]
) -> list[_Num]:
    """Runs three-term Bessel recurrences f_next = (2 n/a) f_n - f_prev, elementwise, in one
    ONNX Loop, in double-double (the values and the factor 2 n/a as hi + lo, the factor
    moved by ±2/a each step): their rounding then adds nothing over thousands of steps. Each
    sequence is (f_prev, f_n, n, its low part, direction ±1, steps); an element's result is
    its f at n + direction·steps (f_n where steps is 0 or NaN), ±inf where the values
    overflow on the way. The loop runs while any element has steps left (at most
    ``_RECURRENCE_MAX``; the elements done keep stepping, unrecorded)."""
    ctx = a.ctx
    flat: list[_Num] = []
    for prev, cur, order, low, _, steps in sequences:
        c, c_lo = _dd_ratio(2.0 * order, 2.0 * low, a)
        flat += [prev, cur, c, c_lo, _select(steps.gt(0.0), steps, 0.0)]  # NaN: none
    flat = _broadcast_all([*flat, a])[:-1]
    step_hi, step_lo = _dd_ratio(a * 0.0 + 2.0, 0.0, a)
    increments = [(direction * step_hi, direction * step_lo) for *_, direction, _ in sequences]
    state: list[_Num] = []
    for i in range(len(sequences)):
        prev, cur, c, c_lo, steps = flat[5 * i : 5 * i + 5]
        zero = prev * 0.0
        state += [prev, zero, cur, zero, c, c_lo, steps, cur]
    width = 8
    left = _any_positive([state[width * i + 6] for i in range(len(sequences))])

    def step(ins: list[V]) -> list[V]:
        old = [_Num(ctx, v) for v in ins[2:]]
        new: list[_Num] = []
        for i, (inc_hi, inc_lo) in enumerate(increments):
            ph, pl, ch, cl, c, c_lo, steps, result = old[width * i : width * (i + 1)]
            prod, prod_e = _two_prod(c, ch)
            prod_e = prod_e + (c * cl + c_lo * ch)
            total, total_e = _two_sum(prod, -ph)
            total_e = total_e + (prod_e - pl)
            nh = total + total_e
            nl = total_e - (nh - total)
            overflow = total.unary("Abs").gt(1e300)
            record = steps.gt(0.0).and_(steps.le(1.0).or_(overflow))
            result = _select(record, _select(overflow, total, nh), result)
            c_next, c_e = _two_sum(c, inc_hi)
            c_e = c_e + (c_lo + inc_lo)
            c_hi = c_next + c_e
            new += [
                ch,
                cl,
                nh,
                nl,
                c_hi,
                c_e - (c_hi - c_next),
                _select(overflow, 0.0, steps - 1.0),
                result,
            ]
        more = _any_positive([new[width * i + 6] for i in range(len(sequences))])
        return [more.v, *(n.v for n in new)]

    inputs = [("iter", "int64", True), ("cond", "bool", True)] + [("rec", F64, False)] * len(state)
    body = _build_subgraph(ctx, "bessel_recurrence", inputs, step)
    results = ctx.node(
        "Loop",
        [ctx.constant(_RECURRENCE_MAX, "int64"), left.v, *(s.v for s in state)],
        {"body": body},
        num_outputs=len(state),
    )
    return [_Num(ctx, results[width * i + 7]) for i in range(len(sequences))]


def _only_if(mask: _Num, compute: Callable[[], _Num], otherwise: _Num) -> _Num:
    """compute() where some element of the bool ``mask`` is true, else ``otherwise`` (an
    ONNX If: the branch not taken costs nothing)."""
    ctx = mask.ctx
    flag = _Num(ctx, ctx.op("Cast", mask.v, to=onnx_dtype(F64)))
    any_true = _Num(ctx, ctx.op("ReduceMax", flag.v, keepdims=0)).gt(0.0)

    def branch(make: Callable[[], _Num], name: str) -> oir.Graph:
        return _build_subgraph(ctx, name, [], lambda _: [make().v])

    then_branch = branch(compute, "bessel_then")
    else_branch = branch(lambda: otherwise, "bessel_else")
    (result,) = ctx.node(
        "If", [any_true.v], {"then_branch": then_branch, "else_branch": else_branch}
    )
    return _Num(ctx, result)


def _on_subset(
    mask: _Num, values: Sequence[_Num], compute: Callable[[list[_Num]], _Num], otherwise: _Num
) -> _Num:
    """``otherwise`` with compute(values at the elements where ``mask``) put in at those
    elements: NonZero, GatherND, ScatterND over the flattened values (``otherwise`` has the
    full shape), so that the work is that of the elements needing it."""
    ctx = mask.ctx
    shape = ctx.op("Shape", otherwise.v)
    flat_shape = ctx.constant(np.array([-1], dtype=np.int64), "int64")

    def flat(v: _Num) -> V:
        return ctx.op("Reshape", ctx.op("Expand", v.v, shape), flat_shape)

    index = ctx.op("Transpose", ctx.op("NonZero", flat(mask)), perm=[1, 0])
    picked = [_Num(ctx, ctx.op("GatherND", flat(v), index)) for v in values]
    result = compute(picked)
    merged = ctx.op("ScatterND", flat(otherwise), index, result.v)
    return _Num(ctx, ctx.op("Reshape", merged, shape))


def _any_positive(values: Sequence[_Num]) -> _Num:
    """A bool scalar: some element of some value is > 0."""
    ctx = values[0].ctx
    largest = values[0] if len(values) == 1 else values[0]._op("Max", *(v.v for v in values))
    return _Num(ctx, ctx.op("ReduceMax", largest.v, keepdims=0)).gt(0.0)


def _shifted_debye(m: _Num, m_lo: _Num, a: _Num) -> tuple[_Num, _Num]:
    """(J_m+m_lo(a), the size of Debye's last terms) for a < m by Debye's expansion at m and
    d log J/dm = -acosh(m/a) - m/(2 (m² - a²)) (to its first order: m_lo is below an ulp of
    m)."""
    j, _, tail = _jy_debye(m, a)
    ratio = m / a
    acosh = (ratio + ((ratio - 1.0) * (ratio + 1.0)).unary("Sqrt")).unary("Log")
    slope = -acosh - 0.5 * m / ((m - a) * (m + a))
    return j * (1.0 + slope * m_lo), tail


def _cbrt(x: _Num) -> _Num:
    return x._op("Pow", x.v, x.ctx.constant(1.0 / 3.0, F64))


def _jv_recurring(
    nu: _Num,
    a: _Num,
    far: _Num,
    neg: _Num | None,
    miller_j_nu: _Num,
    miller: _Num,
    miller_mu: _Num,
    miller_mu1: _Num,
    covered: _Num,
) -> _Num:
    """J_v(a) where no closed method is accurate, by recurrences in double-double
    (``_recurrences``) on nu = |v|, mu = nu - floor(nu): past the turning point (nu <= a)
    forward from J_mu, J_mu+1 (Miller's where a <= 75, Hankel's beyond), stable there; below
    it backward from Debye's J_m+1, J_m at an order m = nu + L where that expansion is
    accurate (the dominant direction for J there). For negative non-integer orders (``neg``)
    J_-nu = cos(nu π) J_nu - sin(nu π) Y_nu, Y_nu forward from Y_mu, Y_mu+1 (Hankel's beyond
    a = 75, Steed's continued fraction from a = 4): always Y's dominant direction; J_nu is
    Miller's where it has it (``miller_j_nu``). NaN where none of these applies (a < 4 for
    Y, more than ``_RECURRENCE_MAX`` steps)."""
    n = nu.unary("Floor")
    mu = nu - n
    hankel_a = _select(far, a, 2.0 * _MILLER_X_MAX)
    h_mu, hy_mu, _ = _jv_hankel(mu, hankel_a)
    h_mu1, hy_mu1, _ = _jv_hankel(mu + 1.0, hankel_a)
    j_mu = _select(far, h_mu, miller_mu)
    j_mu1 = _select(far, h_mu1, miller_mu1)
    need = covered.unary("Not")
    # Debye's start for the backward direction: m - a >= 9.6 (a + 12 a^(1/3) + 20)^(1/3)
    target = a + _DEBYE_START * _cbrt(a + 12.0 * _cbrt(a) + 20.0)
    steps_back = _select(target.gt(nu), (target - nu).unary("Ceil"), 0.0)
    # forward past the turning point, unless backward takes fewer steps (near it, for large
    # orders: Debye's oscillating expansion takes over about 11 nu^(1/3) beyond it)
    forward = nu.le(a).and_(n.le(steps_back))
    backward = need.and_(forward.unary("Not"))
    # m = nu + L and m + 1 as hi + lo (nu + L may round: J at the rounded order would be
    # |d log J/d nu| ~ acosh(m/a) times that off, tens of ulps)
    m, m_lo = _two_sum(nu, _select(backward, steps_back, 0.0))
    m1, m1_lo = _two_sum(m, 1.0)
    m1_lo = m1_lo + m_lo
    a_b = _select(backward, a, 1.0)
    m = _select(backward, m, 2.0)
    m1 = _select(backward, m1, 3.0)
    j_m, tail_m = _shifted_debye(m, m_lo, a_b)
    j_m1 = _shifted_debye(m1, m1_lo, a_b)[0]
    need_j = need if neg is None else need.and_(neg.and_(miller_j_nu).unary("Not"))
    steps_j = _select(forward, n - 1.0, steps_back)
    finite = a.lt(math.inf).and_(nu.lt(math.inf))  # not NaN either
    start_ok = forward.and_(a.gt(1.0)).or_(forward.unary("Not").and_(tail_m.lt(_TAIL)))
    valid = start_ok.and_(finite).and_(steps_j.lt(float(_RECURRENCE_MAX)))
    sequences = [
        (
            _select(forward, j_mu, j_m1),
            _select(forward, j_mu1, j_m),
            _select(forward, mu + 1.0, m),
            _select(forward, 0.0, m_lo),
            _select(forward, 1.0, -1.0),
            _select(need_j.and_(valid), steps_j, 0.0),
        )
    ]
    if neg is not None:
        steed_a = _select(far.unary("Not").and_(a.ge(_STEED_FROM)), a, 10.0)
        sy_mu, sy_mu1 = _steed_y(mu, steed_a, miller_mu, miller_mu1)
        y_mu = _select(far, hy_mu, sy_mu)
        y_mu1 = _select(far, hy_mu1, sy_mu1)
        valid_y = a.ge(_STEED_FROM).and_(finite).and_(n.lt(float(_RECURRENCE_MAX)))
        steps_y = _select(need.and_(neg).and_(valid_y), n - 1.0, 0.0)
        sequences.append((y_mu, y_mu1, mu + 1.0, 0.0, 1.0, steps_y))
    finals = _recurrences(a, sequences)
    j_nu = _select(forward.and_(n.eq(0.0)), j_mu, finals[0])
    if neg is None:
        return _select(valid, j_nu, math.nan)
    y_nu = _select(n.eq(0.0), y_mu, finals[1])
    j_nu = _select(miller_j_nu, miller, j_nu)
    valid_j = valid.or_(miller_j_nu)
    reflected = _cospi(nu) * j_nu - _sinpi(nu) * y_nu
    out = _select(neg, reflected, j_nu)
    ok = neg.and_(valid_j).and_(valid_y).or_(neg.unary("Not").and_(valid))
    return _select(ok, out, math.nan)


def _jv_large(
    nu: _Num,
    a: _Num,
    far: _Num,
    neg: _Num | None,
    miller_j_nu: _Num,
    miller: _Num,
    miller_mu: _Num,
    miller_mu1: _Num,
    covered: _Num,
    out: _Num,
) -> _Num:
    """``out`` where ``covered``, else Debye's expansions below and beyond the turning point
    where their last terms are below 1e-17 (for negative non-integer orders, ``neg``, by the
    reflection formula), and the recurrences (``_jv_recurring``) elsewhere."""
    below = a.lt(nu)
    safe_nu = _select(below, nu, a + 1.0)
    j, sin_y, tail = _jy_debye(safe_nu, a, None if neg is None else _sinpi(nu))
    debye = j
    if neg is not None:
        assert sin_y is not None
        reflected = _cospi(nu) * j - sin_y
        debye = _select(neg, reflected, j)
    use_debye = covered.unary("Not").and_(below).and_(tail.lt(_TAIL))
    out = _select(use_debye, debye, out)
    covered = covered.or_(use_debye)
    # Beyond the turning point (negative non-integer orders by the reflection formula)
    osc_nu = _select(a.gt(nu), nu, 0.0)
    osc_j, osc_y, osc_tail = _jy_debye_oscillating(osc_nu, _select(a.gt(nu), a, 1.0))
    oscillating = osc_j
    if neg is not None:
        oscillating = _select(neg, _cospi(nu) * osc_j - _sinpi(nu) * osc_y, osc_j)
    use_osc = covered.unary("Not").and_(a.gt(nu)).and_(osc_tail.lt(_TAIL))
    out = _select(use_osc, oscillating, out)
    covered = covered.or_(use_osc)
    # The recurrences only when some element needs them.
    # The recurrences only when some element needs them, on those elements only.
    need = covered.unary("Not")
    values = [nu, a, far, miller_j_nu, miller, miller_mu, miller_mu1, covered]
    values += [] if neg is None else [neg]

    def recurring(sub: list[_Num]) -> _Num:
        nu_, a_, far_, has_j, j_miller, j_mu, j_mu1, covered_, *rest = sub
        neg_ = rest[0] if rest else None
        return _jv_recurring(nu_, a_, far_, neg_, has_j, j_miller, j_mu, j_mu1, covered_)

    return _only_if(need, lambda: _on_subset(need, values, recurring, out), out)


#: The transition expansion (DLMF 10.19.8, Cephes' jnt) where |x - v| <= 0.7 v^(1/3) from
#: v = 1e9 (its fifth terms are below 1e-30 relatively there), where the recurrences stop.
_TRANSITION_FROM = 1e9
_TRANSITION_Z = 0.7
# F_k(z), G_k(z) of the expansion (as Cephes' jv.c): F2 = (a0 z³ + a1) z², F3 = b(z³),
# F4 = c(z³) z, G1 = d(z³), G2 = e(z³) z, G3 = f(z³) z², polynomials in z³ (descending).
_TRANSITION_F2 = (-9.0000000000000000000e-2, 8.5714285714285714286e-2)
_TRANSITION_F3 = (1.3671428571428571429e-1, -5.4920634920634920635e-2, -4.4444444444444444444e-3)
_TRANSITION_F4 = (1.3500000000000000000e-3, -1.6036054421768707483e-1,
                  4.2590187590187590188e-2, 2.7330447330447330447e-3)  # fmt: skip
_TRANSITION_G1 = (-2.4285714285714285714e-1, 1.4285714285714285714e-2)
_TRANSITION_G2 = (-9.0000000000000000000e-3, 1.9396825396825396825e-1, -1.1746031746031746032e-2)
_TRANSITION_G3 = (1.9607142857142857143e-2, -1.5983694083694083694e-1, 6.3838383838383838384e-3)
#: Ai(0) and -Ai'(0).
_AIRY_C1 = 0.355028053887817239260
_AIRY_C2 = 0.258819403792806798405
_AIRY_TERMS = 14


def _airy_small(t: _Num) -> tuple[_Num, _Num]:
    """(Ai(t), Ai'(t)) for |t| <= 1 by the Maclaurin series: Ai = c1 f - c2 g with
    f = sum a_k t^3k, g = sum b_k t^(3k+1), a_k = prod_j 1/((3j - 1) 3j),
    b_k = prod_j 1/(3j (3j + 1)), and their derivatives term by term."""
    a_k, b_k = [1.0], [1.0]
    for k in range(1, _AIRY_TERMS):
        a_k.append(a_k[-1] / ((3 * k - 1) * 3 * k))
        b_k.append(b_k[-1] / (3 * k * (3 * k + 1)))
    t3 = t * t * t
    f = _horner(t3, a_k)
    g = _horner(t3, b_k)
    fd = _horner(t3, [3 * k * a_k[k] for k in range(1, _AIRY_TERMS)])  # f' / t²
    gd = _horner(t3, [(3 * k + 1) * b_k[k] for k in range(_AIRY_TERMS)])  # g'
    return _AIRY_C1 * f - _AIRY_C2 * (t * g), _AIRY_C1 * ((t * t) * fd) - _AIRY_C2 * gd


def _polevl(x: _Num, coefficients: Sequence[float]) -> _Num:
    """c[0] x^N + ... + c[N] (descending, as Cephes' polevl)."""
    return _horner(x, list(reversed(coefficients)))


def _jv_transition(nu: _Num, cbn: _Num, z: _Num) -> _Num:
    """J_nu(nu + z nu^(1/3)) by the transition expansion (DLMF 10.19.8; the F_k, G_k of
    Cephes' jnt): 2^(1/3) Ai(-2^(1/3) z) P / nu^(1/3) + 4^(1/3) Ai'(-2^(1/3) z) Q / nu,
    P = sum F_k nu^(-2k/3), Q = sum G_k nu^(-2k/3), for |z| <= 0.7."""
    cbtwo = 2.0 ** (1.0 / 3.0)
    ai, aip = _airy_small(-cbtwo * z)
    zz = z * z
    z3 = zz * z
    f = [z * 0.0 + 1.0, -z / 5.0, _polevl(z3, _TRANSITION_F2) * zz, _polevl(z3, _TRANSITION_F3),
         _polevl(z3, _TRANSITION_F4) * z]  # fmt: skip
    g = [0.3 * zz, _polevl(z3, _TRANSITION_G1), _polevl(z3, _TRANSITION_G2) * z,
         _polevl(z3, _TRANSITION_G3) * zz]  # fmt: skip
    step = 1.0 / (cbn * cbn)
    pp: _Num | None = None
    qq: _Num | None = None
    for k in reversed(range(5)):
        pp = f[k] if pp is None else pp * step + f[k]
        if k < 4:
            qq = g[k] if qq is None else qq * step + g[k]
    assert pp is not None and qq is not None
    return cbtwo * ai * pp / cbn + (4.0 ** (1.0 / 3.0)) * aip * qq / nu


#: AMOS's overflow limit on exponents (zbesh: 2.303 (1021 log10(2) - 3)).
_AMOS_ELIM = 2.303 * (1021 * math.log10(2.0) - 3.0)
#: AMOS's zbesj and zbesh refuse (ierr 4) beyond |z| or order 0.5 / 2**-52 = 2**51.
_AMOS_J_LIMIT = 2.0**51
#: Cephes' machine epsilon (2**-53) and jv's region bounds (jv.c).
_CEPHES_MACHEP = 2.0**-53
_CEPHES_SERIES_FROM = 21.0


def _debye_exponent_below(nu: _Num, a: _Num) -> tuple[_Num, _Num]:
    """(below, E): where 0 < a < nu, Debye's exponent E = nu log((nu + r)/a) - r,
    r = sqrt(nu² - a²), in plain float64 without overflow for any finite nu (J_nu(a) is
    about e**-E / sqrt(2π r), Y_nu(a) about -2 e**E / sqrt(2π r)); elsewhere ``below`` is
    false and E a harmless number."""
    below = a.lt(nu).and_(a.gt(0.0)).and_(nu.lt(math.inf))
    nu_b = _select(below, nu, 2.0)
    a_b = _select(below, a, 1.0)
    r = (nu_b - a_b).unary("Sqrt") * (nu_b + a_b).unary("Sqrt")
    log_ratio = (nu_b.unary("Log") - a_b.unary("Log")) + (1.0 + r / nu_b).unary("Log")
    return below, nu_b * log_ratio - r


#: Where Debye's exponent exceeds this, |J_nu(a)| < e**-E is below half the smallest
#: subnormal (e**-745.13): J is 0.
_J_UNDERFLOW_EXPONENT = 746.0


def _as_scipy_where_amos_fails(v: _Num, x: _Num, nu: _Num, a: _Num, neg: _Num, out: _Num) -> _Num:
    """scipy's jv for negative non-integer orders where AMOS fails: scipy takes
    J_-nu = cos(nu π) J_nu - sin(nu π) Y_nu from AMOS, and where AMOS reports Y_nu as
    overflowing (its exponent nu log((nu + r)/a) - r, r = sqrt(nu² - a²), beyond AMOS's
    limit 700.92; or nu or a beyond 2**51) falls back to Cephes' jv, which gives
    (x > 0): for x² < |v + 1| 2**-53 the power (x/2)^v / Γ(v + 1) (±inf with the true sign
    where it overflows, as computed here); for x < 3.6 sqrt(nu), nu > 21 its series, +inf
    (whatever the sign) where the value overflows; for nu < 3.6 sqrt(x), x > 21 Hankel's
    expansion (finite); elsewhere NaN (its recurrences for nu < 500 overflow into NaN there,
    and from 500 on it has no method for negative orders), also where the value is finite.
    Elsewhere ``out``."""
    below, exponent = _debye_exponent_below(nu, a)
    fails = below.and_(exponent.gt(_AMOS_ELIM))
    fails = fails.or_(nu.gt(_AMOS_J_LIMIT)).or_(a.gt(_AMOS_J_LIMIT))
    fails = fails.and_(neg).and_(x.gt(0.0))
    tiny = (x * x).lt((v + 1.0).unary("Abs") * _CEPHES_MACHEP)
    series = a.lt(3.6 * nu.unary("Sqrt")).and_(nu.gt(_CEPHES_SERIES_FROM))
    hankel = nu.lt(3.6 * a.unary("Sqrt")).and_(a.gt(_CEPHES_SERIES_FROM))
    by_series = _select(out.unary("Abs").eq(math.inf), math.inf, out)
    cephes = _select(series, by_series, _select(hankel, out, math.nan))
    return _select(fails.and_(tiny.unary("Not")), cephes, out)


def jv64(v: _Num, x: _Num, negative: bool = True) -> _Num:
    """J_v(x) (scipy's jv), by region of nu = |v| and a = |x|: the power series where
    a²/4 <= max(1/4, (nu + 1)/2); Miller's backward recurrence with Neumann's normalising sum
    where 1 < a <= 75 and -37 < v < 70; Hankel's expansion from a = 75 where its 20th term
    is below 1e-17; Debye's expansions where their last terms are below 1e-17: below the
    turning point (a < nu), and beyond it (a > nu, its phase in double-double). What is left
    (about 10 nu^(1/3) either side of the turning point, and for negative non-integer orders
    2 sqrt(nu) < a < nu) by recurrences in double-double (``_jv_recurring``): forward from
    J_mu, J_mu+1 past the turning point, backward from Debye's J at an order beyond it; from
    order 1e9 on, where those take too many steps, the transition expansion (DLMF 10.19.8)
    within 0.7 nu^(1/3) of the turning point (NaN beyond it there). Negative
    integer orders by J_-n = (-1)^n J_n, negative non-integer ones directly (series, Miller's
    recurrence continued downward past their turning point, Hankel) or by
    J_-nu = cos(nu π) J_nu - sin(nu π) Y_nu (Debye, and Y_nu by the forward recurrence); x < 0
    by J_n(-x) = (-1)^n J_n(x) for integer orders within int32, NaN otherwise (as scipy). NaN
    where a recurrence would take more than 30000 steps (Y's, for negative non-integer orders
    below -30000 near their turning point). As scipy: NaN at x = ±inf; at v = ±inf 0 for
    0 <= x <= 2, NaN beyond; ±0 and ±inf at x = 0. ``negative=False`` leaves out what only
    negative non-integer orders need."""
    nu, a = v.unary("Abs"), x.unary("Abs")
    integer = _is_integer(v)
    # The order the methods see: |v| for integers (the sign restored below), else v.
    o = _select(integer, nu, v)
    q = 0.25 * (a * a)
    # (beyond order 150 Γ(o + 1) overflows: Debye's expansion is accurate there)
    # Negative non-integer orders: the terms keep one sign up to k = |v|, so the series holds
    # up to q = |v| there (29 ulp measured).
    in_series = q.le(0.25).or_(q.le(0.5 * (nu + 1.0))).or_(o.lt(0.0).and_(q.le(nu)))
    in_series = in_series.and_(nu.lt(150.0))
    # Miller's recurrence runs wherever 1 < a <= 75: J_mu, J_mu+1 for the recurrences below
    # whatever the order; its own J_o where o < 70 and, for negative non-integer orders, past
    # their turning point (a >= |v|) down to -37 (below it the downward continuation grows
    # like Y and the result is sin(|v|π) Y, its error |Y| δ: those take the reflection
    # formula, with Miller's order |v|).
    miller_at = a.gt(1.0).and_(a.le(_MILLER_X_MAX))
    neg = v.lt(0.0).and_(integer.unary("Not"))
    reflect = neg.and_(a.lt(nu).or_(nu.ge(_MILLER_NEGATIVE_MAX)))
    o_m = _select(reflect, nu, o) if negative else o
    in_miller = miller_at.and_(o_m.lt(_MILLER_ORDER_MAX)).and_(o_m.gt(-_MILLER_NEGATIVE_MAX))
    miller_j_nu = in_miller  # J_|v| for the reflection formula (o_m = |v| there)
    in_miller = in_miller.and_(o_m.ge(0.0).or_(a.ge(nu)))
    if negative:
        in_miller = in_miller.and_(reflect.unary("Not"))
    safe_a = _select(miller_at, a, 2.0)
    safe_o = _select(miller_at.and_(o_m.unary("Abs").lt(1e15)), o_m, 0.5)
    miller, miller_mu, miller_mu1 = _jv_miller(safe_o, safe_a, negative)
    out = _select(in_series, _jv_series(o, a), miller)
    far = a.gt(_MILLER_X_MAX)
    hankel_a = _select(far, a, 2.0 * _MILLER_X_MAX)
    hankel, _, hankel_tail = _jv_hankel(o, hankel_a)
    use_hankel = far.and_(hankel_tail.lt(_TAIL)).and_(in_series.unary("Not"))
    covered = in_series.or_(in_miller).or_(use_hankel)
    out = _select(use_hankel, hankel, out)
    # Debye's expansions and the recurrences only when some element needs them (they cost
    # about as much as all the rest)
    out = _only_if(
        covered.unary("Not"),
        lambda: _jv_large(
            nu,
            a,
            far,
            neg if negative else None,
            miller_j_nu,
            miller,
            miller_mu,
            miller_mu1,
            covered,
            out,
        ),
        out,
    )
    # Near the turning point of huge orders (beyond the recurrences' reach): the transition
    # expansion, as scipy's Cephes there
    near = out.unary("IsNaN").and_(nu.gt(_TRANSITION_FROM)).and_(nu.lt(math.inf))
    near = near.and_(o.ge(0.0)).and_(a.gt(0.0))
    safe_nu = _select(near, nu, 1e12)
    cbn = _cbrt(safe_nu)
    cbn = cbn - (cbn * cbn * cbn - safe_nu) / (3.0 * cbn * cbn)  # (Pow's 1/3 is rounded)
    z = (_select(near, a, 1e12) - safe_nu) / cbn
    near = near.and_(z.unary("Abs").le(_TRANSITION_Z))
    out = _select(near, _jv_transition(safe_nu, cbn, _select(near, z, 0.0)), out)
    # Where the methods fail for huge orders (nu² overflows) and J underflows: 0, as scipy
    # (e.g. jv(1e300, 0.5)); not for negative non-integer orders (J_-nu is huge there)
    below, exponent = _debye_exponent_below(nu, a)
    underflow = below.and_(exponent.gt(_J_UNDERFLOW_EXPONENT)).and_(out.unary("IsNaN"))
    out = _select(underflow.and_(neg.unary("Not")), 0.0, out)
    # Orders beyond AMOS's 2**51: scipy's Cephes jv takes (x/2)^v / Γ(v + 1) for
    # x² < |v + 1| 2**-53, an inf · 0 (NaN) for |x| > 2, else 0
    cephes_power = nu.gt(_AMOS_J_LIMIT).and_((x * x).lt((v + 1.0).unary("Abs") * _CEPHES_MACHEP))
    out = _select(cephes_power.and_(neg.unary("Not")), _select(a.gt(2.0), math.nan, 0.0), out)
    if negative:
        out = _as_scipy_where_amos_fails(v, x, nu, a, neg, out)
    # Integer orders: J_-n = (-1)^n J_n and J_n(-x) = (-1)^n J_n(x).
    odd = (v - 2.0 * (0.5 * v).unary("Floor")).eq(1.0)
    flip = integer.and_(odd).and_(_xor(v.lt(0.0), x.lt(0.0)))
    out = _select(flip, -out, out)
    # scipy's zeros at x = ±0 for odd integer orders: -0.0 when v < 0 (whatever the zero);
    # the same below |x| = 1e3 DBL_MIN for v > 0 and integer v (AMOS's power series gives 0
    # there: the true value, (x/2)^v / Γ(v + 1), is about 1 for a tiny v)
    zero_sign = integer.and_(odd).and_(v.lt(0.0))
    small = a.lt(_AMOS_TINY)
    out = _select(small.and_(nu.gt(0.0)).and_(integer.or_(v.gt(0.0))), 0.0, out)
    out = out * _select(small.and_(zero_sign), -1.0, 1.0)
    # scipy: jv(±inf, x) is 0 for 0 <= x <= 2 and NaN beyond (and for x < 0).
    infinite = nu.eq(math.inf)
    out = _select(infinite, _select(a.le(2.0), 0.0, math.nan), out)
    # scipy tests an integer order for x < 0 as v == (int)v: beyond int32 that is false (NaN)
    int32 = integer.and_(v.ge(-(2.0**31))).and_(v.lt(2.0**31))
    bad = x.lt(0.0).and_(int32.unary("Not")).or_(a.eq(math.inf))
    out = _select(bad, math.nan, out)
    return _keep_nan(v, _keep_nan(x, out))


def _xor(p: _Num, q: _Num) -> _Num:
    return p._op("Xor", p.v, q.v)


@lowers(ops.Jv)
def _lower_jv(op: ops.Jv, ctx: LoweringContext, args: list[V]) -> V:
    """jv64; the parts for negative non-integer orders only where the order may be one."""
    order = constant_array(op.operands[0])
    negative = order is None or bool(np.any((order < 0) & (np.floor(order) != order)))
    return _in_float64(functools.partial(jv64, negative=negative))(op, ctx, args)
