"""Cases from scipy.special: functions with known derivatives, at arguments from 1e-8 to 1e8.

loss = sum(w * f(x)) over three arguments of one magnitude a (x = a (1 + 0.3 u), u uniform
in [-1, 1]; both signs for functions on the real line; a and 1 - a for functions on (0, 1);
-a beyond 1 for the elliptic integrals), w fixed standard normal, wherever f and f' are
finite. The derivative is scipy.special's own derivative function (digamma for gammaln,
jvp for jv, kvp for kv, i1 for i0, ...) or the textbook closed form built from scipy.special
functions; a few of those forms cancel catastrophically at extreme arguments (dawsn,
log_ndtr, i0e at 1e4 ... 1e8), which a checker may rightly call inaccurate.
Also logsumexp (gradient softmax) and betaln (two arguments).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import scipy.special as sp
from foreign_case import finish as _finish
from foreign_case import rng_of

MAGNITUDES = (1e-8, 1e-4, 1e-2, 1.0, 10.0, 1e2, 1e4, 1e8)
QUICK_MAGNITUDES = (1e-8, 1.0, 1e4)
SQRT_PI = np.sqrt(np.pi)


def _ellipk_d(m):
    return (sp.ellipe(m) - (1 - m) * sp.ellipk(m)) / (2 * m * (1 - m))


# name: (f, f', domain) with domain "pos" (a), "real" (+-a), "unit" (a and 1 - a, a < 1),
# "below1" (a < 1, 1 - a, and -a)
SPECIAL = {
    "gamma": (sp.gamma, lambda x: sp.gamma(x) * sp.digamma(x), "pos"),
    "gammaln": (sp.gammaln, sp.digamma, "pos"),
    "digamma": (sp.digamma, lambda x: sp.polygamma(1, x), "pos"),
    "polygamma2": (lambda x: sp.polygamma(2, x), lambda x: sp.polygamma(3, x), "pos"),
    "rgamma": (sp.rgamma, lambda x: -sp.digamma(x) * sp.rgamma(x), "pos"),
    "erf": (sp.erf, lambda x: 2 / SQRT_PI * np.exp(-x * x), "real"),
    "erfc": (sp.erfc, lambda x: -2 / SQRT_PI * np.exp(-x * x), "real"),
    "erfcx": (sp.erfcx, lambda x: 2 * x * sp.erfcx(x) - 2 / SQRT_PI, "real"),
    "erfinv": (sp.erfinv, lambda x: SQRT_PI / 2 * np.exp(sp.erfinv(x) ** 2), "unit"),
    "dawsn": (sp.dawsn, lambda x: 1 - 2 * x * sp.dawsn(x), "real"),
    "expit": (sp.expit, lambda x: sp.expit(x) * sp.expit(-x), "real"),
    "log_expit": (sp.log_expit, lambda x: sp.expit(-x), "real"),
    "softplus": (sp.softplus, sp.expit, "real"),
    "log_ndtr": (
        sp.log_ndtr,
        lambda x: np.exp(-0.5 * x * x - sp.log_ndtr(x)) / np.sqrt(2 * np.pi),
        "real",
    ),
    "ndtri": (sp.ndtri, lambda p: np.sqrt(2 * np.pi) * np.exp(0.5 * sp.ndtri(p) ** 2), "unit"),
    "jv0.5": (lambda x: sp.jv(0.5, x), lambda x: sp.jvp(0.5, x, 1), "pos"),
    "jv2": (lambda x: sp.jv(2, x), lambda x: sp.jvp(2, x, 1), "real"),
    "yv1": (lambda x: sp.yv(1, x), lambda x: sp.yvp(1, x, 1), "pos"),
    "kv0.7": (lambda x: sp.kv(0.7, x), lambda x: sp.kvp(0.7, x, 1), "pos"),
    "iv1.5": (lambda x: sp.iv(1.5, x), lambda x: sp.ivp(1.5, x, 1), "pos"),
    "i0": (sp.i0, sp.i1, "real"),
    "i1": (sp.i1, lambda x: sp.i0(x) - sp.i1(x) / x, "real"),
    "i0e": (sp.i0e, lambda x: sp.i1e(x) - np.sign(x) * sp.i0e(x), "real"),
    "airy_ai": (lambda x: sp.airy(x)[0], lambda x: sp.airy(x)[1], "real"),
    "ellipk": (sp.ellipk, _ellipk_d, "below1"),
    "ellipe": (sp.ellipe, lambda m: (sp.ellipe(m) - sp.ellipk(m)) / (2 * m), "below1"),
    "lambertw": (
        lambda x: sp.lambertw(x).real,
        lambda x: sp.lambertw(x).real / (x * (1 + sp.lambertw(x).real)),
        "pos",
    ),
    "zeta2.5": (lambda q: sp.zeta(2.5, q), lambda q: -2.5 * sp.zeta(3.5, q), "pos"),
    "exp1": (sp.exp1, lambda x: -np.exp(-x) / x, "pos"),
    "spence": (sp.spence, lambda z: np.log(z) / (1 - z), "pos"),
    "xlogy": (lambda y: sp.xlogy(0.7, y), lambda y: 0.7 / y, "pos"),
    "log1p": (sp.log1p, lambda x: 1 / (1 + x), "pos"),
}
QUICK_SPECIAL = ("gamma", "erf", "log_expit", "jv2", "kv0.7", "ellipk", "logsumexp", "betaln")


def _where(domain: str, a: float) -> list[tuple[str, float, float]]:
    """(label, centre, sign mix) for a magnitude a in a domain."""
    if domain == "pos":
        return [(f"{a:g}", a, 1.0)]
    if domain == "real":
        return [(f"+-{a:g}", a, -1.0)]
    if a >= 1:
        return [(f"-{a:g}", -a, 1.0)] if domain == "below1" else []
    return [(f"{a:g}", a, 1.0), (f"1-{a:g}", 1 - a, 1.0)]


def _special_case(name: str, a: float, label: str, centre: float, mix: float):
    rng = rng_of(f"special {name} {label}")
    x = centre + 0.3 * a * rng.uniform(-1, 1, 3)  # a is the distance to 0 (or to 1)
    if mix < 0:
        x = x * rng.choice([-1.0, 1.0], 3)
    w = rng.standard_normal(3)
    if name == "logsumexp":
        x = a * rng.standard_normal(5)
        w = None

        def fn(v):
            return float(sp.logsumexp(v[0]))

        grad = [sp.softmax(x)]
    elif name == "betaln":
        x, y = a * (1 + 0.3 * rng.uniform(-1, 1, 3)), a * (1 + 0.3 * rng.uniform(-1, 1, 3))

        def fn(v):
            return float(np.sum(w * sp.betaln(v[0], v[1])))

        psi = sp.digamma(x + y)
        grad = [w * (sp.digamma(x) - psi), w * (sp.digamma(y) - psi)]
        return _finish(name, label, fn, [x, y], grad)
    else:
        f, df, _ = SPECIAL[name]

        def fn(v):
            return float(np.sum(w * f(v[0])))

        grad = [w * df(x)]
    return _finish(name, label, fn, [x], grad, meta=dict(w=w, x=x))


# mpmath forms of the functions, for a 40-digit reference derivative (bench_foreign's triage)
MPMATH = {
    "gamma": lambda x: mp.gamma(x),
    "gammaln": lambda x: mp.loggamma(x),
    "digamma": lambda x: mp.digamma(x),
    "polygamma2": lambda x: mp.polygamma(2, x),
    "rgamma": lambda x: mp.rgamma(x),
    "erf": lambda x: mp.erf(x),
    "erfc": lambda x: mp.erfc(x),
    "erfcx": lambda x: mp.exp(x * x) * mp.erfc(x),
    "erfinv": lambda x: mp.erfinv(x),
    "dawsn": lambda x: mp.sqrt(mp.pi) / 2 * mp.exp(-x * x) * mp.erfi(x),
    "expit": lambda x: 1 / (1 + mp.exp(-x)),
    "log_expit": lambda x: -mp.log1p(mp.exp(-x)),
    "softplus": lambda x: mp.log1p(mp.exp(x)),
    "log_ndtr": lambda x: mp.log(mp.ncdf(x)),
    "ndtri": lambda p: mp.sqrt(2) * mp.erfinv(2 * p - 1),
    "jv0.5": lambda x: mp.besselj(0.5, x),
    "jv2": lambda x: mp.besselj(2, x),
    "yv1": lambda x: mp.bessely(1, x),
    "kv0.7": lambda x: mp.besselk(0.7, x),
    "iv1.5": lambda x: mp.besseli(1.5, x),
    "i0": lambda x: mp.besseli(0, x),
    "i1": lambda x: mp.besseli(1, x),
    "i0e": lambda x: mp.exp(-abs(x)) * mp.besseli(0, x),
    "airy_ai": lambda x: mp.airyai(x),
    "ellipk": lambda m: mp.ellipk(m),
    "ellipe": lambda m: mp.ellipe(m),
    "lambertw": lambda x: mp.re(mp.lambertw(x)),
    "zeta2.5": lambda q: mp.zeta(2.5, q),
    "exp1": lambda x: mp.e1(x),
    "spence": lambda z: mp.polylog(2, 1 - z),
    "xlogy": lambda y: 0.7 * mp.log(y),
    "log1p": lambda x: mp.log1p(x),
}


def reference(case) -> np.ndarray | None:
    """The exact gradient (40-digit mpmath derivative) of a case of one function, or None."""
    name = case.group
    if name not in MPMATH or "w" not in case.meta:
        return None
    f = MPMATH[name]
    with mp.workdps(40):
        out = [
            float(mp.mpf(float(w)) * mp.diff(f, mp.mpf(float(x))))
            for w, x in zip(case.meta["w"], case.point[0])
        ]
    return np.array(out)


def specs(category: str, quick: bool = False, max_ops=None) -> list[tuple]:
    names = QUICK_SPECIAL if quick else (*SPECIAL, "logsumexp", "betaln")
    mags = QUICK_MAGNITUDES if quick else MAGNITUDES
    out = []
    for name in names:
        domain = SPECIAL[name][2] if name in SPECIAL else "pos"
        for a in mags:
            for where in _where(domain, a):
                out.append(("special", name, a, *where))
    return out


def build(spec: tuple):
    return _special_case(*spec[1:])
