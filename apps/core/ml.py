"""Model registry: every model the site uses, loaded lazily once per process.

Apps register a ``ModelSpec`` from their ``AppConfig.ready()`` (cheap: no
import of TensorFlow or mediapipe happens there). The first ``get_model()``
call in a process loads the model under a lock, warms it up and keeps it; the
returned ``LoadedModel`` serialises calls, since neither mediapipe's graphs nor
Keras models are safe to call from several threads at once.

Load after the fork, never at import time: TensorFlow graphs loaded before a
pre-forking server forks can hang its workers.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")
# In a ModelSpec's shape: any size, as long as the saved network fixes one (its callers read the size from it).
FIXED = -1
Shape = tuple[int | None, ...]


class ModelUnavailable(RuntimeError):
    """A model's weights are missing or failed to load; the message says how to get them."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    app: str
    description: str
    loader: Callable[[ModelSpec], Any]
    # Either a file under ml_models/ (trained by this repo) or an installed package.
    path: Path | None = None
    package: str | None = None
    training_command: str | None = None
    warmup: Callable[[Any], None] | None = None
    # An optional model has a fallback engine; the site works without it.
    optional: bool = False
    # Load one copy per inference thread (settings.EMOPIC_INFERENCE_THREADS) so calls from several
    # threads run at once, one core each, instead of queueing on one copy. For the small MediaPipe
    # graphs the live coach runs on every frame; measured in bench/composition.py.
    parallel: bool = False
    # What a Keras network must look like: its input and output shapes, each side an exact size, None (any,
    # fixed or not) or FIXED. A valid file of another network (a wrong copy, a mixed-up deploy) then fails
    # at load, like a corrupt file, instead of failing on each request.
    input_shape: Shape | None = None
    output_shape: Shape | None = None

    @property
    def source(self) -> str:
        if self.path is not None:
            return str(self.path)
        return f"package {self.package}"

    def available(self) -> bool:
        return self.path is None or self.path.exists()

    def version(self) -> str:
        if self.path is not None:
            if not self.path.exists():
                return "missing"
            digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]
            return f"sha256:{digest}"
        if self.package:
            try:
                return importlib.metadata.version(self.package)
            except importlib.metadata.PackageNotFoundError:
                return "not installed"
        return "unknown"

    def missing_message(self) -> str:
        return f"Model '{self.name}' has no weights at {self.path}.{self._how()}"

    def mismatch(self, model: Any) -> str | None:
        """Why ``model`` is not the network this spec describes, or None when its shapes fit."""
        for side, expected in (("input", self.input_shape), ("output", self.output_shape)):
            actual = getattr(model, f"{side}_shape", None)
            if expected is not None and not _fits(actual, expected):
                wanted = ", ".join("any fixed size" if d == FIXED else str(d) for d in expected)
                return (
                    f"Model '{self.name}' at {self.source} is not the network this site expects: its {side} "
                    f"shape is {actual}, not ({wanted}).{self._how()}"
                )
        return None

    def _how(self) -> str:
        return f" Train it with: {self.training_command}" if self.training_command else ""


def _fits(actual: Any, expected: Shape) -> bool:
    # A model with several inputs or outputs has a list of shapes: never one of ours.
    if not isinstance(actual, tuple | list) or len(actual) != len(expected):
        return False
    for size, wanted in zip(actual, expected, strict=True):
        if isinstance(size, tuple | list) or (wanted == FIXED and size is None):
            return False
        if wanted is not None and wanted != FIXED and size != wanted:
            return False
    return True


@dataclass
class LoadedModel:
    spec: ModelSpec
    model: Any
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    # For a parallel spec: every copy (``model`` among them), each lent to one caller at a time.
    free_copies: queue.SimpleQueue | None = None

    def run(self, fn: Callable[[Any], T]) -> T:
        """Call ``fn(model)`` with a copy of this model to itself."""
        if self.free_copies is None:
            with self.lock:
                return fn(self.model)
        copy = self.free_copies.get()
        try:
            return fn(copy)
        finally:
            self.free_copies.put(copy)

    def predict(self, batch: Any) -> Any:
        """Keras models: one forward pass (``model(x)``, cheaper than ``predict()`` for one image)."""
        import numpy as np

        with self.lock:
            return np.asarray(self.model(batch, training=False))


_REGISTRY: dict[str, ModelSpec] = {}
_LOADED: dict[str, LoadedModel] = {}
# A failed load is remembered per weights-file version, so a corrupt file is not re-read
# (and its traceback re-logged) on every request; replacing the file clears it.
_FAILED: dict[str, tuple[tuple[int, int, int] | None, str]] = {}
_LOAD_LOCK = threading.Lock()


def register(spec: ModelSpec) -> None:
    _REGISTRY[spec.name] = spec


def registered() -> list[ModelSpec]:
    return sorted(_REGISTRY.values(), key=lambda spec: (spec.app, spec.name))


def get_spec(name: str) -> ModelSpec:
    return _REGISTRY[name]


def is_loaded(name: str) -> bool:
    return name in _LOADED


def get_model(name: str) -> LoadedModel:
    loaded = _LOADED.get(name)
    if loaded is None:
        with _LOAD_LOCK:  # double-checked: exactly one load per process
            loaded = _LOADED.get(name)
            if loaded is None:
                spec = _REGISTRY[name]
                failed = _FAILED.get(name)
                if failed is not None and failed[0] == _file_version(spec):
                    raise ModelUnavailable(failed[1])
                try:
                    loaded = _LOADED[name] = _load(spec)
                except ModelUnavailable as exc:
                    _FAILED[name] = (_file_version(spec), str(exc))
                    raise
                _FAILED.pop(name, None)
    return loaded


def _file_version(spec: ModelSpec) -> tuple[int, int, int] | None:
    # Size and inode as well as the time: a file put right within the clock's tick, or moved into place
    # with an older time (cp -p, rsync, an unpacked archive), is still a new version.
    try:
        stat = spec.path.stat() if spec.path is not None else None
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino) if stat is not None else None


def _load(spec: ModelSpec) -> LoadedModel:
    if not spec.available():
        raise ModelUnavailable(spec.missing_message())
    started = time.perf_counter()
    try:
        copies = [spec.loader(spec) for _ in range(_copies(spec))]
        for copy in copies:
            if (problem := spec.mismatch(copy)) is not None:
                raise ModelUnavailable(problem)
        if spec.warmup is not None:
            for copy in copies:
                spec.warmup(copy)
    except ModelUnavailable:
        raise
    except Exception as exc:  # a corrupt file, an incompatible package: name it, keep the site up
        logger.exception("Loading model %s failed", spec.name)
        raise ModelUnavailable(f"Model '{spec.name}' failed to load from {spec.source}: {exc}") from exc
    seconds = time.perf_counter() - started
    logger.info("Loaded model %s from %s in %.2fs", spec.name, spec.source, seconds)
    if len(copies) == 1:
        return LoadedModel(spec=spec, model=copies[0], load_seconds=seconds)
    free: queue.SimpleQueue = queue.SimpleQueue()
    for copy in copies:
        free.put(copy)
    return LoadedModel(spec=spec, model=copies[0], load_seconds=seconds, free_copies=free)


def _copies(spec: ModelSpec) -> int:
    if not spec.parallel:
        return 1
    from django.conf import settings

    return max(1, int(getattr(settings, "EMOPIC_INFERENCE_THREADS", 1)))


def forget_loaded() -> None:
    """Drop loaded models and remembered failures (tests that swap weights files use this)."""
    with _LOAD_LOCK:
        _LOADED.clear()
        _FAILED.clear()


def load_keras(spec: ModelSpec) -> Any:
    import warnings

    import keras  # deferred: importing TensorFlow costs seconds

    # Keras 3.10 warns on every call of a reloaded single-input functional model that the
    # input "structure" differs (a bare tensor instead of a one-element list); it is harmless.
    warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match", category=UserWarning)
    return keras.saving.load_model(spec.path, compile=False)


def warm_keras(model: Any) -> None:
    """One forward pass at the model's own input shape (sides left open are taken as 64 px)."""
    import numpy as np

    shape = (1, *(side or 64 for side in model.input_shape[1:]))
    model(np.zeros(shape, np.float32), training=False)


def warm_mediapipe(solution: Any) -> None:
    """One pass of a MediaPipe solution on a blank 256 px image: builds its graph and delegate."""
    import numpy as np

    solution.process(np.zeros((256, 256, 3), np.uint8))


def mediapipe_module_path(relative: str) -> Path:
    """Path of a .tflite model inside the installed mediapipe wheel."""
    import importlib.util

    found = importlib.util.find_spec("mediapipe")
    if found is None or found.origin is None:
        raise ModelUnavailable("mediapipe is not installed")
    return Path(found.origin).parent / relative


def warm_up_in_background() -> threading.Thread:
    """Load every available model in a daemon thread, so the first visitor does not pay for it."""

    def warm() -> None:
        for spec in registered():
            if spec.available():
                try:
                    get_model(spec.name)
                except ModelUnavailable:
                    pass  # already logged; the tool answers 503 or falls back when used

    thread = threading.Thread(target=warm, name="emopic-model-warmup", daemon=True)
    thread.start()
    return thread
