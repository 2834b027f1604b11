"""Drawing a :class:`~catcode.layout.Layout` with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catcode.layout import Layout

#: (marker, face colour, size) per (kind, role)
_STYLE = {
    ("cat", "data"): ("o", "#1f77b4", 420),
    ("cat", "ancilla"): ("o", "#ff7f0e", 420),
    ("transmon", "data"): ("s", "#9467bd", 300),
    ("transmon", "ancilla"): ("s", "#2ca02c", 300),
    ("buffer", None): ("D", "#b0b0b0", 160),
}
_LABEL = {
    ("cat", "data"): "cat (data)",
    ("cat", "ancilla"): "cat (ancilla)",
    ("transmon", "data"): "transmon (data)",
    ("transmon", "ancilla"): "transmon (ancilla)",
    ("buffer", None): "buffer (two-photon dissipation)",
}


def draw_layout(layout: Layout, ax: Any = None, *, labels: bool = True) -> Any:
    """Draw ``layout`` on ``ax`` (a new figure if ``None``) and return the Figure.

    >>> from catcode import Layout
    >>> fig = draw_layout(Layout.chain(3))
    >>> len(fig.axes)
    1
    """
    import matplotlib.pyplot as plt  # the current backend: inline in Jupyter, Agg without a display

    from catcode.layout import require_layout
    from catcode.plotting import require_axes

    require_layout(layout)
    require_axes(ax)
    g = layout.graph
    if ax is None:
        xs = [a["coords"][0] for _, a in g.nodes(data=True)]
        ys = [a["coords"][1] for _, a in g.nodes(data=True)]
        width = max(4.0, 1.1 * (max(xs) - min(xs) + 2))
        height = max(2.5, 1.1 * (max(ys) - min(ys) + 2))
        fig, ax = plt.subplots(figsize=(min(width, 16), min(height, 12)))
    else:
        fig = ax.figure
    for a, b, attrs in g.edges(data=True):
        (x0, y0), (x1, y1) = g.nodes[a]["coords"], g.nodes[b]["coords"]
        if attrs["kind"] == "cx":
            # Z-type checks (data cat controls) in red, X-type (ancilla controls) in dark grey.
            z_check = "Z" in (g.nodes[a].get("check"), g.nodes[b].get("check"))
            ax.plot([x0, x1], [y0, y1], "-", color="#c0392b" if z_check else "#444444", lw=2, zorder=1)
            if labels:
                ax.annotate(
                    f"CX{attrs['layer'] + 1}", ((x0 + x1) / 2, (y0 + y1) / 2), textcoords="offset points",
                    xytext=(0, -12), ha="center", fontsize=7, color="#444444",
                )
        else:
            ax.plot([x0, x1], [y0, y1], "--", color="#999999", lw=1.2, zorder=1)
    for (kind, role), (marker, colour, size) in _STYLE.items():
        nodes = [n for n, a in g.nodes(data=True) if a["kind"] == kind and a.get("role") == role]
        if not nodes:
            continue
        ax.scatter(
            [g.nodes[n]["coords"][0] for n in nodes], [g.nodes[n]["coords"][1] for n in nodes],
            marker=marker, s=size, c=colour, edgecolors="black", zorder=2, label=_LABEL[(kind, role)],
        )
        if labels:
            for n in nodes:
                x, y = g.nodes[n]["coords"]
                ax.annotate(n, (x, y), ha="center", va="center", fontsize=7 if kind != "buffer" else 5, zorder=3,
                            color="white" if kind != "buffer" else "black")
    ax.set_aspect("equal")
    ax.margins(0.15)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    p, b = layout.phase_distance, layout.bit_distance
    distance = f"distance {p}" if layout.code == "repetition" or p == b else f"distances {p} (phase) x {b} (bit)"
    ax.set_title(f"{layout.name}: {distance}, {layout.num_qubits} qubits")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=4, fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
