"""One specialty table for every site and language."""

import json
from importlib import resources

import pytest

from qacrawler.page.taxonomy import specialty_for

TW_EHOSPITAL_DEPARTMENTS = (
    "神經內科 神經外科 胸腔內科 整型外科 肝膽腸胃科 潛水醫學科 核子醫學科 心臟血管專科 乳房甲狀腺科 "
    "產後憂鬱諮詢 內科 牙科 外科 兒科 骨科 "
    "眼科 漢生病 中醫科 皮膚科 泌尿科 家醫科 高年科 婦產科 麻醉科 復健科 腫瘤科 精神科 體適能 營養教室 "
    "戒菸諮詢 藥物諮詢 流感諮詢 耳鼻喉科 "
    "罕見疾病 放射線科"
).split()

SPECIALTIES = json.loads(resources.files("qacrawler.page").joinpath("data/specialties.json").read_text("utf-8"))[
    "specialties"
]  # canonical id -> the department names that map to it


@pytest.mark.parametrize(
    ("english", "chinese", "specialty"),
    [
        ("Neurology", "神經科", "neurology"),
        ("Obstetrics and Gynecology", "婦產科", "obstetrics_gynecology"),
        ("Otolaryngology", "耳鼻喉科", "otolaryngology"),
        ("Gastroenterology and Hepatology", "胃腸肝膽科", "gastroenterology_hepatology"),
        ("Pediatrics", "小兒科", "pediatrics"),
        ("Traditional Chinese Medicine", "中醫科", "traditional_chinese_medicine"),
        ("Family Medicine", "家醫科", "family_medicine"),
        ("Cardiology", "心臟血管專科", "cardiology"),
    ],
)
def test_both_languages_map_to_one_id(english, chinese, specialty):
    assert specialty_for(english) == specialty_for(chinese) == specialty


@pytest.mark.parametrize("department", TW_EHOSPITAL_DEPARTMENTS)
def test_every_e_hospital_department_is_known(department):
    assert specialty_for(department) in SPECIALTIES


def test_matching_ignores_case_width_and_spacing():
    assert specialty_for("內　科") == "internal_medicine"  # the home page writes a full-width space
    assert specialty_for("  neurology department ") == "neurology"
    assert specialty_for("Department of Urology") == "urology"


def test_unknown_or_missing_departments_have_no_specialty():
    assert specialty_for("Underwater Basket Weaving") is None
    assert specialty_for(None) is None
    assert specialty_for("") is None


def test_no_name_maps_to_two_specialties():
    names = [name.casefold() for names in SPECIALTIES.values() for name in names]
    assert len(names) == len(set(names))
