"""Where ``jaxsched._numerics``' float32 half-cosine polynomial comes from.

``sin(pi/2 x) ** 2 = y * R(y)`` with ``y = x ** 2``; on ``|x| <= 1/2``
(``y <= 1/4``) R is smooth and close to a polynomial. This fits R by
least squares on the relative error at Chebyshev nodes, reweighting the
nodes where the error is largest until it levels (near minimax), and prints
the coefficients rounded to float32 with the fit's largest relative error,
measured in long double. Run from the repository root::

    python -m benchmarks.half_cosine_fit [degree]

Degree 4 (five coefficients) fits R within 8e-10 relative; rounded to
float32 (each coefficient in turn, the higher ones refitted), within
3.2e-8, most of it the rounding of the first, pi**2 / 4, and below float32's
6e-8: the error of the float32 result is its arithmetic's
(``tests/test_precision.py`` measures it against long double on sampled
float32 arguments: at most 2.4 units in the last place). Float64 takes R's
Taylor series (``_numerics._HALF_COSINE_F64``).
"""

from __future__ import annotations

import sys

import numpy as np

LD = np.longdouble
PI = LD("3.14159265358979323846264338327950288")


def exact_r(y):
    """sin(pi/2 sqrt(y)) ** 2 / y in long double."""
    y = np.asarray(y, LD)
    return np.sin(PI / 2 * np.sqrt(y)) ** 2 / y


def fit(degree: int, nodes: int = 4000, rounds: int = 30):
    """(float32 coefficients lowest first, their largest relative error).

    The coefficients are rounded to float32 one at a time, lowest first, the
    higher ones refitted after each rounding to absorb its error."""
    y = 0.125 + 0.125 * np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes)
    target = exact_r(y).astype(float)
    fixed: list[np.float32] = []
    for _ in range(degree + 1):
        known = np.polynomial.polynomial.polyval(y, np.asarray(fixed, float)) if fixed else 0
        powers = np.vander(y, degree + 1, increasing=True)[:, len(fixed):]
        rows = powers / target[:, None]
        rhs = 1 - known / target
        weight = np.ones_like(y)
        for _ in range(rounds):
            coeffs, *_ = np.linalg.lstsq(rows * weight[:, None], rhs * weight, rcond=None)
            err = np.abs(rows @ coeffs - rhs)
            weight *= 1 + 50 * err / err.max()
            weight /= weight.mean()
        fixed.append(np.float32(coeffs[0]))
    c32 = np.asarray(fixed, np.float32)
    dense = np.linspace(1e-6, 0.25, 200_001)
    rel = np.polynomial.polynomial.polyval(dense.astype(LD), c32.astype(LD)) / exact_r(dense) - 1
    return c32, float(np.max(np.abs(rel)))


if __name__ == "__main__":
    deg = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    c, err = fit(deg)
    print("coefficients (lowest first):", ", ".join(repr(float(v)) for v in c))
    print(f"largest relative error of R (float32 coefficients): {err:.2e}")
