"""Interactive widgets that also execute headless.

``interact(callback, slider=..., ...)`` shows an ``ipywidgets.interactive`` panel in JupyterLab. When the
environment variable ``METAOPT_EXERCISE_WIDGETS`` is set (the test suite sets it) it also calls the callback
for two values of every control, the other controls at their defaults, and prints one line
``[widget-check] <callback>.<control> = <value>`` per call so that a test can see that every callback ran.
Under nbgrader (``NBGRADER_EXECUTION`` set) nothing is displayed.

``interact`` displays the panel itself and returns ``None``: a cell that ends with ``interact(...)`` would
otherwise show the returned panel a second time (JupyterLab displays the value of a cell's last expression).
"""

from __future__ import annotations

import os
from typing import Any, Callable

EXERCISE_ENV = "METAOPT_EXERCISE_WIDGETS"
MARKER = "[widget-check]"


def _default(control: Any) -> Any:
    return getattr(control, "value", control)


def probe_values(control: Any) -> list[Any]:
    """Two distinct values a control can take (its ends, or its first and last option)."""
    import ipywidgets as w

    if isinstance(control, w.Checkbox) or isinstance(control, w.ToggleButton):
        return [False, True]
    options = getattr(control, "options", None)
    if options:
        values = [opt[1] if isinstance(opt, tuple) else opt for opt in options]
        return [values[0], values[-1]] if len(values) > 1 else values
    if isinstance(control, w.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max]
    raise TypeError(f"cannot probe control {control!r}: give an ipywidgets slider, dropdown or checkbox")


def exercise(callback: Callable[..., Any], controls: dict[str, Any]) -> int:
    """Call ``callback`` for two values of every control; return the number of calls."""
    import ipywidgets as w

    defaults = {k: (v.value if isinstance(v, w.fixed) else _default(v)) for k, v in controls.items()}
    calls = 0
    for name, control in controls.items():
        if isinstance(control, w.fixed):
            continue
        for value in probe_values(control):
            callback(**{**defaults, name: value})
            print(f"{MARKER} {callback.__name__}.{name} = {value!r}")
            calls += 1
    return calls


def interact(callback: Callable[..., Any], /, **controls: Any) -> None:
    """Show ``callback`` with the given ipywidgets controls once; exercise it headless under the tests.

    Returns ``None`` on purpose, so that the panel is displayed exactly once (see the module docstring).
    """
    if os.environ.get(EXERCISE_ENV):
        exercise(callback, controls)
    if os.environ.get("NBGRADER_EXECUTION"):
        return None
    import ipywidgets as w
    from IPython.display import display

    display(w.interactive(callback, **controls))
    return None
