"""actloss.plots: files written, ax accepted, a clear message without matplotlib."""

import numpy as np
import pytest

pytestmark = pytest.mark.needs("plot")

from _lab_util import binary_data, deep_net
from actloss import plots


def _fake_history(epochs=4, layers=3):
    rng = np.random.default_rng(0)
    return {
        "loss": list(np.linspace(1, 0.2, epochs)), "val_loss": list(np.linspace(1.1, 0.3, epochs)),
        "grad_norm_per_layer": rng.uniform(1e-4, 1, (epochs, layers)).tolist(),
        "dead_fraction_per_layer": [{"dense": 0.1 * e, "dense_1": 0.0} for e in range(epochs)],
        "diagnostics_epochs": list(range(epochs)),
        "diagnostics_layers": ["dense", "dense_1", "dense_2"],
    }


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_every_plot_writes_png_and_svg(tmp_path, suffix):
    h = _fake_history()
    figures = {
        "act": plots.activations(["relu", "sigmoid", "softmax"], derivative=True),
        "loss": plots.losses(["mse", "binary_crossentropy"])[0],
        "hist": plots.history(h),
        "flow": plots.gradient_flow(h),
        "flow1": plots.gradient_flow({"weight_grad_rms": [1e-6, 1e-3, 1.0]}),
        "dead": plots.dead_units(h),
    }
    for name, ax in figures.items():
        path = plots.save(ax, tmp_path / f"{name}{suffix}")
        head = path.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in head or b"<?xml" in head


def test_every_plot_accepts_an_ax(tmp_path):
    fig, axes = plots.new_axes(2, 3)
    axes = axes.ravel()
    h = _fake_history()
    assert plots.activations("tanh", ax=axes[0]) is axes[0]
    assert plots.losses(["mse"], ax=axes[1]) is axes[1]
    assert plots.history(h, ax=axes[2]) is axes[2]
    assert plots.gradient_flow(h, ax=axes[3]) is axes[3]
    assert plots.dead_units(h, ax=axes[4]) is axes[4]
    assert plots.dead_units({"loss": [1.0]}, ax=axes[5]) is axes[5]
    assert len(axes[3].get_lines()) == 3
    plots.save(fig, tmp_path / "grid.png")
    with pytest.raises(ValueError, match="separate Axes"):
        plots.losses(["mse", "binary_crossentropy"], ax=axes[1])
    with pytest.raises(ValueError, match=".png or .svg"):
        plots.save(fig, tmp_path / "grid.jpg")


def test_loss_curves_are_right():
    from actloss import losses as L
    from actloss.plots._data import loss_curve

    c = loss_curve(L.binary_crossentropy, n=3)
    assert c["kind"].startswith("predicted probability")
    np.testing.assert_allclose(c["y"], -np.log(c["x"]), rtol=1e-6)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'actloss\[plot\]'"):
        plots.activations(["relu"])


def test_history_of_a_real_fit(tmp_path, rng):
    from actloss.diagnostics import DiagnosticsCallback

    x, y = binary_data(rng, n=64)
    model = deep_net("relu", depth=3, width=8, init="he_normal")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    hist = model.fit(x, y, epochs=2, batch_size=32, verbose=0, validation_data=(x, y),
                     callbacks=[DiagnosticsCallback(x, y)])
    fig, axes = plots.new_axes(1, 3)
    plots.history(hist, ax=axes[0])
    plots.gradient_flow(hist, ax=axes[1])
    plots.dead_units(hist, ax=axes[2])
    assert plots.save(fig, tmp_path / "h.png").stat().st_size > 1000


@pytest.mark.parametrize("name", ["relu", "step", "hard_tanh", "leaky_relu"])
def test_derivative_jumps_are_not_drawn_as_vertical_lines(name):
    ax = plots.activations([name], derivative=True)
    for line in ax.get_lines():
        x, y = (np.asarray(a, float) for a in line.get_data())
        finite = np.isfinite(y)
        if x.size < 10:
            continue  # the axis lines
        steps = np.abs(np.diff(y))[finite[1:] & finite[:-1]]
        assert steps.max() < 0.25 * (np.nanmax(y) - np.nanmin(y) or 1), line.get_label()
    mine = [ln for ln in ax.get_lines() if ln.get_label() in (name, f"{name}'")]
    assert any(np.isnan(np.asarray(ln.get_ydata(), float)).any() for ln in mine)


def test_smooth_curves_are_not_split():
    x = np.linspace(-5, 5, 801)
    from actloss import activations as A

    for name in ("sigmoid", "tanh", "elu", "gelu"):
        _, y = plots.split_jumps(x, A.get(name).grad(x))
        assert not np.isnan(y).any(), name


def test_svg_chart_has_labels_legend_and_breaks_at_nan():
    svg = plots.line_chart([{"label": "a", "x": [1, 2, 3, 4], "y": [1, np.nan, 3, 4]},
                            {"label": "b", "x": [1, 2], "y": [1e-3, 1e2], "dashed": True}],
                           title="T", xlabel="epoch", ylabel="loss", logy=True)
    assert ">epoch</text>" in svg and ">loss</text>" in svg and ">T</text>" in svg
    assert ">a</text>" in svg and ">b</text>" in svg and 'stroke-dasharray' in svg
    assert svg.count("<polyline") == 3  # "a" is broken at its NaN into two pieces
