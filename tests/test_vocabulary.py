"""The planners' words for the result's codes: one table per kind, complete in both languages."""

from __future__ import annotations

import re

import pytest

from quota_sim import vocabulary

TABLES = {
    "QUOTA_NAMES": vocabulary.QUOTA_NAMES,
    "UNITS": vocabulary.UNITS,
    "STATUSES": vocabulary.STATUSES,
    "SHORT_STATUSES": vocabulary.SHORT_STATUSES,
    "METHODS": vocabulary.METHODS,
    "MARGINAL_STATUSES": vocabulary.MARGINAL_STATUSES,
    "LAND_CLASSES": vocabulary.LAND_CLASSES,
    "SOURCE_NAMES": vocabulary.SOURCE_NAMES,
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_code_has_chinese_and_english_words(name):
    for code, (zh, en) in TABLES[name].items():
        assert zh.strip() and en.strip(), (name, code)
        assert re.search(r"[\u4e00-\u9fff]", zh), f"{name}[{code}] has no Chinese word: {zh!r}"
        assert not re.search(r"[\u4e00-\u9fff]", en.replace("亩均", "")), f"{name}[{code}] English: {en!r}"
        assert "(" not in zh and ")" not in zh, f"{name}[{code}]: Chinese text takes full-width brackets"


def test_labels_pick_the_language_and_keep_unknown_codes():
    assert vocabulary.status_label("locked_out", "zh") == "锁定排除"
    assert vocabulary.status_label("locked_out", "en") == "Locked out"
    assert vocabulary.status_label("feasible", "zh", short=True) == "可行"
    assert vocabulary.unit_label("tce", "zh") == "吨标准煤"
    assert vocabulary.unit_label("tce", "en") == "tce"
    assert vocabulary.land_class_label("public_forest", "zh") == "公益林地"
    assert vocabulary.source_label("linkage", "en") == "linkage surplus quota"
    assert vocabulary.quota_label("odour", "zh", name="异味") == "异味"
    assert vocabulary.quota_label("odour", "en", name="异味") == "odour"
    for label in (vocabulary.status_label, vocabulary.unit_label, vocabulary.method_label,
                  vocabulary.marginal_status_label, vocabulary.land_class_label, vocabulary.source_label):
        assert label("mystery", "zh") == label("mystery", "en") == "mystery"
