"""How every operator refuses: bad input (errors.SoundMotionError, or a file the system would not open) is
reported as the sentence it carries; anything else is a bug, reported with its type (traceback in the console).
Either way the operator returns CANCELLED, and since operators validate before their first write (or roll their
writes back, previous_state.all_or_nothing), the scene is left as it was.

    class SOUNDMOTION_OT_x(bpy.types.Operator):
        @reports_errors
        def execute(self, context): ...
"""

import contextlib
import functools
import traceback

from ..errors import SoundMotionError, one_line, os_error_sentence

EXPECTED_ERRORS = (SoundMotionError, OSError)

_CALLER_REPORTS_BUGS = []  # depth of caller_reports_bugs() blocks


@contextlib.contextmanager
def caller_reports_bugs():
    """For the command line, which re-raises an operator's bug and says it in one line (its traceback only with
    SOUNDMOTION_DEBUG=1, as README promises): inside this block a bug's traceback is not printed here."""
    _CALLER_REPORTS_BUGS.append(True)
    try:
        yield
    finally:
        _CALLER_REPORTS_BUGS.pop()


def failure_message(error: BaseException, title: str = "SoundMotion") -> str:
    """The one line to show for `error`; call it inside the `except` block (a bug's traceback is printed in the
    console, where users copy it from for a report, unless caller_reports_bugs())."""
    if isinstance(error, SoundMotionError):
        return one_line(error)
    if isinstance(error, OSError):
        return one_line(os_error_sentence(error))
    if not _CALLER_REPORTS_BUGS:
        traceback.print_exc()
    return one_line(f"{title} failed unexpectedly ({type(error).__name__}: {error}). This is a bug in SoundMotion; "
                    "please report it (the console shows the details). Nothing was changed.")


def refuse(operator, error: BaseException) -> set:
    operator.report({"ERROR"}, failure_message(error, getattr(operator, "bl_label", "SoundMotion")))
    return {"CANCELLED"}


def reports_errors(method):
    """Wrap an operator's execute(self, context) or invoke(self, context, event): any exception becomes a report
    and CANCELLED. (Blender checks the argument count of these methods, so the wrapper keeps it.)"""
    if method.__code__.co_argcount == 3:
        @functools.wraps(method)
        def wrapper(self, context, event):
            try:
                return method(self, context, event)
            except Exception as error:
                return refuse(self, error)
    else:
        @functools.wraps(method)
        def wrapper(self, context):
            try:
                return method(self, context)
            except Exception as error:
                return refuse(self, error)
    return wrapper


class ChoosesFileFirst:
    """Mixin for an operator whose first step is Blender's file browser (it fills the operator's `filepath`).
    An operator that writes a file names the one to offer in `offered_path` (the browser has no name otherwise)."""

    def offered_path(self, context) -> str:
        return self.filepath

    @reports_errors
    def invoke(self, context, event):
        self.filepath = self.offered_path(context)
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}
