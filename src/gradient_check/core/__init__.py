"""The engine, numpy only, one module per stage of the path a check takes.

flatten -> outputs -> schemes, steps -> settings -> probe -> plan -> evaluate -> estimate
-> judge -> bands -> summarise, and ``engine`` running them in that order. Nothing here
imports from the rest of the package but ``errors`` and ``report``, and nothing here
imports a framework.
"""
