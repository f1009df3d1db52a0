"""The seasons tool's translator: CycleGAN (Zhu et al. 2017), one ResNet generator per direction.

Architecture as in the paper's appendix: the generator is c7s1-64, d128, d256, R256 x n,
u128, u64, c7s1-3 with instance normalisation and a tanh output in [-1, 1]; the
discriminator is the 70x70 PatchGAN C64-C128-C256-C512 with LeakyReLU 0.2 and a linear
output (the losses are LSGAN, so no sigmoid). Reflection padding is a small custom layer,
as in the paper (zero "same" padding leaves visible borders in translated photos); so is
instance normalisation (a learnable per-channel scale and offset after normalising each
image's channel over H and W). Both are registered with Keras under the "emopic_seasons"
package, so ``keras.saving.load_model`` finds them once ``custom_layers()`` has run.

The full generator (filters 64, 9 blocks) is 11.4 M parameters, a 46 MB .keras file at
float32; a "slim" one (filters 32, 6 blocks) is 2.0 M, an 8 MB file, under the repository's
16 MB per-file limit. ``training/seasons/train_cyclegan.py`` trains and exports them, and
``training/seasons/evaluate_translation.py`` scores them against the photographic engine: a
generator serves only where that evaluation found it better (``evaluation_allows_generator``).

Keras and TensorFlow are imported inside functions only: importing them costs seconds. So is
Django's settings, so the networks and their training also run where Django is not installed:
``CycleGAN`` trains under Keras's TensorFlow backend (CPU, the suite) and under its PyTorch
backend (a CUDA GPU machine, ``train_cyclegan.py --backend torch``), and both save the same
backend-neutral ``.keras`` files.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from apps.core import ml as registry
from apps.core.imageio import RGBImage

from .pipeline.types import DIRECTIONS, MODEL_SIZE

logger = logging.getLogger(__name__)

MODEL_PREFIX = "seasons.cyclegan."
LAMBDA_CYCLE = 10.0
LAMBDA_IDENTITY = 0.5 * LAMBDA_CYCLE  # the paper's identity weight: half the cycle weight
LEARNING_RATE = 2e-4
BETA_1 = 0.5
_INIT_STDDEV = 0.02  # the paper's N(0, 0.02) weight initialisation
_KERAS_PACKAGE = "emopic_seasons"
UPSAMPLINGS = ("transposed", "resize")
# The TFDS config for each pair, when TFDS has one; the other pairs train from two folders.
TFDS_DATASETS = {"summer_winter": "cycle_gan/summer2winter_yosemite"}

Batch = npt.NDArray[np.float32]  # NxHxWx3, RGB, -1..1

_CUSTOM_LAYERS: dict[str, type] = {}
# The per-direction engine choice written by training/seasons/evaluate_translation.py.
EVALUATION_FILE = "translation.json"
_EVALUATION_CACHE: dict[Path, tuple[int, dict]] = {}
_DIGEST_CACHE: dict[Path, tuple[int, str]] = {}


def custom_layers() -> dict[str, type]:
    """Define (once) and register with Keras the custom layers; returns them by class name.

    The classes are built inside a function so importing this module does not import Keras.
    """
    if _CUSTOM_LAYERS:
        return _CUSTOM_LAYERS
    import keras

    @keras.saving.register_keras_serializable(package=_KERAS_PACKAGE)
    class ReflectionPadding2D(keras.layers.Layer):
        def __init__(self, padding: int = 1, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.padding = int(padding)

        def call(self, inputs: Any) -> Any:
            p = self.padding
            return keras.ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            n, h, w, c = input_shape
            grow = 2 * self.padding
            return (n, None if h is None else h + grow, None if w is None else w + grow, c)

        def get_config(self) -> dict:
            return {**super().get_config(), "padding": self.padding}

    @keras.saving.register_keras_serializable(package=_KERAS_PACKAGE)
    class InstanceNormalization(keras.layers.Layer):
        def __init__(self, epsilon: float = 1e-5, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.epsilon = float(epsilon)

        def build(self, input_shape: tuple) -> None:
            channels = input_shape[-1]
            self.gamma = self.add_weight(
                name="gamma",
                shape=(channels,),
                initializer=keras.initializers.RandomNormal(1.0, _INIT_STDDEV),
            )
            self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

        def call(self, inputs: Any) -> Any:
            mean, variance = keras.ops.moments(inputs, axes=[1, 2], keepdims=True)
            normalised = (inputs - mean) * keras.ops.rsqrt(variance + self.epsilon)
            return normalised * self.gamma + self.beta

        def get_config(self) -> dict:
            return {**super().get_config(), "epsilon": self.epsilon}

    _CUSTOM_LAYERS.update(ReflectionPadding2D=ReflectionPadding2D, InstanceNormalization=InstanceNormalization)
    return _CUSTOM_LAYERS


def build_generator(
    size: int = MODEL_SIZE,
    filters: int = 64,
    residual_blocks: int = 9,
    name: str = "generator",
    upsampling: str = "transposed",
) -> Any:
    """The ResNet generator: (N, size, size, 3) in -1..1 -> the same shape out (tanh).

    ``size`` must be a multiple of 4 (two stride-2 downsamplings). ``filters=32,
    residual_blocks=6`` is the slim variant. ``upsampling`` is the paper's "transposed"
    (fractionally strided) convolutions or "resize": nearest-neighbour doubling then a 3x3
    convolution, which cannot make the checkerboard pattern a transposed convolution makes
    while it is still learning (Odena et al. 2016, "Deconvolution and Checkerboard Artifacts").
    """
    import keras
    from keras import layers

    if size % 4:
        raise ValueError(f"size must be a multiple of 4, got {size}")
    if upsampling not in UPSAMPLINGS:
        raise ValueError(f"upsampling is one of {UPSAMPLINGS}, got {upsampling!r}")
    custom = custom_layers()
    reflect, norm = custom["ReflectionPadding2D"], custom["InstanceNormalization"]
    init = keras.initializers.RandomNormal(0.0, _INIT_STDDEV)

    def conv(x: Any, channels: int, kernel: int, label: str, strides: int = 1, padding: str = "valid") -> Any:
        # No bias before instance normalisation: the normalisation subtracts it again.
        return layers.Conv2D(
            channels, kernel, strides=strides, padding=padding, use_bias=False, kernel_initializer=init, name=label
        )(x)

    inputs = keras.Input(shape=(size, size, 3), name="image")
    x = reflect(3, name="c7s1_pad")(inputs)
    x = layers.ReLU(name="c7s1_relu")(norm(name="c7s1_norm")(conv(x, filters, 7, "c7s1_conv")))
    for i, mult in enumerate((2, 4)):
        x = conv(x, filters * mult, 3, f"d{i}_conv", strides=2, padding="same")
        x = layers.ReLU(name=f"d{i}_relu")(norm(name=f"d{i}_norm")(x))
    for r in range(residual_blocks):
        y = reflect(1, name=f"r{r}_pad1")(x)
        y = layers.ReLU(name=f"r{r}_relu")(norm(name=f"r{r}_norm1")(conv(y, filters * 4, 3, f"r{r}_conv1")))
        y = reflect(1, name=f"r{r}_pad2")(y)
        y = norm(name=f"r{r}_norm2")(conv(y, filters * 4, 3, f"r{r}_conv2"))
        x = layers.Add(name=f"r{r}_add")([x, y])
    for i, mult in enumerate((2, 1)):
        if upsampling == "resize":
            x = layers.UpSampling2D(2, interpolation="nearest", name=f"u{i}_resize")(x)
            x = conv(reflect(1, name=f"u{i}_pad")(x), filters * mult, 3, f"u{i}_conv")
        else:
            # TensorFlow's "same" for this kernel and stride is "valid" less the last row and column.
            # Spelled out, because Keras's torch backend (3.10) pads a "same" transposed convolution
            # one pixel off: a generator trained on a GPU under torch must compute what the site's
            # TensorFlow computes.
            x = layers.Conv2DTranspose(
                filters * mult,
                3,
                strides=2,
                padding="valid",
                use_bias=False,
                kernel_initializer=init,
                name=f"u{i}_conv",
            )(x)
            x = layers.Cropping2D(((0, 1), (0, 1)), name=f"u{i}_crop")(x)
        x = layers.ReLU(name=f"u{i}_relu")(norm(name=f"u{i}_norm")(x))
    x = reflect(3, name="out_pad")(x)
    x = layers.Conv2D(3, 7, kernel_initializer=init, name="out_conv")(x)
    outputs = layers.Activation("tanh", name="out_tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def build_discriminator(size: int = MODEL_SIZE, filters: int = 64, name: str = "discriminator") -> Any:
    """The 70x70 PatchGAN: (N, size, size, 3) -> (N, P, P, 1) raw scores (P = 30 at size 256).

    C64 (no normalisation), C128 and C256 are 4x4 stride-2 convolutions; C512 and the
    1-channel output are 4x4 stride-1 with one pixel of zero padding, as in the paper's code.
    """
    import keras
    from keras import layers

    norm = custom_layers()["InstanceNormalization"]
    init = keras.initializers.RandomNormal(0.0, _INIT_STDDEV)
    inputs = keras.Input(shape=(size, size, 3), name="image")
    x = layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=init, name="c1_conv")(inputs)
    x = layers.LeakyReLU(0.2, name="c1_lrelu")(x)
    for index, (mult, strides) in enumerate(((2, 2), (4, 2), (8, 1)), start=2):
        label = f"c{index}"
        if strides == 1:
            x = layers.ZeroPadding2D(1, name=f"{label}_pad")(x)
        x = layers.Conv2D(
            filters * mult,
            4,
            strides=strides,
            padding="same" if strides == 2 else "valid",
            use_bias=False,
            kernel_initializer=init,
            name=f"{label}_conv",
        )(x)
        x = layers.LeakyReLU(0.2, name=f"{label}_lrelu")(norm(name=f"{label}_norm")(x))
    x = layers.ZeroPadding2D(1, name="out_pad")(x)
    outputs = layers.Conv2D(1, 4, kernel_initializer=init, name="out_conv")(x)
    return keras.Model(inputs, outputs, name=name)


class ImagePool:
    """The history of generated images the discriminators also see (Shrivastava et al. 2017).

    Until ``size`` images are stored, each new image is stored and returned. After that,
    each new image is, with probability 0.5, swapped for a random stored one (which is
    returned), otherwise returned as is. ``size=0`` disables the pool.
    """

    def __init__(self, size: int = 50, seed: int | None = 0) -> None:
        self.size = size
        self.images: list[np.ndarray] = []
        self._rng = np.random.default_rng(seed)

    def query(self, images: Any) -> np.ndarray:
        """A batch (NxHxWxC) of new images -> a batch of the same shape to show the discriminator."""
        batch = np.asarray(images)
        if self.size == 0:
            return batch
        out = []
        for image in batch:
            if len(self.images) < self.size:
                self.images.append(image.copy())
                out.append(image)
            elif self._rng.random() < 0.5:
                index = int(self._rng.integers(self.size))
                out.append(self.images[index])
                self.images[index] = image.copy()
            else:
                out.append(image)
        return np.stack(out)


def adversarial_loss(predictions: Any, real: bool) -> Any:
    """LSGAN: the mean squared distance of the patch scores from 1 (real) or 0 (fake)."""
    from keras import ops

    return ops.mean(ops.square(predictions - (1.0 if real else 0.0)))


def discriminator_loss(real_predictions: Any, fake_predictions: Any) -> Any:
    # Halved, as in the paper, to slow the discriminator relative to the generators.
    return 0.5 * (adversarial_loss(real_predictions, True) + adversarial_loss(fake_predictions, False))


def cycle_loss(real: Any, cycled: Any, weight: float = LAMBDA_CYCLE) -> Any:
    from keras import ops

    return weight * ops.mean(ops.abs(real - cycled))


def identity_loss(real: Any, same: Any, weight: float = LAMBDA_IDENTITY) -> Any:
    from keras import ops

    return weight * ops.mean(ops.abs(real - same))


class CycleGAN:
    """Two generators (A->B, B->A), two discriminators, one Adam(2e-4, beta1 0.5) per side.

    ``train_step`` updates both generators, then both discriminators on pooled fakes, and
    returns the losses as floats. The forward passes and losses are Keras ops, shared by both
    backends; only taking the gradients differs: a ``tf.GradientTape`` in a ``tf.function``
    under TensorFlow, autograd under PyTorch. The pools work in numpy, so each half is its
    own step and the pooling sits between them.
    """

    def __init__(
        self,
        size: int = MODEL_SIZE,
        filters: int = 64,
        residual_blocks: int = 9,
        disc_filters: int = 64,
        pool_size: int = 50,
        learning_rate: float = LEARNING_RATE,
        seed: int = 0,
        upsampling: str = "transposed",
    ) -> None:
        import keras

        self.backend = keras.backend.backend()
        if self.backend not in ("tensorflow", "torch"):
            raise ValueError(f"CycleGAN trains under Keras's tensorflow or torch backend, not {self.backend}")
        self.size, self.filters, self.residual_blocks = size, filters, residual_blocks
        self.upsampling = upsampling
        self.g_ab = build_generator(size, filters, residual_blocks, name="generator_a2b", upsampling=upsampling)
        self.g_ba = build_generator(size, filters, residual_blocks, name="generator_b2a", upsampling=upsampling)
        self.d_a = build_discriminator(size, disc_filters, name="discriminator_a")
        self.d_b = build_discriminator(size, disc_filters, name="discriminator_b")
        self.g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=BETA_1)
        self.d_optimizer = keras.optimizers.Adam(learning_rate, beta_1=BETA_1)
        # Built now so a checkpoint restores into existing slots rather than deferring.
        self.g_optimizer.build(self._g_vars)
        self.d_optimizer.build(self._d_vars)
        self.pool_a = ImagePool(pool_size, seed)
        self.pool_b = ImagePool(pool_size, seed + 1)
        if self.backend == "tensorflow":
            import tensorflow as tf

            self._generator_step = tf.function(self._tf_generator_step, reduce_retracing=True)
            self._discriminator_step = tf.function(self._tf_discriminator_step, reduce_retracing=True)
        else:
            self._generator_step = self._torch_generator_step
            self._discriminator_step = self._torch_discriminator_step

    @property
    def _g_vars(self) -> list:
        return self.g_ab.trainable_variables + self.g_ba.trainable_variables

    @property
    def _d_vars(self) -> list:
        return self.d_a.trainable_variables + self.d_b.trainable_variables

    def _generator_losses(self, real_a: Any, real_b: Any) -> tuple:
        fake_b = self.g_ab(real_a, training=True)
        fake_a = self.g_ba(real_b, training=True)
        cycled_a = self.g_ba(fake_b, training=True)
        cycled_b = self.g_ab(fake_a, training=True)
        same_a = self.g_ba(real_a, training=True)
        same_b = self.g_ab(real_b, training=True)
        adv_ab = adversarial_loss(self.d_b(fake_b, training=True), True)
        adv_ba = adversarial_loss(self.d_a(fake_a, training=True), True)
        cyc = cycle_loss(real_a, cycled_a) + cycle_loss(real_b, cycled_b)
        idt = identity_loss(real_a, same_a) + identity_loss(real_b, same_b)
        total = adv_ab + adv_ba + cyc + idt
        losses = {"g_total": total, "g_adv_a2b": adv_ab, "g_adv_b2a": adv_ba, "cycle": cyc, "identity": idt}
        return fake_a, fake_b, losses

    def _discriminator_losses(self, real_a: Any, real_b: Any, fake_a: Any, fake_b: Any) -> dict:
        loss_a = discriminator_loss(self.d_a(real_a, training=True), self.d_a(fake_a, training=True))
        loss_b = discriminator_loss(self.d_b(real_b, training=True), self.d_b(fake_b, training=True))
        return {"d_a": loss_a, "d_b": loss_b}

    def _tf_generator_step(self, real_a: Any, real_b: Any) -> tuple:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            fake_a, fake_b, losses = self._generator_losses(real_a, real_b)
        grads = tape.gradient(losses["g_total"], self._g_vars)
        self.g_optimizer.apply_gradients(zip(grads, self._g_vars, strict=True))
        return fake_a, fake_b, losses

    def _tf_discriminator_step(self, real_a: Any, real_b: Any, fake_a: Any, fake_b: Any) -> dict:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            losses = self._discriminator_losses(real_a, real_b, fake_a, fake_b)
            total = losses["d_a"] + losses["d_b"]
        grads = tape.gradient(total, self._d_vars)
        self.d_optimizer.apply_gradients(zip(grads, self._d_vars, strict=True))
        return losses

    @staticmethod
    def _torch_apply(total: Any, optimizer: Any, variables: list, models: tuple) -> None:
        import torch

        for model in models:  # the generators' loss also leaves gradients on the discriminators
            model.zero_grad(set_to_none=True)
        total.backward()
        with torch.no_grad():
            optimizer.apply([v.value.grad for v in variables], variables)

    def _torch_generator_step(self, real_a: Any, real_b: Any) -> tuple:
        fake_a, fake_b, losses = self._generator_losses(real_a, real_b)
        self._torch_apply(losses["g_total"], self.g_optimizer, self._g_vars, (self.g_ab, self.g_ba, self.d_a, self.d_b))
        return fake_a.detach(), fake_b.detach(), {k: v.detach() for k, v in losses.items()}

    def _torch_discriminator_step(self, real_a: Any, real_b: Any, fake_a: Any, fake_b: Any) -> dict:
        losses = self._discriminator_losses(real_a, real_b, fake_a, fake_b)
        self._torch_apply(losses["d_a"] + losses["d_b"], self.d_optimizer, self._d_vars, (self.d_a, self.d_b))
        return {k: v.detach() for k, v in losses.items()}

    def train_step(self, real_a: Any, real_b: Any) -> dict[str, float]:
        """One update of all four networks on a batch from each domain (float32, -1..1)."""
        from keras import ops

        real_a = ops.convert_to_tensor(real_a, "float32")
        real_b = ops.convert_to_tensor(real_b, "float32")
        fake_a, fake_b, g_losses = self._generator_step(real_a, real_b)
        pooled_a = ops.convert_to_tensor(self.pool_a.query(ops.convert_to_numpy(fake_a)))
        pooled_b = ops.convert_to_tensor(self.pool_b.query(ops.convert_to_numpy(fake_b)))
        d_losses = self._discriminator_step(real_a, real_b, pooled_a, pooled_b)
        return {key: float(ops.convert_to_numpy(value)) for key, value in {**g_losses, **d_losses}.items()}


def preprocess(rgb: RGBImage) -> npt.NDArray[np.float32]:
    """HxWx3 uint8 RGB -> HxWx3 float32 in -1..1. Training and serving both use this."""
    return np.asarray(rgb, np.float32) / 127.5 - 1.0


def postprocess(output: Any) -> RGBImage:
    """A generator's output (HxWx3 or 1xHxWx3, -1..1) -> HxWx3 uint8 RGB (clipped, rounded)."""
    out = np.asarray(output, np.float32)
    if out.ndim == 4:
        out = out[0]
    return np.ascontiguousarray(np.clip(np.rint((out + 1.0) * 127.5), 0, 255).astype(np.uint8))


def engine_name(direction: str) -> str:
    """What a result made by ``direction``'s generator says made it."""
    return f"CycleGAN generator trained here (ml_models/seasons/{direction}.keras)"


def model_name(direction: str) -> str:
    return f"{MODEL_PREFIX}{direction}"


def _models_dir() -> Path:
    from django.conf import settings

    return settings.ML_MODELS_DIR / "seasons"


def generator_path(direction_key: str) -> Path:
    return _models_dir() / f"{direction_key}.keras"


def training_command(pair: str) -> str:
    script = "python training/seasons/train_cyclegan.py"
    if pair in TFDS_DATASETS:
        return f"{script} --pair {pair} --tfds {TFDS_DATASETS[pair]} --export"
    source, target = pair.split("_")
    return f"{script} --pair {pair} --folder-a DIR_OF_{source.upper()} --folder-b DIR_OF_{target.upper()} --export"


def _input_size(model: Any) -> int:
    shape = model.input_shape
    return int(shape[1]) if shape[1] is not None else MODEL_SIZE


def _load_generator(spec: registry.ModelSpec) -> Any:
    custom_layers()  # registers the custom layers, so load_keras can deserialise them
    return registry.load_keras(spec)


def register_models() -> None:
    for key, direction in DIRECTIONS.items():
        registry.register(
            registry.ModelSpec(
                name=model_name(key),
                app="seasons",
                description=f"{direction.label}: CycleGAN ResNet generator, trained by this repo",
                loader=_load_generator,
                path=generator_path(key),
                training_command=training_command(direction.pair),
                warmup=registry.warm_keras,
                optional=True,
                input_shape=(None, None, None, 3),  # an RGB image in, one of the same size out
                output_shape=(None, None, None, 3),
            )
        )


def translate(direction: str, rgb: RGBImage) -> RGBImage | None:
    """``rgb`` (HxWx3 uint8, normally MODEL_SIZE a side) translated by ``direction``'s generator.

    The input is resized to the generator's own input size and the result is returned at
    that size. None when no generator was trained for ``direction``; a file that fails to
    load raises ModelUnavailable (the caller falls back to another engine).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    name = model_name(direction)
    try:
        spec = registry.get_spec(name)
    except KeyError:
        register_models()
        spec = registry.get_spec(name)
    if not spec.available():
        return None
    loaded = registry.get_model(name)
    image = fit_to(rgb, _input_size(loaded.model))
    return postprocess(loaded.predict(preprocess(image)[None]))


def fit_to(rgb: RGBImage, size: int) -> RGBImage:
    """``rgb`` at size x size, as a generator gets it: area-averaged when shrinking, cubic when enlarging."""
    image = np.ascontiguousarray(rgb, np.uint8)
    if image.shape[:2] != (size, size):
        shrinking = image.shape[0] > size or image.shape[1] > size
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    return image


def evaluation_path() -> Path:
    return _models_dir() / EVALUATION_FILE


def _evaluation() -> dict:
    """The evaluation's per-direction results (``{}`` without the file), re-read when the file changes."""
    path = evaluation_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    cached = _EVALUATION_CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        directions = json.loads(path.read_text())["directions"]
    except (OSError, ValueError, KeyError, TypeError):
        logger.exception("Unreadable engine evaluation %s; every generator file is used", path)
        directions = {}
    _EVALUATION_CACHE[path] = (stamp, directions)
    return directions


def evaluation_allows_generator(direction: str) -> bool:
    """Whether ``direction``'s generator may serve, by the held-out evaluation (``translation.json``).

    ``training/seasons/evaluate_translation.py`` scores both engines per direction and names the
    better one. Where it chose the photographic engine, the generator is not used, even if its
    file is there; where it chose the CycleGAN, only the very file it scored is used (a file
    swapped since needs a new evaluation, and meanwhile the photographic engine serves). A
    direction it never scored uses its generator whenever one exists.
    """
    result = _evaluation().get(direction)
    if not isinstance(result, dict):
        return True
    if result.get("chosen") != "cyclegan":
        return False
    expected = (result.get("engines", {}).get("cyclegan", {}).get("generator") or {}).get("sha256")
    path = generator_path(direction)
    if expected is None or not path.exists():
        return expected is None
    stamp = path.stat().st_mtime_ns
    cached = _DIGEST_CACHE.get(path)
    if cached is None or cached[0] != stamp:
        cached = _DIGEST_CACHE[path] = (stamp, hashlib.sha256(path.read_bytes()).hexdigest())
    if cached[1] != expected:
        logger.warning("%s is not the generator the evaluation scored; using the photographic engine", path)
        return False
    return True
