"""``gradient-check demo``: the whole story of the texts, run end to end on real code.

Each section is a function of a rich Console, so the demo prints with colour on a terminal
and as plain text in a pipe or a test.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MethodType

import numpy as np
from rich.console import Console
from rich.rule import Rule
from rich.table import Table

from .. import nn
from ..checks.gradient import check
from ..checks.numeric import derivative
from ..errors import StochasticLossError
from ..render.console import print_report, print_whole
from ..report import Report
from .problems import relu_problem, texts_problem


def worked_examples(console: Console) -> None:
    """The texts' two worked examples, exactly as published."""
    console.print(Rule("1. Numerical derivatives: the texts' worked examples"))
    d = derivative(lambda x: x**2 + 3 * x, 2.0, h=0.001)
    f_minus, f_plus = d.values
    console.print("f(x) = x² + 3x at x = 2, h = 0.001")
    console.print(f"  f(x+h) = {f_plus:.6f}   f(x-h) = {f_minus:.6f}")
    console.print(f"  (f(x+h) - f(x-h)) / 2h = {d.value:.6f}   exact 2x + 3 = 7")
    one = derivative(lambda t: t**3, 1.0, h=0.01, scheme="forward")
    two = derivative(lambda t: t**3, 1.0, h=0.01, scheme="central")
    console.print("f(t) = t³ at t = 1, eps = 0.01 (exact derivative 3)")
    console.print(
        f"  one-sided {one.value:.4f} (error {one.value - 3:.1e})   "
        f"two-sided {two.value:.4f} (error {two.value - 3:.1e}): "
        f"{(one.value - 3) / (two.value - 3):.0f} times smaller"
    )
    table = Table(
        "h",
        "one-sided error",
        "two-sided error",
        "five-point error",
        title="error against h for f = exp at 0.5: slopes 1, 2 and 4",
        show_edge=False,
    )
    for h in (1e-1, 1e-2, 1e-3):
        errors = [
            abs(derivative(np.exp, 0.5, h, s).value - np.exp(0.5))
            for s in ("forward", "central", "five-point")
        ]
        table.add_row(f"{h:g}", *(f"{e:.2e}" for e in errors))
    print_whole(console, table)


def network_check(console: Console) -> None:
    """The texts' check of a real network, correct and then with one wrong line."""
    console.print(Rule("2. The texts' network, 7→16→12→10 Sigmoid→Tanh→Softmax, L2 λ = 0.1"))
    net, X, Y = texts_problem(l2=0.1)
    console.print(
        "Check at initialisation: every W and B flattened into theta, "
        "two-sided differences for each element."
    )
    print_report(console, check(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y)))
    console.print()
    console.print(
        "[bold]A realistic bug:[/] layer 2's backward forgets the 1/m in dW "
        "(dW = Xᵀ·dZ + λ/m·W). The check names W2, and only W2:"
    )
    nn.inject_bug(net, "drop_1_over_m", layer=2)
    print_report(console, check(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y)))


def regularisation(console: Console) -> None:
    """The texts' note 3: J must include the L2 term when the gradients do."""
    console.print(Rule("3. Regularisation: the cost the check uses must include the L2 term"))
    net, X, Y = texts_problem(l2=0.5)
    nn.inject_bug(net, "no_l2_in_cost")
    console.print("J computed without λ/2m·Σ||W||², gradients with λ/m·W: every W is named.")
    print_report(console, check(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y)))


def dropout(console: Console) -> None:
    """The texts' note 4: dropout makes J random; check with it off or frozen."""
    console.print(Rule("4. Dropout: a random J gets no verdict"))
    net, X, Y = texts_problem(keep_prob=0.8)
    try:
        check(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y))
    except StochasticLossError as error:
        console.print(f"[yellow]refused:[/] {error}")
    net.freeze_dropout()
    report = check(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y))
    console.print(f"With the mask frozen: {report.headline}.")


def during_training(console: Console) -> None:
    """The texts' note 5: check at initialisation and again as the weights grow."""
    console.print(Rule("5. Checks during training (every 50 steps), on spirals"))
    X, Y = nn.spirals(n_per_class=60, n_classes=3, seed=0)
    net = nn.Network.build(
        [2, 16, 12, 3], ["tanh", "tanh", "softmax"], loss="cross_entropy", seed=1, l2=0.01
    )
    Xc, Yc = X[:24], Y[:24]

    def check_now(step: int, model: nn.Network) -> tuple[Report, float]:
        report = check(model.cost_fn(Xc, Yc), model.params, model.gradients_fn(Xc, Yc))
        weight = max(float(np.abs(w).max()) for k, w in model.params.items() if k[0] == "W")
        return report, weight

    result = nn.train(
        net,
        X,
        Y,
        epochs=60,
        batch_size=30,
        lr=0.5,
        optimizer="momentum",
        callback=check_now,
        every=50,
        seed=0,
    )
    table = Table(
        "step", "max |W|", "cost", "outcome", "rel. diff", "band (texts)", show_edge=False
    )
    for step, (report, weight) in result.history:
        cost = result.losses[min(step, len(result.losses) - 1)]
        table.add_row(
            str(step),
            f"{weight:.2f}",
            f"{cost:.3f}",
            report.outcome.value,
            f"{report.diff:.1e}",
            report.verdict.value,
        )
    print_whole(console, table)


def relu_kinks(console: Console) -> None:
    """The course text's 4→5→3→1 ReLU network, and a kink found and accepted."""
    console.print(Rule("6. ReLU→ReLU→Sigmoid, 4→5→3→1: kinks are not bugs"))
    net, X, Y = relu_problem()
    layer = net.linear_layers[0]
    # put one hidden unit exactly at its kink for the first example: Z[0, 0] = 0
    layer.params["B"][0, 0] = -float(X[0] @ layer.params["W"][:, 0])
    print_report(console, check(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y)))


def wrong_layer(console: Console) -> None:
    """A wrong activation backward: parameters below it all fail; the layer check names it."""
    console.print(Rule("7. Which layer's backward is wrong: each layer checked on its input"))
    net, X, Y = texts_problem(l2=0.1)
    tanh = net.layers[3]

    def tanh_backward_with_a_bug(self: nn.Tanh, dy: np.ndarray) -> np.ndarray:
        return dy * (1.0 - self.y)  # should be 1 - y²

    tanh.backward = MethodType(tanh_backward_with_a_bug, tanh)
    report = check(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y))
    console.print(
        "Tanh's backward uses 1 - A instead of 1 - A². The parameter check names "
        f"{', '.join(report.wrong)}: everything below the Tanh layer."
    )
    table = Table(
        "layer",
        "outcome",
        "rel. diff",
        "band (texts)",
        show_edge=False,
        title="each layer's backward as the VJP of its forward, at its input on X",
    )
    for name, layer_report in nn.layer_checks(net, X[:8]):
        table.add_row(
            name,
            layer_report.outcome.value,
            f"{layer_report.diff:.1e}",
            layer_report.verdict.value,
            style="bold red" if not layer_report.ok else None,
        )
    print_whole(console, table)


SECTIONS: dict[str, Callable[[Console], None]] = {
    "examples": worked_examples,
    "network": network_check,
    "regularisation": regularisation,
    "dropout": dropout,
    "training": during_training,
    "kinks": relu_kinks,
    "layers": wrong_layer,
}


def run_demo(console: Console, sections: list[str] | None = None) -> None:
    """Run the named sections (all by default) in order."""
    for name in sections or list(SECTIONS):
        SECTIONS[name](console)
        console.print()
