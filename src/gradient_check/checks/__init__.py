"""One module per kind of check: each builds a problem (a function, its analytic side)
and hands it to the engine in ``core``; none of them judges on its own."""
