"""The evaluation script's metrics and its rule for the default mask engine: hand-made labels, no models."""

from __future__ import annotations

import pytest

from training.emoticon.evaluate import CLASSIFIER, MEASURED, confusion_matrix, default_engine, metrics

CLASSES = ("mask", "no_mask")


def test_the_confusion_matrix_has_true_classes_in_rows_and_predictions_in_columns():
    confusion = confusion_matrix([0, 0, 0, 1, 1], [0, 1, 0, 0, 1], 2)

    assert confusion.tolist() == [[2, 1], [1, 1]]


def test_metrics_on_a_hand_counted_example():
    # mask: 3 true, 2 found; no_mask: 2 true, 1 found; one no_mask called mask.
    result = metrics([0, 0, 0, 1, 1], [0, 1, 0, 0, 1], CLASSES)

    assert result["accuracy"] == pytest.approx(3 / 5)
    assert result["count"] == 5 and result["no_answer"] == 0
    assert result["confusion_matrix"] == [[2, 1], [1, 1]]
    assert result["per_class"]["mask"] == {"precision": pytest.approx(2 / 3), "recall": pytest.approx(2 / 3),
                                           "support": 3}  # fmt: skip
    assert result["per_class"]["no_mask"] == {"precision": pytest.approx(1 / 2), "recall": pytest.approx(1 / 2),
                                              "support": 2}  # fmt: skip


def test_perfect_predictions_score_one_everywhere():
    result = metrics([0, 1, 2, 2], [0, 1, 2, 2], ("a", "b", "c"))

    assert result["accuracy"] == 1.0
    assert all(stats["precision"] == stats["recall"] == 1.0 for stats in result["per_class"].values())
    assert result["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [0, 0, 2]]


def test_a_class_never_predicted_has_no_precision_and_a_class_never_present_no_recall():
    result = metrics([0, 0, 1], [0, 0, 0], ("a", "b", "c"))

    assert result["per_class"]["b"]["precision"] is None and result["per_class"]["b"]["recall"] == 0.0
    assert result["per_class"]["c"] == {"precision": None, "recall": None, "support": 0}


def test_a_missing_answer_counts_as_wrong_but_sits_in_no_column():
    result = metrics([0, 0, 1, 1], [0, None, 1, 1], CLASSES)

    assert result["accuracy"] == pytest.approx(3 / 4)
    assert result["no_answer"] == 1
    assert result["confusion_matrix"] == [[1, 0], [0, 2]]
    assert result["per_class"]["mask"]["recall"] == pytest.approx(1 / 2)
    assert result["per_class"]["mask"]["precision"] == 1.0


def test_no_labels_give_no_accuracy():
    result = metrics([], [], CLASSES)

    assert result["accuracy"] is None and result["confusion_matrix"] == [[0, 0], [0, 0]]


def test_the_clearly_more_accurate_classifier_is_the_default_despite_more_false_masks():
    engine = default_engine(classifier_accuracy=0.957, measured_accuracy=0.936, classifier_false_masks=2,
                            measured_false_masks=0)  # fmt: skip

    assert engine == CLASSIFIER


def test_the_clearly_more_accurate_measured_engine_is_the_default():
    engine = default_engine(classifier_accuracy=0.90, measured_accuracy=0.94, classifier_false_masks=0,
                            measured_false_masks=1)  # fmt: skip

    assert engine == MEASURED


def test_a_near_tie_goes_to_the_engine_with_fewer_false_masks():
    slightly_better_classifier = default_engine(classifier_accuracy=0.945, measured_accuracy=0.940,
                                                classifier_false_masks=2, measured_false_masks=0)  # fmt: skip
    slightly_better_measured = default_engine(classifier_accuracy=0.940, measured_accuracy=0.945,
                                              classifier_false_masks=0, measured_false_masks=3)  # fmt: skip

    assert slightly_better_classifier == MEASURED
    assert slightly_better_measured == CLASSIFIER


def test_an_exact_tie_goes_to_fewer_false_masks_and_then_to_the_classifier():
    fewer = default_engine(classifier_accuracy=0.95, measured_accuracy=0.95, classifier_false_masks=1,
                           measured_false_masks=0)  # fmt: skip
    same = default_engine(classifier_accuracy=0.95, measured_accuracy=0.95, classifier_false_masks=1,
                          measured_false_masks=1)  # fmt: skip

    assert fewer == MEASURED
    assert same == CLASSIFIER


def test_a_gap_of_one_point_is_no_longer_a_tie():
    engine = default_engine(classifier_accuracy=0.95, measured_accuracy=0.9399, classifier_false_masks=5,
                            measured_false_masks=0)  # fmt: skip

    assert engine == CLASSIFIER
