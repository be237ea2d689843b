"""Long work without freezing Blender: computation runs in a worker thread, a modal timer reports progress
in the status bar, Esc cancels, and the scene is only touched once everything has been computed.

Subclasses split their work in three:
- `prepare(context)` (main thread): read and validate inputs; raise UserFacingError to refuse. No scene edits.
- `compute(inputs, progress)` (worker thread): pure numpy work, no bpy. Calls `progress(fraction, message)`.
- `apply(context, result)` (main thread): write keys etc. Must validate before its first write.
`execute` (scripts, background mode, redo panel) runs the same three steps synchronously.
"""

import threading

from ..errors import SoundMotionError
from .user_errors import EXPECTED_ERRORS, failure_message, refuse  # noqa: F401  (EXPECTED_ERRORS: for callers)


class UserFacingError(SoundMotionError):
    """A problem the user can fix; its message is shown as it is, without a traceback."""


class JobCancelled(Exception):
    pass


class _Progress:
    def __init__(self):
        self.fraction = 0.0
        self.message = "Starting"
        self.cancelled = threading.Event()

    def __call__(self, fraction: float, message: str = ""):
        if self.cancelled.is_set():
            raise JobCancelled()
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        if message:
            self.message = message


# How the last synchronous run (`execute`) failed, for the command line (operators/character_files._run): bpy turns
# an operator's ERROR report into RuntimeError("Error: …") whatever the cause, and a KeyboardInterrupt escaping an
# operator into RuntimeError("Python: Traceback … KeyboardInterrupt"), so without this a bug (exit 1) and Ctrl+C
# (exit 130, no traceback) both read as bad input (exit 2).
_LAST_FAILURE = []


def last_failure():
    """The exception that ended the last `execute` of a SoundMotion job (None when it finished)."""
    return _LAST_FAILURE[-1] if _LAST_FAILURE else None


class BackgroundJobOperator:
    """Mixin for bpy.types.Operator subclasses; see the module docstring."""

    job_title = "SoundMotion"

    def prepare(self, context):
        raise NotImplementedError

    def compute(self, inputs, progress):
        raise NotImplementedError

    def apply(self, context, result):
        raise NotImplementedError

    # ---- synchronous path -------------------------------------------------------------------------
    def execute(self, context):
        _LAST_FAILURE.clear()
        try:
            inputs = self.prepare(context)
            result = self.compute(inputs, _Progress())
            self.apply(context, result)
        except KeyboardInterrupt as interrupt:  # Ctrl+C in a terminal: the caller says so (last_failure)
            _LAST_FAILURE.append(interrupt)
            return {"CANCELLED"}
        except Exception as error:  # bad input: its sentence; a bug: its type (both leave the scene as it was)
            _LAST_FAILURE.append(error)
            return refuse(self, error)
        return {"FINISHED"}

    # ---- modal path -------------------------------------------------------------------------------
    def invoke(self, context, event):
        if context.window is None:
            return self.execute(context)
        return self.start_modal(context)

    def start_modal(self, context):
        """Run the job in the worker thread with progress in the status bar and Esc (from invoke, or from execute
        when a file browser the operator opened calls it)."""
        try:
            inputs = self.prepare(context)
        except Exception as error:
            return refuse(self, error)
        self._progress = _Progress()
        self._outcome = {}
        self._thread = threading.Thread(target=self._run, args=(inputs,), daemon=True)
        self._thread.start()
        window_manager = context.window_manager
        self._timer = window_manager.event_timer_add(0.1, window=context.window)
        window_manager.progress_begin(0, 100)
        window_manager.modal_handler_add(self)
        self._show_status(context)
        return {"RUNNING_MODAL"}

    def _run(self, inputs):
        try:
            self._outcome["result"] = self.compute(inputs, self._progress)
        except JobCancelled:
            self._outcome["cancelled"] = True
        except Exception as error:  # bad input or a bug: keep Blender alive and say what broke
            self._outcome["error"] = failure_message(error, self.job_title)

    def _show_status(self, context):
        text = f"{self.job_title}: {self._progress.message} ({self._progress.fraction * 100:.0f}%) — Esc to cancel"
        if context.workspace is not None:
            context.workspace.status_text_set(text)
        context.window_manager.progress_update(int(self._progress.fraction * 100))

    def _finish_modal(self, context):
        context.window_manager.event_timer_remove(self._timer)
        context.window_manager.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def modal(self, context, event):
        if event.type == "ESC":
            self._progress.cancelled.set()
            self._thread.join(timeout=1.0)  # it stops at its next progress call; its result is dropped
            self._finish_modal(context)
            self.report({"WARNING"}, f"{self.job_title} cancelled; nothing was changed.")
            return {"CANCELLED"}
        if event.type != "TIMER" or self._thread.is_alive():
            if event.type == "TIMER":
                self._show_status(context)
            return {"PASS_THROUGH"}
        self._finish_modal(context)
        if "error" in self._outcome:
            self.report({"ERROR"}, self._outcome["error"])
            return {"CANCELLED"}
        if self._outcome.get("cancelled"):
            return {"CANCELLED"}
        try:
            changed = changed_since_prepare(context, self._outcome["result"])
            if changed:
                raise UserFacingError(f"{changed} while {self.job_title} ran, so nothing was changed; run it again.")
            self.apply(context, self._outcome["result"])
        except Exception as error:
            return refuse(self, error)
        return {"FINISHED"}


def changed_since_prepare(context, result: dict) -> str:
    """What the user changed in the scene while the worker computed `result` that its keys depend on, as a
    sentence ("" when nothing): the frame rate (keys computed at 24 fps written at 30 ran 2.2 s short of the
    voice) or an object the take is for, renamed or deleted (a KeyError reported as a bug)."""
    if "fps" in result:
        render = context.scene.render
        fps = render.fps / render.fps_base
        if abs(fps - float(result["fps"])) > 1e-6:
            return f"The scene's frame rate changed from {float(result['fps']):g} to {fps:g} fps"
    gone = [result[key] for key in ("mesh_name", "sprite_name", "armature_name")
            if isinstance(result.get(key), str) and result[key] and result[key] not in context.blend_data.objects]
    if gone:
        return f"{', '.join(gone)} was renamed or deleted"
    return ""
