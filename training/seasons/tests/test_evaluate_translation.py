from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from apps.seasons import cyclegan
from training.seasons import evaluate_translation as ev


def _photos(n: int, colour: tuple[int, int, int], seed: int, size: int = 32, spread: int = 25) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        shift = rng.integers(-spread, spread + 1, 3)  # each photo its own cast, so the set has a spread
        noise = rng.integers(-12, 13, (size, size, 3))
        out.append(np.clip(np.array(colour) + shift + noise, 0, 255).astype(np.uint8))
    return out


SUMMER = (60, 140, 50)
WINTER = (215, 220, 235)


def test_the_frechet_distance_of_a_shifted_copy_is_the_squared_shift():
    x = np.random.default_rng(0).normal(size=(500, 6))
    assert ev.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    shift = np.array([3.0, 0, 0, 4.0, 0, 0])
    assert ev.frechet_distance(x, x + shift) == pytest.approx(25.0, rel=1e-6)


def test_the_frechet_distance_sees_a_different_spread():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4000, 2))
    # Same means; the covariance term alone: tr(I + 4I - 2*2I) = 2 for std 1 vs std 2.
    assert ev.frechet_distance(x, 2 * rng.normal(size=(4000, 2))) == pytest.approx(2.0, abs=0.2)


def test_the_frechet_distance_needs_two_samples():
    with pytest.raises(ValueError):
        ev.frechet_distance(np.zeros((1, 6)), np.zeros((5, 6)))


def test_wasserstein_of_a_shift_is_the_shift():
    x = np.random.default_rng(2).normal(size=5000)
    assert ev.wasserstein_1d(x, x + 7.0) == pytest.approx(7.0, rel=1e-6)
    assert ev.wasserstein_1d(x, x) == 0.0


def test_colour_features_are_lab_means_and_spreads():
    grey = np.full((8, 8, 3), 119, np.uint8)  # sRGB 119 is L* 50.0, neutral
    features = ev.colour_features([grey])
    assert features.shape == (1, 6)
    np.testing.assert_allclose(features[0], [50.0, 0, 0, 0, 0, 0], atol=0.3)
    half = grey.copy()
    half[:4] = 255
    assert ev.colour_features([half])[0, 3] > 20  # L* std of a half-white photo


def test_the_colour_distance_ranks_a_translation_that_reaches_the_target_first():
    summer, winter = _photos(30, SUMMER, 0), _photos(30, WINTER, 1)
    reached = _photos(30, WINTER, 2)  # other photos with winter's colours
    halfway = _photos(30, tuple((a + b) // 2 for a, b in zip(SUMMER, WINTER, strict=True)), 3)
    unchanged = ev.colour_metrics(summer, winter)
    assert ev.colour_metrics(reached, winter)["colour_fd"] < ev.colour_metrics(halfway, winter)["colour_fd"]
    assert ev.colour_metrics(halfway, winter)["colour_fd"] < unchanged["colour_fd"]
    assert ev.colour_metrics(reached, winter)["histogram_w1"]["mean"] < unchanged["histogram_w1"]["mean"]
    # One look given to every photo has the right mean but none of the domain's spread.
    same_look = [winter[0]] * 30
    assert ev.colour_metrics(same_look, winter)["colour_fd"] > ev.colour_metrics(reached, winter)["colour_fd"]


def test_structure_ssim_is_one_for_the_same_photo_and_low_for_noise():
    photos = _photos(3, SUMMER, 4, size=64, spread=0)
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.float32)[None, :, None], (64, 1, 3)).astype(np.uint8)
    assert ev.structure_ssim([ramp], [ramp]) == pytest.approx(1.0)
    assert ev.structure_ssim([ramp], [ramp[:, ::-1]]) < 0.5
    assert ev.structure_ssim(photos, photos) == pytest.approx(1.0)


def _engine(fd: float, ssim: float) -> dict:
    return {"colour_fd": fd, "structure_ssim": ssim}


def test_choose_takes_the_lower_colour_distance_among_engines_that_keep_the_structure():
    assert ev.choose({"photographic": _engine(50, 0.8), "cyclegan": _engine(30, 0.7)}) == "cyclegan"
    assert ev.choose({"photographic": _engine(30, 0.8), "cyclegan": _engine(50, 0.7)}) == "photographic"
    assert ev.choose({"photographic": _engine(50, 0.8), "cyclegan": _engine(30, 0.2)}) == "photographic"
    assert ev.choose({"photographic": _engine(50, 0.1), "cyclegan": _engine(30, 0.2)}) == "photographic"
    assert ev.choose({"photographic": _engine(50, 0.1), "cyclegan": _engine(60, 0.9)}) == "cyclegan"
    assert ev.choose({"photographic": _engine(50, 0.8)}) == "photographic"


def test_reverse_of():
    assert ev.reverse_of("summer2winter") == "winter2summer"
    assert ev.reverse_of("night2day") == "day2night"


@pytest.fixture(scope="module")
def networks():
    """Tiny untrained generators (32 px) and discriminators for the summer/winter pair."""
    make = cyclegan.build_generator
    return {
        "generators": {d: make(32, filters=4, residual_blocks=1, name=d) for d in ("summer2winter", "winter2summer")},
        "discriminators": {d: cyclegan.build_discriminator(32, filters=4, name=d) for d in ("summer", "winter")},
    }


def test_the_photographic_engine_alone_gets_every_figure_but_the_adversarial_one():
    summer, winter = _photos(6, SUMMER, 5, size=64), _photos(5, WINTER, 6, size=64)
    result = ev.evaluate_direction("summer2winter", summer, winter, generators={}, loss_side=32)
    assert set(result["engines"]) == {"photographic"} and result["chosen"] == "photographic"
    engine = result["engines"]["photographic"]
    assert engine["losses"]["adversarial"] is None
    assert engine["losses"]["cycle"] > 0 and engine["losses"]["identity"] > 0
    assert 0 < engine["structure_ssim"] <= 1 and engine["colour_fd"] >= 0
    assert (result["source_photos"], result["target_photos"], result["loss_side"]) == (6, 5, 32)
    # The photographic engine turns green summer photos brighter and paler: closer to winter than unchanged.
    assert engine["colour"]["L_mean"] > result["baselines"]["unchanged"]["colour"]["L_mean"]


def test_both_engines_are_scored_with_the_same_discriminator(networks):
    summer, winter = _photos(6, SUMMER, 7, size=64), _photos(5, WINTER, 8, size=64)
    result = ev.evaluate_direction(
        "winter2summer",
        winter,
        summer,
        generators=networks["generators"],
        discriminator=networks["discriminators"]["summer"],
    )
    assert set(result["engines"]) == {"photographic", "cyclegan"} and result["loss_side"] == 32
    for engine in result["engines"].values():
        losses = engine["losses"]
        assert all(np.isfinite(losses[k]) and losses[k] >= 0 for k in ("adversarial", "cycle", "identity"))
    assert result["baselines"]["unchanged"]["losses"]["adversarial"] >= 0
    assert result["baselines"]["target_photos"]["losses"]["adversarial"] >= 0
    assert 0 < result["baselines"]["resampled"]["structure_ssim"] < 1  # 64 px shrunk to 32 and back loses detail
    assert result["chosen"] == ev.choose(result["engines"])


def test_served_cyclegan_delivers_the_input_size(networks):
    out = ev.served_cyclegan(networks["generators"]["summer2winter"], _photos(2, SUMMER, 9, size=64))
    assert [o.shape for o in out] == [(64, 64, 3), (64, 64, 3)] and out[0].dtype == np.uint8


def _write(folder: Path, photos: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True)
    for i, photo in enumerate(photos):
        Image.fromarray(photo).save(folder / f"{i:03d}.png")
    return folder


def test_the_cli_writes_both_directions_and_keeps_other_pairs(tmp_path, networks):
    test_a = _write(tmp_path / "testA", _photos(5, SUMMER, 10, size=64))
    test_b = _write(tmp_path / "testB", _photos(4, WINTER, 11, size=64))
    gen_dir, disc_dir = tmp_path / "gen", tmp_path / "disc"
    gen_dir.mkdir()
    disc_dir.mkdir()
    for direction, generator in networks["generators"].items():
        generator.save(gen_dir / f"{direction}.keras")
    for domain, discriminator in networks["discriminators"].items():
        discriminator.save(disc_dir / f"discriminator_{domain}.keras")
    out = tmp_path / "models" / "translation.json"
    out.parent.mkdir()
    out.write_text(json.dumps({"directions": {"day2night": {"chosen": "photographic"}}}))
    argv = ["--pair", "summer_winter", "--test-a", str(test_a), "--test-b", str(test_b), "--generators",
            str(gen_dir), "--discriminators", str(disc_dir), "--out", str(out), "--limit", "3"]  # fmt: skip
    assert ev.main(argv) == 0
    report = json.loads(out.read_text())
    assert set(report["directions"]) == {"day2night", "summer2winter", "winter2summer"}
    s2w = report["directions"]["summer2winter"]
    assert (s2w["source_photos"], s2w["target_photos"]) == (3, 3)
    generator = s2w["engines"]["cyclegan"]["generator"]
    assert generator["sha256"] == ev.sha256(gen_dir / "summer2winter.keras") and generator["size"] == 32
    assert s2w["engines"]["cyclegan"]["losses"]["adversarial"] is not None
    assert report["evaluated"]["summer_winter"]["limit"] == 3 and "colour_fd" in report["rule"]
    assert not (out.parent / "summer2winter.keras").exists()  # nothing installed without --install


def test_one_generator_of_a_pair_is_not_scored(tmp_path, networks):
    gen_dir = tmp_path / "gen"
    gen_dir.mkdir()
    networks["generators"]["summer2winter"].save(gen_dir / "summer2winter.keras")
    summer, winter = _photos(3, SUMMER, 12, size=32), _photos(3, WINTER, 13, size=32)
    results = ev.evaluate_pair("summer_winter", test_a=summer, test_b=winter, generators_dir=gen_dir,
                               discriminators_dir=None)  # fmt: skip
    assert all(set(r["engines"]) == {"photographic"} for r in results.values())


def test_install_ships_winners_and_removes_losers(tmp_path):
    gen_dir, out_dir = tmp_path / "gen", tmp_path / "ml_models" / "seasons"
    gen_dir.mkdir()
    out_dir.mkdir(parents=True)
    for direction in ("summer2winter", "winter2summer"):
        (gen_dir / f"{direction}.keras").write_bytes(b"weights " + direction.encode())
        (gen_dir / f"{direction}.json").write_text("{}")
    (out_dir / "winter2summer.keras").write_bytes(b"an older generator")
    (out_dir / "winter2summer.json").write_text("{}")
    results = {"summer2winter": {"chosen": "cyclegan"}, "winter2summer": {"chosen": "photographic"}}
    ev.install(results, generators_dir=gen_dir, out_dir=out_dir)
    assert (out_dir / "summer2winter.keras").read_bytes() == b"weights summer2winter"
    assert (out_dir / "summer2winter.json").exists()
    assert not (out_dir / "winter2summer.keras").exists() and not (out_dir / "winter2summer.json").exists()
