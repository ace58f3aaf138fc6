"""The QAPage parser on what real sites do that the fixture folders do not show one by one: odd JSON-LD, lists
where one value was expected, dates in every form, hostile sizes, the site file's rules. Every field of the
fixture pages is asserted by tests/test_fixtures.py; these pages are small and written here."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from qacrawler.page.records import QARecord
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.page_text import MAX_PAGE_BYTES
from qacrawler.page.sites.qapage import FAQ_REFUSAL, FieldRule, QAPageParser, plain_text
from tests.fixture_cases import FIXTURES_ROOT
from tests.qapage_site import qapage_site

URL = "https://askadoctor.lakesidehealth.org/questions/7"
CRAWLED_AT = datetime(2025, 1, 2, tzinfo=UTC)


def json_ld(block: Any) -> str:
    """A block as sites write it: "<" escaped, so a "</script>" in a text cannot end it; non-ASCII as is."""
    return json.dumps(block, ensure_ascii=False).replace("<", "\\u003c")


def page(*blocks: Any, body: str = "<p>page</p>", raw: tuple[str, ...] = ()) -> str:
    scripts = [f'<script type="application/ld+json">{text}</script>' for text in (*map(json_ld, blocks), *raw)]
    return f"<!DOCTYPE html><html><head>{''.join(scripts)}</head><body>{body}</body></html>"


def question(**fields: Any) -> dict[str, Any]:
    return {"@type": "Question", "name": "Sore throat", "text": "It hurts to swallow.", **fields}


def qapage(entity: Any, **fields: Any) -> dict[str, Any]:
    return {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": entity, **fields}


def answer(text: str, **fields: Any) -> dict[str, Any]:
    return {"@type": "Answer", "text": text, **fields}


def parse(html: str | bytes, parser: QAPageParser | None = None, url: str = URL, **kwargs: Any) -> QARecord:
    result = qapage_site("qapage", parser or QAPageParser()).parse(html, url, crawled_at=CRAWLED_AT, **kwargs)
    assert isinstance(result, QARecord)
    return result


def refusal(html: str | bytes, parser: QAPageParser | None = None, url: str = URL) -> str:
    with pytest.raises(NotAnArticle) as raised:
        qapage_site("qapage", parser or QAPageParser()).parse(html, url, crawled_at=CRAWLED_AT)
    return raised.value.reason


# --- JSON-LD as sites write it -----------------------------------------------------------------


def test_type_as_a_list_with_other_vocabularies_and_main_entity_as_a_list():
    html = page({"@context": {"@vocab": "http://schema.org/"}, "@type": ["WebPage", "schema:QAPage"],
                 "mainEntity": [{"@type": "Thing", "name": "x"}, question()]})
    assert parse(html).title == "Sore throat"


def test_main_entity_by_reference_inside_a_graph():
    html = page({"@context": "https://schema.org", "@graph": [
        {"@type": "QAPage", "mainEntity": {"@id": "#q"}},
        {"@id": "#q", **question(author={"@id": "#p"})},
        {"@id": "#p", "@type": "Person", "name": "Lee"},
    ]})
    record = parse(html)
    assert (record.title, record.asker.name) == ("Sore throat", "Lee")


def test_a_reference_cycle_ends():
    html = page({"@graph": [
        qapage({"@id": "#q"}),
        {"@id": "#q", **question(author={"@id": "#p"})},
        {"@id": "#p", "@type": "Person", "name": "Lee", "knows": {"@id": "#p"}, "subjectOf": {"@id": "#q"}},
    ]})
    assert parse(html).asker.name == "Lee"


def test_a_qapage_without_main_entity_takes_the_question_beside_it():
    html = page({"@graph": [{"@type": "QAPage", "name": "Sore throat"}, question()]})
    assert parse(html).question == "It hurts to swallow."


def test_one_broken_block_is_skipped_and_the_good_one_read():
    html = page(qapage(question()), raw=('{"@type": "Organization", "name": "x" "url": 1}',))
    assert parse(html).title == "Sore throat"


@pytest.mark.parametrize("text", [
    '<!--\n{"@type": "QAPage", "mainEntity": {"@type": "Question", "name": "A", "text": "B",}}\n-->',
    '//<![CDATA[\n{"@type": "QAPage", "mainEntity": {"@type": "Question", "name": "A", "text": "B"}}\n//]]>',
    '{"@type": "QAPage", "mainEntity": {"@type": "Question", "name": "A", "text": "B\nC"}}',
    '{"@type": "QAPage", "mainEntity": {"@type": "Question", "name": "A,}", "text": "B",},}',
])
def test_usual_json_mistakes_are_repaired(text):
    record = parse(page(raw=(text,)))
    assert record.title in ("A", "A,}") and record.question in ("B", "B\nC")


def test_a_page_of_only_broken_blocks_says_so():
    assert refusal(page(raw=("{", "[1,"))) == ("no schema.org structured data (json-ld, microdata); "
                                               "2 JSON-LD block(s) not JSON")


def test_json_nested_beyond_recursion_is_refused_not_crashed():
    assert "not JSON" in refusal(page(raw=("[" * 100_000,)))


def test_values_nested_very_deep_are_cut_not_recursed():
    nested = '{"@type": "Thing", "about": ' * 500 + '{"name": "deep"}' + "}" * 500
    entity = ('{"@type": "QAPage", "mainEntity": {"@type": "Question", "name": "A", "text": "B", '
              f'"about": [{nested}, {{"@type": "Thing", "name": "ENT"}}]}}}}')
    assert parse(page(raw=(entity,))).categories == ["ENT"]


def test_two_questions_are_a_listing():
    html = page(qapage(question(name="A")), qapage(question(name="B")))
    assert refusal(html) == "2 QAPage questions: a listing, not one question"


def test_the_same_question_in_json_ld_and_microdata_is_one_and_json_ld_wins():
    microdata = ('<div itemscope itemtype="https://schema.org/QAPage"><div itemprop="mainEntity" itemscope '
                 'itemtype="https://schema.org/Question"><h1 itemprop="name">Microdata title</h1>'
                 '<div itemprop="text">Body</div></div></div>')
    assert parse(page(qapage(question()), body=microdata)).title == "Sore throat"
    assert parse(page(body=microdata)).title == "Microdata title"


def test_a_malformed_link_in_microdata_is_no_value_and_the_page_is_read():
    body = ('<div itemscope itemtype="https://schema.org/QAPage"><div itemprop="mainEntity" itemscope '
            'itemtype="https://schema.org/Question"><h1 itemprop="name">T</h1><div itemprop="text">Q</div>'
            '<div itemprop="suggestedAnswer" itemscope itemtype="https://schema.org/Answer"><p itemprop="text">A</p>'
            '<span itemprop="author" itemscope itemtype="https://schema.org/Person"><a itemprop="url" '
            'href="http://[::1"><span itemprop="name">Dr. B</span></a></span></div></div></div>')
    record = parse(page(body=body))
    assert [(reply.text, reply.author_name, reply.author_url) for reply in record.answers] == [("A", "Dr. B", None)]


def test_only_the_syntaxes_asked_for_are_read():
    html = (FIXTURES_ROOT / "qapage_rdfa" / "rdfa_question" / "page.html").read_bytes()
    assert refusal(html) == "no schema.org structured data (json-ld, microdata)"


def test_rdfa_blank_node_ids_never_reach_the_record():
    html = (FIXTURES_ROOT / "qapage_rdfa" / "rdfa_question" / "page.html").read_bytes()
    parser = QAPageParser(syntaxes=("rdfa",))
    url = "https://www.greenwaypractice.example.org/questions/911"
    first, second = parse(html, parser, url=url), parse(html, parser, url=url)
    assert first == second and "_:" not in first.model_dump_json()


# --- fields ------------------------------------------------------------------------------------------


def test_question_text_html_becomes_lines_with_entities_decoded():
    text = "<p>Fever &amp; chills&nbsp;since   Monday.</p><p>Line<br>break</p><ul><li>one</li></ul><script>x</script>"
    assert parse(page(qapage(question(text=text)))).question == "Fever & chills since Monday.\nLine\nbreak\none"


def test_plain_text_keeps_its_line_breaks_and_decodes_entities():
    assert plain_text("a &lt; b\n\n  c\r\nd  ") == "a < b\nc\nd"
    assert plain_text("x < y and y > z") == "x < y and y > z"  # no tag: not HTML


def test_a_question_without_text_is_refused():
    assert refusal(page(qapage(question(text="<p> </p>")))) == "QAPage question without text: nothing was asked"


@pytest.mark.parametrize(("author", "name"), [
    ("Ann", "Ann"), ({"@type": "Person", "name": "Ann"}, "Ann"), ([{"name": "Ann"}, {"name": "Bo"}], "Ann"),
    ({"@type": "Person"}, None), (7, "7"),
])
def test_asker_as_a_string_an_object_or_a_list(author, name):
    assert parse(page(qapage(question(author=author)))).asker.name == name


@pytest.mark.parametrize(("written", "zone", "day"), [
    ("2024-03-01", None, date(2024, 3, 1)),
    ("2024-03-01T23:30:00", None, date(2024, 3, 1)),  # naive: as written
    ("2024-03-01T23:30:00-05:00", "Asia/Taipei", date(2024, 3, 1)),  # its own offset, whatever the site's zone
    ("2024-03-02T03:30:00Z", None, date(2024, 3, 2)),
    ("2024-03-02T03:30:00.123Z", "America/New_York", date(2024, 3, 1)),  # UTC: the site's calendar day
    ("2024-03-02T03:30:00+00:00", "America/New_York", date(2024, 3, 1)),
    ("2024-03-02 garbage", None, date(2024, 3, 2)),
    ("2024-02-30", None, None),
    ("0001-01-01T00:00:00Z", "America/New_York", None),
    ("March 1st", None, None),
])
def test_ask_date_is_the_page_calendar_date(written, zone, day):
    assert parse(page(qapage(question(dateCreated=written))), QAPageParser(timezone=zone)).ask_date == day


def test_date_published_when_date_created_is_missing():
    assert parse(page(qapage(question(datePublished="2024-05-06")))).ask_date == date(2024, 5, 6)


def test_the_accepted_answer_even_as_a_list_and_answer_count_not_trusted():
    entity = question(answerCount=9, acceptedAnswer=[answer("Rest.", author={"name": "Dr. A"}, upvoteCount=1)],
                      suggestedAnswer=[answer("Water.", upvoteCount=50)])
    record = parse(page(qapage(entity)))
    assert (record.answer, record.doctor.name, len(record.answers)) == ("Rest.", "Dr. A", 2)
    assert [reply.accepted for reply in record.answers] == [True, False]


def test_without_an_accepted_answer_the_best_voted_then_the_first():
    voted = question(suggestedAnswer=[answer("One.", upvoteCount="2"), answer("Two.", upvoteCount="1,204")])
    assert parse(page(qapage(voted))).answer == "Two."
    unvoted = question(suggestedAnswer=[answer("One."), answer("Two.")])
    assert parse(page(qapage(unvoted))).answer == "One."


def test_an_answer_both_accepted_and_suggested_is_kept_once():
    same = answer("Rest.", author="Dr. A", dateCreated="2024-01-02")
    record = parse(page(qapage(question(acceptedAnswer=same, suggestedAnswer=[dict(same), answer("Other.")]))))
    assert [(reply.text, reply.accepted) for reply in record.answers] == [("Rest.", True), ("Other.", False)]


def test_answers_without_text_are_dropped_and_odd_votes_read_as_unknown():
    entity = question(suggestedAnswer=[answer(""), answer("Ok.", upvoteCount=-3), answer("Fine.", upvoteCount=True),
                                       answer("Two.", upvoteCount=2.0), answer("Huge.", upvoteCount=10**19),
                                       answer("Float.", upvoteCount=1e300), {"@type": "Answer"}, "a string"])
    assert [(reply.text, reply.upvotes) for reply in parse(page(qapage(entity))).answers] == [
        ("Ok.", None), ("Fine.", None), ("Two.", 2), ("Huge.", None), ("Float.", None)]


@pytest.mark.parametrize(("specialty", "department"), [
    ("Dermatology", "Dermatology"), ({"@type": "MedicalSpecialty", "name": "Cardiology"}, "Cardiology"),
    ("https://schema.org/Pulmonary", "Pulmonary"), ("http://schema.org/Gastroenterologic", "Gastroenterologic"),
    ({"@id": "https://schema.org/Oncologic"}, "Oncologic"),
])
def test_department_from_the_page_specialty_in_every_form(specialty, department):
    html = page({"@type": "MedicalWebPage", "specialty": specialty}, qapage(question()))
    assert parse(html).department == department


def test_department_from_the_answering_doctor_then_the_breadcrumb():
    doctor = {"@type": "Physician", "name": "Dr. A", "medicalSpecialty": "https://schema.org/Neurologic"}
    reviewer = {"@type": "Physician", "name": "Dr. R", "medicalSpecialty": "Surgical"}
    html = page({"@type": "MedicalWebPage", "reviewedBy": reviewer},
                qapage(question(acceptedAnswer=answer("Rest.", author=doctor))))
    assert parse(html).department == "Neurologic"
    crumbs = {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": "3", "name": "Sore throat"},
        {"@type": "ListItem", "position": 1, "name": "Home", "item": "https://askadoctor.lakesidehealth.org/"},
        {"@type": "ListItem", "position": 2, "item": {"@id": "https://askadoctor.lakesidehealth.org/c/ent",
                                                      "name": "ENT"}},
    ]}
    assert parse(page(crumbs, qapage(question()))).department == "ENT"


def test_view_count_from_a_view_or_watch_counter_only():
    likes = {"@type": "InteractionCounter", "interactionType": "https://schema.org/LikeAction",
             "userInteractionCount": 5}
    views = {"@type": "InteractionCounter", "interactionType": "http://schema.org/WatchAction",
             "userInteractionCount": "1,234"}
    assert parse(page(qapage(question(interactionStatistic=[likes, views])))).view_count == 1234
    assert parse(page(qapage(question(interactionStatistic=likes)))).view_count is None


def test_categories_from_keywords_and_about():
    entity = question(keywords=["Throat", "throat, pain"], about=[{"@type": "Thing", "name": "Tonsils"}, "Throat"])
    assert parse(page(qapage(entity))).categories == ["Throat", "throat", "pain", "Tonsils"]


# --- the site file's rules --------------------------------------------------------------------------


def test_field_rules_win_over_structured_data_and_fall_back_when_they_find_nothing():
    body = ('<ol class="crumbs"><li>Home</li><li>ENT</li><li>Sore throat</li></ol><span class="views">Viewed '
            '2,048 times</span><span class="by">  Ann  </span><a rel="tag">a</a><a rel="tag">b</a>')
    parser = QAPageParser(overrides={
        "department": FieldRule(css="ol.crumbs li:nth-last-child(2)"),
        "view_count": FieldRule(xpath="//span[@class='views']/text()"),
        "asker_name": FieldRule(css=".by"),
        "categories": FieldRule(css="a[rel=tag]"),
        "title": FieldRule(css="h1.missing"),
        "ask_date": FieldRule(xpath="string(//nothing)"),
        "question": FieldRule(css="div.q"),
    })
    body += '<div class="q"><p>Line   one</p>two<br>three</div>'
    record = parse(page(qapage(question(author="Someone", dateCreated="2024-01-01")), body=body), parser)
    assert (record.department, record.view_count, record.asker.name, record.categories) == (
        "ENT", 2048, "Ann", ["a", "b"])
    assert record.question == "Line one\ntwo\nthree"
    assert (record.title, record.ask_date) == ("Sore throat", date(2024, 1, 1))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: FieldRule(css="li:nth-child("), "is not a CSS selector"),
    (lambda: FieldRule(xpath="//li["), "is not an XPath"),
    (lambda: FieldRule(), "give one of css or xpath"),
    (lambda: FieldRule(css="a", xpath="//a"), "give one of css or xpath"),
    (lambda: QAPageParser(overrides={"answer": FieldRule(css="p")}), "fields answer: not overridable"),
    (lambda: QAPageParser(timezone="Mars/Olympus"), "is not an IANA time zone"),
    (lambda: QAPageParser(syntaxes=("json",)), "choose from json-ld, microdata, rdfa"),
])
def test_a_bad_rule_or_setting_is_refused_when_the_site_is_declared(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# --- FAQ pages, bytes, limits --------------------------------------------------------------------------


def faq(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"@type": "FAQPage", "mainEntity": [{"@type": "Question", "name": name, "acceptedAnswer": answer(text)}
                                               for name, text in pairs]}


def test_a_qapage_beside_an_faq_block_is_the_question():
    assert parse(page(faq(("Q?", "A.")), qapage(question()))).title == "Sore throat"


def test_faq_pairs_without_an_answer_are_skipped_but_keep_the_numbering():
    html = page(faq(("One?", ""), ("Two?", "Yes."), ("", "No.")))
    records = qapage_site("qapage_faq", QAPageParser(keep_faq=True)).records(html, URL, crawled_at=CRAWLED_AT)
    assert [(record.source_id, record.title, record.kind) for record in records] == [("7#2", "Two?", "faq")]
    assert refusal(html) == FAQ_REFUSAL


def test_bytes_decode_by_the_declared_charset_and_undecodable_bytes_are_refused():
    html = page(qapage(question(name="Dolor de garganta ¿qué hago?"))).encode("latin-1")
    assert parse(html, content_type="text/html; charset=iso-8859-1").title == "Dolor de garganta ¿qué hago?"
    assert "do not decode as utf-8" in refusal(html)


def test_a_page_over_the_markup_limits_is_refused_before_it_is_read():
    assert "over the parser's limit" in refusal(page(qapage(question())) + " " * MAX_PAGE_BYTES)


def test_an_empty_page_and_a_foreign_url_are_refused():
    assert refusal("") == "empty document: no markup"
    assert "does not match the article pattern" in refusal(page(qapage(question())), url=URL.replace("/7", "/x"))


# --- any JSON where a value was expected ------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["", "Answer", "Question", "QAPage", "#q", "_:b0", "https://schema.org/ViewAction", "2024-02-30",
                       "<p>x</p>", "http://[::1", "1,204", "-3"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["@type", "@id", "@value", "@graph", "name", "text", "author", "url", "dateCreated",
                         "upvoteCount", "acceptedAnswer", "suggestedAnswer", "mainEntity", "specialty",
                         "medicalSpecialty", "interactionStatistic", "interactionType", "userInteractionCount",
                         "keywords", "about", "itemListElement", "item", "position"]), children, max_size=4),
    max_leaves=12,
)
KEYS = ["@type", "@id", "mainEntity", "name", "text", "author", "dateCreated", "acceptedAnswer", "suggestedAnswer",
        "keywords", "about", "interactionStatistic", "specialty"]


@settings(derandomize=True, max_examples=300, deadline=None, database=None)
@given(st.sampled_from(KEYS), JSON, st.booleans())
def test_any_json_value_anywhere_gives_a_record_or_a_refusal(key, value, on_page):
    entity = question(acceptedAnswer=answer("Rest.", author={"name": "Dr. A"}), suggestedAnswer=[answer("Water.")])
    block = qapage(entity, specialty="ENT")
    (block if on_page else entity)[key] = value
    try:
        record = parse(page(block))
    except (NotAnArticle, ValidationError):
        return
    assert QARecord.model_validate(record.model_dump()) == record  # the record survives its own validation
