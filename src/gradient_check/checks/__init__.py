"""One module per kind of check: each builds a problem (a function, its analytic side)
and hands it to the engine in ``core``; none of them judges on its own.

What they share lives once: ``derivatives`` (options, modes, conventions, the derivative's
own precision, the opening steps of the product checks), ``blocks`` (Jacobian blocks as a
matrix) and ``structural`` (nondeterminism and linearity, as torch's gradcheck tests them).
"""
