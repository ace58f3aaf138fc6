"""`answers` of the one-reply sites and `content_hash` over them: a record with zero or one answer hashes as it did
before 0.3.0 (stored datasets must not see every record as edited), and a further answer is a new version."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

import pytest

from qacrawler.page.records import Answer, Doctor, content_hash
from tests.test_pipelines import record


def hash_before_answers(fields) -> str:
    """content_hash as 0.2.0 computed it (title, question, answer), to compare against."""
    parts = [" ".join(unicodedata.normalize("NFKC", fields.get(name) or "").split())
             for name in ("title", "question", "answer")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


BASE = {"title": "Twitching eyelid?", "question": "My eyelid twitches.", "answer": "Usually benign."}
PRIMARY = {"text": "Usually benign.", "author_name": "Dr. Lin", "date": date(2018, 3, 8)}
SECOND = {"text": "Same here, it went away after a week.", "author_name": "Amy", "upvotes": 3}

# (case, fields): fields that must hash exactly as 0.2.0 did
AS_BEFORE = [
    ("no-answers-key", BASE),
    ("unanswered", {**BASE, "answer": None, "answers": []}),
    ("answers-none", {**BASE, "answers": None}),
    ("the-answer-as-dict", {**BASE, "answers": [PRIMARY]}),
    ("the-answer-as-model", {**BASE, "answers": [Answer(**PRIMARY)]}),
    ("the-answer-spaced-otherwise", {**BASE, "answers": [{**PRIMARY, "text": "  Usually\n benign. "}]}),
    ("the-answer-in-another-unicode-form", {**BASE, "answers": [{**PRIMARY, "text": "Ｕsually benign."}]}),
]


@pytest.mark.parametrize("fields", [fields for _, fields in AS_BEFORE], ids=[case for case, _ in AS_BEFORE])
def test_zero_or_one_answer_hashes_as_before_0_3_0(fields):
    assert content_hash(fields) == hash_before_answers(BASE if fields.get("answer") else {**BASE, "answer": None})


# (case, first, second, same hash?)
VERSIONS = [
    ("a-further-answer-added", {**BASE, "answers": [PRIMARY]}, {**BASE, "answers": [PRIMARY, SECOND]}, False),
    ("a-further-answer-removed", {**BASE, "answers": [PRIMARY, SECOND]}, {**BASE, "answers": [PRIMARY]}, False),
    ("a-further-answer-edited", {**BASE, "answers": [PRIMARY, SECOND]},
     {**BASE, "answers": [PRIMARY, {**SECOND, "text": "Same here, it went away after a month."}]}, False),
    ("a-further-answer-on-an-unanswered-page", {**BASE, "answer": None},
     {**BASE, "answer": None, "answers": [SECOND]}, False),
    ("votes-author-and-date-are-no-edit", {**BASE, "answers": [PRIMARY, SECOND]},
     {**BASE, "answers": [{**PRIMARY, "author_name": None}, {**SECOND, "upvotes": 9, "date": date(2019, 1, 1)}]},
     True),
    ("dicts-or-models", {**BASE, "answers": [PRIMARY, SECOND]},
     {**BASE, "answers": [Answer(**PRIMARY), Answer(**SECOND)]}, True),
    ("whitespace-in-a-further-answer", {**BASE, "answers": [PRIMARY, SECOND]},
     {**BASE, "answers": [PRIMARY, {**SECOND, "text": "Same here,\n\nit went away after a week. "}]}, True),
]


@pytest.mark.parametrize(("first", "second", "same"), [case[1:] for case in VERSIONS],
                         ids=[case[0] for case in VERSIONS])
def test_further_answers_make_a_new_version(first, second, same):
    assert (content_hash(first) == content_hash(second)) is same


def test_a_records_model_dump_hashes_as_its_parsers_fields():
    item = record(answers=[PRIMARY, SECOND])
    assert item.content_hash == content_hash(item.model_dump()) != record().content_hash
    assert record().content_hash == content_hash(record().model_dump()) == hash_before_answers(record().model_dump())


def test_a_one_reply_site_fills_answers_with_its_reply():
    item = record()
    assert item.answers == [Answer(text="Hello: usually benign.", author_name="Jiang Junyi", date=date(2018, 3, 8),
                                   upvotes=None, accepted=None)]
    assert item.kind == "question"


def test_an_unanswered_page_has_no_answers():
    assert record(answer=None, doctor={}, reply_date=None).answers == []
    assert record(answer="   ").answers == []


def test_the_doctor_may_come_as_a_model_and_given_answers_are_kept():
    assert record(doctor=Doctor(name="Dr. Wu")).answers[0].author_name == "Dr. Wu"
    assert record(doctor={}).answers[0].author_name is None
    given = record(answers=[PRIMARY, SECOND])
    assert [answer.text for answer in given.answers] == [PRIMARY["text"], SECOND["text"]]
    assert given.answers[1].upvotes == 3


def test_a_bad_reply_is_refused_with_its_place():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"answers\.1\.upvotes"):
        record(answers=[PRIMARY, {**SECOND, "upvotes": -1}])
    # what a parser should not pass is the record's validation error, not a crash of the hash before it
    for answers in (["just a text"], [{"text": 7}], {"text": "a reply"}, [None]):
        with pytest.raises(ValidationError, match=r"answers"):
            record(answers=answers)
    with pytest.raises(ValidationError, match=r"doctor"):
        record(doctor="Dr. Wu")
