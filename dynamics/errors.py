"""The engine's documented errors: every rejection of bad input is one of these.

All of them subclass the builtin ``ValueError`` or ``TypeError``, so existing ``except ValueError``
code keeps working, and each message names the argument and the values it accepts.

* :class:`InvalidArgument` (``ValueError``): a value of the right type that is out of range, not
  finite, of the wrong shape, or an unknown name/device.
* :class:`InvalidType` (``TypeError`` and ``InvalidArgument``): a value of the wrong type (a string
  start, a complex tensor, a string where a number belongs).
* :class:`BudgetExceeded` (``InvalidArgument``): a run or sweep whose estimated work or memory
  exceeds the documented budget (see ``dynamics/README.md``).
* :class:`DeviceUnavailable` (``InvalidArgument`` and ``RuntimeError``): a device that exists in
  torch's vocabulary but not on this machine (``cuda`` without CUDA).
"""

from __future__ import annotations


class InvalidArgument(ValueError):
    """A bad value for an argument of the engine's front door (the message names it)."""


class InvalidType(InvalidArgument, TypeError):
    """An argument of the wrong type (the message names it and the accepted types).

    A ``TypeError``, and also an :class:`InvalidArgument` (so a ``ValueError``): callers that catch
    ``ValueError`` for any bad input (URL parsing, CLIs) keep catching it.
    """


class BudgetExceeded(InvalidArgument):
    """The requested work or memory exceeds the engine's documented budget."""


class DeviceUnavailable(InvalidArgument, RuntimeError):
    """The requested device is not available on this machine."""


__all__ = ["InvalidArgument", "InvalidType", "BudgetExceeded", "DeviceUnavailable"]
