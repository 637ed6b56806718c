"""The look every chart of cmbench shares, the report's and the timelines' alike:
large type, a light grid, one resolution, and a fixed colour and marker per model."""

import matplotlib

matplotlib.use("Agg")  # files only, never a display
import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)

DPI = 110  # every chart's resolution, the report's and the timelines'

# Okabe–Ito colours (told apart with the common colour-vision deficiencies), fixed per model
# so a model keeps its colour in every chart of every report; the baseline is neutral grey.
MODEL_STYLE = {"sequential": ("#888888", "o"), "threads": ("#0072B2", "s"),
               "processes": ("#CC79A7", "D"), "callbacks": ("#E69F00", "^"),
               "futures": ("#D55E00", "v"), "fibers": ("#009E73", "P"),
               "coroutines": ("#56B4E9", "X")}
SPARE_STYLE = [("#332288", "*"), ("#882255", "h"), ("#44AA99", "<"), ("#999933", ">")]
# Reference rows (industrial peers such as epoll or nginx) are grey and hatched in every
# chart, so the eye never takes one for a model under study.
REFERENCE_STYLE = {"facecolor": "#c8c8c8", "hatch": "//", "edgecolor": "#555555"}
# light to dark as the tail grows, by percentile
LATENCY_COLOURS = {"p50": "#BDD7E7", "p90": "#6BAED6", "p99": "#2171B5", "p99.9": "#08306B"}


def set_chart_style():
    """Large type and light grids: the charts are projected as well as printed."""
    plt.rcParams.update({"font.size": 13, "axes.titlesize": 15, "axes.labelsize": 13,
                         "legend.fontsize": 12, "savefig.dpi": DPI, "axes.grid": True,
                         "grid.alpha": 0.3, "axes.spines.top": False,
                         "axes.spines.right": False})


def model_styles(models):
    """(colour, marker) per model: fixed for the seven models, spares for any other.

    A variant ("callbacks-on_loop") keeps its model's colour with its own marker, so that
    the eye pairs it with the model it varies."""
    spares = iter(SPARE_STYLE * (1 + len(models)))
    styles = {}
    for m in models:
        base = m.split("-")[0]
        if m in MODEL_STYLE:
            styles[m] = MODEL_STYLE[m]
        elif base in MODEL_STYLE:
            styles[m] = (MODEL_STYLE[base][0], "x")
        else:
            styles[m] = next(spares)
    return styles


def bar_style(model, styles):
    """A variant's bars are its model's colour, hatched, so both read as one family."""
    if model in MODEL_STYLE or "-" not in model:
        return {"facecolor": styles[model][0]}
    return {"facecolor": styles[model][0], "hatch": "//", "edgecolor": "white"}
