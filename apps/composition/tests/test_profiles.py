"""Target profiles: the built-in looks, and profiles measured from reference photos (made-up measures)."""

from __future__ import annotations

import json

import pytest

from apps.composition.pipeline.guidance import assess
from apps.composition.pipeline.profiles import (
    BUILT_IN_PROFILES,
    DEFAULT_PROFILE,
    TOLERANCE_FLOORS,
    profile_from_references,
)
from apps.composition.pipeline.types import Analysis, PersonMeasure, Profile

FRAME = (600, 800)


def person(top: float, chin: float, feet: float | None, hip: float, x: int = 250, tilt: float = 0.0) -> PersonMeasure:
    bottom = feet if feet is not None else FRAME[1]
    body = (feet - top) if feet is not None else None
    return PersonMeasure(
        box=(x, round(top), 100, round(bottom - top)), head_top_y=top, chin_y=chin, feet_y=feet, hip_y=hip,
        head_ratio=(chin - top) / body if body else None, leg_ratio=(feet - hip) / body if body else None,
        tilt_deg=tilt, feet_in_frame=feet is not None, landmarks=((0.0, 0.0, 0.0),) * 33,
        body_shown=1.0 if feet is not None else 0.65,
    )  # fmt: skip


def reference(*people: PersonMeasure) -> Analysis:
    return assess(list(people), BUILT_IN_PROFILES[DEFAULT_PROFILE], FRAME)


def test_it_offers_the_long_legs_centred_and_three_quarter_looks_with_descriptions():
    assert {"long-legs", "centred-full-body", "three-quarter"} <= set(BUILT_IN_PROFILES)
    assert DEFAULT_PROFILE in BUILT_IN_PROFILES
    for key, profile in BUILT_IN_PROFILES.items():
        assert profile.key == key and profile.name and len(profile.description) > 20


def test_long_legs_wants_a_smaller_head_less_headroom_and_feet_nearer_the_edge_than_the_centred_look():
    long_legs, centred = BUILT_IN_PROFILES["long-legs"], BUILT_IN_PROFILES["centred-full-body"]

    assert long_legs.head_ratio < centred.head_ratio
    assert long_legs.headroom < centred.headroom and long_legs.footroom < centred.footroom
    assert long_legs.horizontal == "centre"


def test_full_body_profiles_add_up_to_the_whole_frame_height():
    for key in ("long-legs", "centred-full-body"):
        profile = BUILT_IN_PROFILES[key]
        assert profile.headroom + profile.subject_height + profile.footroom == pytest.approx(1.0)


def test_three_quarter_needs_no_feet_and_cuts_the_body_mid_thigh():
    profile = BUILT_IN_PROFILES["three-quarter"]

    assert profile.needs_feet is False
    assert profile.footroom is None and profile.head_ratio is None and profile.leg_ratio is None
    assert 0.55 < profile.body_shown < 0.72


def test_a_profile_survives_a_round_trip_through_json():
    for profile in BUILT_IN_PROFILES.values():
        assert Profile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile


def test_from_dict_ignores_unknown_keys_and_fills_missing_tolerances():
    data = {**BUILT_IN_PROFILES["long-legs"].to_dict(), "reference_count": 3}
    del data["tolerance"]

    profile = Profile.from_dict(data)

    assert profile.tolerance == {} and profile.tol("head_ratio") > 0


def test_from_dict_refuses_an_unknown_horizontal_target():
    with pytest.raises(ValueError, match="horizontal"):
        Profile.from_dict({**BUILT_IN_PROFILES["long-legs"].to_dict(), "horizontal": "diagonal"})


def test_a_profile_from_references_averages_their_measures():
    first = reference(person(top=60, chin=160, feet=760, hip=410))  # head 0.1429, legs 0.5
    second = reference(person(top=100, chin=180, feet=740, hip=420))  # head 0.125, legs 0.5

    profile = profile_from_references([first, second], key="mine-1", name="Mine")

    assert (profile.key, profile.name) == ("mine-1", "Mine")
    assert profile.head_ratio == pytest.approx((100 / 700 + 80 / 640) / 2, abs=1e-4)
    assert profile.leg_ratio == pytest.approx(0.5, abs=1e-4)
    assert profile.headroom == pytest.approx((60 + 100) / 2 / 800)
    assert profile.footroom == pytest.approx((40 + 60) / 2 / 800)
    assert profile.subject_height == pytest.approx((700 + 640) / 2 / 800)
    assert profile.horizontal == "centre"


def test_tolerances_come_from_the_references_spread_but_never_below_the_floors():
    alike = [reference(person(top=80, chin=170, feet=760, hip=420)) for _ in range(3)]
    spread = [reference(person(top=80, chin=170 + d, feet=760, hip=420)) for d in (-30, 0, 30)]

    tight = profile_from_references(alike, key="a", name="A")
    loose = profile_from_references(spread, key="b", name="B")

    assert tight.tolerance["head_ratio"] == TOLERANCE_FLOORS["head_ratio"]
    assert loose.tolerance["head_ratio"] > tight.tolerance["head_ratio"]


def test_a_reference_without_feet_gives_only_what_it_has():
    full = reference(person(top=80, chin=170, feet=760, hip=420))
    cut = reference(person(top=40, chin=140, feet=None, hip=420))

    profile = profile_from_references([full, cut], key="k", name="N")

    assert profile.head_ratio == pytest.approx(90 / 680, abs=1e-4)  # from the full body alone
    assert profile.headroom == pytest.approx((80 + 40) / 2 / 800)  # from both
    assert profile.needs_feet is True  # half the references show the feet


def test_references_that_mostly_cut_the_legs_make_a_profile_without_feet():
    cuts = [reference(person(top=40 + d, chin=140 + d, feet=None, hip=420)) for d in (0, 10)]

    profile = profile_from_references(cuts, key="k", name="N")

    assert profile.needs_feet is False and profile.head_ratio is None
    assert profile.body_shown == pytest.approx(0.65)


def test_a_group_off_centre_in_the_references_sets_a_third_line_target():
    left = reference(person(top=80, chin=170, feet=760, hip=420, x=150))

    assert profile_from_references([left], key="k", name="N").horizontal == "left_third"


def test_a_reference_measured_into_a_profile_is_on_target_for_itself():
    photo = reference(person(top=70, chin=165, feet=750, hip=410, x=120, tilt=-4.5))

    profile = profile_from_references([photo], key="k", name="N")
    again = assess(photo.people, profile, FRAME)

    assert [g.code for g in again.guidance] == ["hold"] and again.in_tolerance is True


def test_it_refuses_references_without_anyone_in_them():
    with pytest.raises(ValueError, match="No person"):
        profile_from_references([reference()], key="k", name="N")
    with pytest.raises(ValueError, match="No person"):
        profile_from_references([], key="k", name="N")
