"""Each pipeline's one job, and the stats it counts, without a crawl."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from qacrawler.crawl import settings as project_settings
from qacrawler.crawl.logformatter import PrivateLogFormatter
from qacrawler.crawl.pipelines.coverage import FieldCoveragePipeline
from qacrawler.crawl.pipelines.dedupe import DedupePipeline
from qacrawler.crawl.pipelines.parquet import ParquetWriterPipeline
from qacrawler.crawl.pipelines.privacy import PrivacyPipeline
from qacrawler.crawl.pipelines.taxonomy import SpecialtyCoveragePipeline
from qacrawler.crawl.pipelines.validate import ValidatePipeline
from qacrawler.dataset.files import AtomicParquetFile, hidden_temp_name, record_file_schema, run_files
from qacrawler.dataset.schema import arrow_schema
from qacrawler.page.privacy import mask_record
from qacrawler.page.records import QARecord, Reject, UnchangedFetch, content_hash
from qacrawler.page.sites.build import build_record
from qacrawler.page.sites.registry import get_site

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def record(source_id: str = "1001", year: int = 2018, **fields) -> QARecord:
    values = dict(
        title="Twitching eyelid?",
        question="My eyelid twitches.\nShould I worry?",
        asker={"name": "KEVIN", "gender": "female", "age_min": 30, "age_max": 39},
        ask_date=date(year, 3, 8),
        reply_date=date(year, 3, 8),
        department="Neurology",
        doctor={"name": "Jiang Junyi"},
        answer="Hello: usually benign.",
    )
    values.update(fields)
    return build_record(site=get_site("doctorqna"), source_id=source_id,
                        url=f"https://doctorqna.com/en/article/{source_id}", crawled_at=NOW, **values)


PROJECT_SETTINGS = {name: value for name, value in vars(project_settings).items()
                    if name.isupper() and name != "SPIDER_MODULES"}


def crawler_for(tmp_path: Path, **settings):
    return get_crawler(Spider, {**PROJECT_SETTINGS, "QA_OUTPUT_DIR": str(tmp_path),
                                "QA_RUN_ID": "20261127T080000Z-abc123", **settings})


def test_validate_passes_a_complete_record(tmp_path):
    crawler = crawler_for(tmp_path)
    item = record()
    assert ValidatePipeline.from_crawler(crawler).process_item(item) is item
    assert crawler.stats.get_value("validate/passed") == 1


def test_an_faq_pair_is_held_to_title_question_and_answer_and_left_out_of_coverage(tmp_path):
    crawler = crawler_for(tmp_path)
    pair = record(source_id="1001#2", kind="faq", asker={}, ask_date=None, reply_date=None, department=None,
                  doctor={})
    assert ValidatePipeline.from_crawler(crawler).process_item(pair) is pair
    FieldCoveragePipeline.from_crawler(crawler).process_item(pair)
    assert crawler.stats.get_value("validate/passed_faq") == 1
    assert not [key for key in crawler.stats.get_stats() if key.startswith("coverage/")]
    unanswered = record(source_id="1001#3", kind="faq", answer=None, ask_date=None)
    reject = ValidatePipeline.from_crawler(crawler).process_item(unanswered)
    assert isinstance(reject, Reject) and reject.reasons == ["answer: missing"]


def test_validate_turns_missing_required_fields_into_a_reject_with_reasons(tmp_path):
    crawler = crawler_for(tmp_path)
    result = ValidatePipeline.from_crawler(crawler).process_item(
        record(answer=None, doctor={"name": None}, reply_date=None))
    assert isinstance(result, Reject)
    assert result.stage == "validate"
    assert result.reasons == ["answer: missing", "reply_date: missing", "doctor.name: missing"]
    assert result.excerpt.startswith("Twitching eyelid?\nMy eyelid twitches.")
    assert result.url == "https://doctorqna.com/en/article/1001"
    assert crawler.stats.get_value("validate/reason/answer") == 1
    assert crawler.stats.get_value("rejects/stage/validate") == 1


@pytest.mark.parametrize(("keep_names", "excerpt"), [
    (False, "[NAME] asks\nMy eyelid twitches, I am [NAME]."),
    (True, "Kevin Lin asks\nMy eyelid twitches, I am Kevin Lin."),
])
def test_a_validate_reject_excerpt_masks_the_asker_name_unless_kept(tmp_path, keep_names, excerpt):
    """Once a record is a reject the privacy stage no longer knows the asker, so validate masks the name."""
    crawler = crawler_for(tmp_path, QA_KEEP_ASKER_NAMES=keep_names)
    item = record(title="Kevin Lin asks", question="My eyelid twitches, I am Kevin Lin.",
                  asker={"name": "Kevin Lin"}, answer=None)
    result = ValidatePipeline.from_crawler(crawler).process_item(item)
    assert result.excerpt == excerpt


def test_validate_rejects_a_reply_before_the_question(tmp_path):
    crawler = crawler_for(tmp_path)
    result = ValidatePipeline.from_crawler(crawler).process_item(record(reply_date=date(2018, 3, 1)))
    assert isinstance(result, Reject)
    assert result.reasons == ["reply_date 2018-03-01 is before ask_date 2018-03-08"]


def test_privacy_removes_asker_names_unless_kept(tmp_path):
    crawler = crawler_for(tmp_path)
    cleaned = PrivacyPipeline.from_crawler(crawler).process_item(record())
    assert cleaned.asker.name is None
    assert cleaned.asker.age_min == 30
    assert crawler.stats.get_value("privacy/asker_name_removed") == 1
    kept = PrivacyPipeline.from_crawler(crawler_for(tmp_path, QA_KEEP_ASKER_NAMES=True)).process_item(record())
    assert kept.asker.name == "KEVIN"


def test_privacy_masks_identifiers_in_text_and_rehashes(tmp_path):
    crawler = crawler_for(tmp_path)
    original = record(question="Call me on 0912-345-678 or mail amy@example.com.\nI take 500mg daily since 2018/03/08.")
    cleaned = PrivacyPipeline.from_crawler(crawler).process_item(original)
    assert cleaned.question == "Call me on [PHONE] or mail [EMAIL].\nI take 500mg daily since 2018/03/08."
    assert cleaned.content_hash != original.content_hash
    assert crawler.stats.get_value("privacy/masked/PHONE") == 1
    assert crawler.stats.get_value("privacy/masked/EMAIL") == 1
    assert crawler.stats.get_value("privacy/records_masked") == 1
    untouched = PrivacyPipeline.from_crawler(crawler_for(tmp_path, QA_KEEP_ASKER_NAMES=True)).process_item(record())
    assert untouched.content_hash == record().content_hash


def test_privacy_masks_reject_excerpts_and_similar_titles(tmp_path):
    crawler = crawler_for(tmp_path)
    pipeline = PrivacyPipeline.from_crawler(crawler)
    reject = Reject(url="u", site="doctorqna", stage="parse", reasons=["no asker line"], crawled_at=NOW,
                    excerpt="Call 0912-345-678 tonight")
    assert pipeline.process_item(reject).excerpt == "Call [PHONE] tonight"
    linked = record(similar_questions=[{"url": "https://doctorqna.com/en/article/2", "title": "mail me: a@b.org"}])
    assert pipeline.process_item(linked).similar_questions[0].title == "mail me: [EMAIL]"
    assert crawler.stats.get_value("privacy/masked/PHONE") == 1


def test_taxonomy_counts_unknown_departments_by_name(tmp_path):
    crawler = crawler_for(tmp_path)
    pipeline = SpecialtyCoveragePipeline.from_crawler(crawler)
    pipeline.process_item(record(department="Underwater Medicine"))
    pipeline.process_item(record(department="Neurology"))
    assert crawler.stats.get_value("taxonomy/unknown_department/Underwater Medicine") == 1
    assert crawler.stats.get_value("taxonomy/specialty/neurology") == 1


def write_run(tmp_path: Path, items, **settings) -> ParquetWriterPipeline:
    crawler = crawler_for(tmp_path, **settings)
    writer = ParquetWriterPipeline.from_crawler(crawler)
    writer.open_spider()
    for item in items:
        writer.process_item(item)
    writer.close_spider()
    return writer


def test_writer_partitions_by_site_and_year_under_the_model_schema(tmp_path):
    write_run(tmp_path, [record("1", 2018), record("2", 2018), record("3", 2020)])
    files = sorted(path.relative_to(tmp_path).as_posix() for path in (tmp_path / "records").rglob("*.parquet"))
    assert files == [
        "records/site=doctorqna/ask_year=2018/part-20261127T080000Z-abc123-00000.parquet",
        "records/site=doctorqna/ask_year=2020/part-20261127T080000Z-abc123-00001.parquet",
    ]
    table = pq.read_table(tmp_path / files[0])
    assert table.schema.equals(record_file_schema(arrow_schema(QARecord)), check_metadata=False)
    dataset = ds.dataset(tmp_path / "records", format="parquet", partitioning="hive")
    assert dataset.to_table().column("site").to_pylist() == ["doctorqna"] * 3  # from the folder names
    assert pq.ParquetFile(tmp_path / files[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    assert table.column("ask_date").to_pylist() == [date(2018, 3, 8)] * 2


def test_writer_flushes_bounded_batches(tmp_path):
    writer = write_run(tmp_path, [record(str(n)) for n in range(7)], QA_PARQUET_BATCH_ROWS=3)
    sizes = sorted(pq.read_metadata(path).num_rows for path in (tmp_path / "records").rglob("*.parquet"))
    assert sizes == [1, 3, 3]
    assert writer.stats.get_value("parquet/records") == 7
    assert not writer.records


def test_privacy_masks_the_asker_name_in_every_text_and_counts_it(tmp_path):
    crawler = crawler_for(tmp_path)
    original = record(asker={"name": "Wang Yiting"}, answer="Hello Yiting, usually benign.\nTake care, Ms. Wang.",
                      similar_questions=[{"url": "https://doctorqna.com/en/article/2",
                                          "answer_excerpt": "Dear Wang Yiting: rest."}])
    cleaned = PrivacyPipeline.from_crawler(crawler).process_item(original)
    assert cleaned.answer == "Hello [NAME], usually benign.\nTake care, [NAME]."
    assert cleaned.similar_questions[0].answer_excerpt == "Dear [NAME]: rest."
    assert cleaned.question == original.question
    assert cleaned.content_hash == content_hash(cleaned.model_dump()) != original.content_hash
    assert crawler.stats.get_value("privacy/masked/NAME") == 3
    kept = PrivacyPipeline.from_crawler(crawler_for(tmp_path, QA_KEEP_ASKER_NAMES=True)).process_item(original)
    assert kept.answer == original.answer and kept.asker.name == "Wang Yiting"


def test_privacy_masks_every_reply_as_the_answer_and_rehashes(tmp_path):
    crawler = crawler_for(tmp_path)
    answer = "Hello Yiting, call the clinic at 02-2345-6789."
    original = record(asker={"name": "Wang Yiting"}, answer=answer, answers=[
        {"text": answer, "author_name": "Dr. Lin"},
        {"text": "Ms. Wang, mail me: amy@example.com", "author_name": "Amy"},
        {"text": "Same for me.", "author_name": "Bob"}])
    cleaned = PrivacyPipeline.from_crawler(crawler).process_item(original)
    assert cleaned.answer == cleaned.answers[0].text == "Hello [NAME], call the clinic at [PHONE]."
    assert cleaned.answers[1].text == "[NAME], mail me: [EMAIL]"
    assert cleaned.answers[2] is original.answers[2]  # nothing in it to mask
    assert [answer.author_name for answer in cleaned.answers] == ["Dr. Lin", "Amy", "Bob"]
    assert cleaned.content_hash == content_hash(cleaned.model_dump()) != original.content_hash
    # the primary answer's copy is masked once, not counted twice
    assert crawler.stats.get_value("privacy/masked/PHONE") == 1
    assert crawler.stats.get_value("privacy/masked/EMAIL") == 1
    assert crawler.stats.get_value("privacy/masked/NAME") == 2


@pytest.mark.parametrize("keep_names", [False, True])
def test_a_record_masked_where_it_was_parsed_is_counted_not_masked_again(tmp_path, keep_names):
    """The parse workers mask (qacrawler.page.pool.page_records): the pipeline's stats and row are as if it
    had masked the record itself."""
    original = record(asker={"name": "Wang Yiting"}, answer="Hello Yiting, call 02-2345-6789.")
    by_pipeline = crawler_for(tmp_path, QA_KEEP_ASKER_NAMES=keep_names)
    itself = PrivacyPipeline.from_crawler(by_pipeline).process_item(original)
    premasked = mask_record(original, keep_names)
    by_worker = crawler_for(tmp_path, QA_KEEP_ASKER_NAMES=keep_names)
    counted = PrivacyPipeline.from_crawler(by_worker).process_item(premasked)
    assert counted is premasked
    assert counted == itself and counted.model_dump() == itself.model_dump()
    privacy = {name: value for name, value in by_pipeline.stats.get_stats().items() if name.startswith("privacy/")}
    assert privacy == {"privacy/masked/PHONE": 1, "privacy/records_masked": 1,
                       **({} if keep_names else {"privacy/masked/NAME": 1, "privacy/asker_name_removed": 1})}
    assert {name: value for name, value in by_worker.stats.get_stats().items() if name.startswith("privacy/")} == {
        **privacy, "privacy/masked_when_parsed": 1}


def test_a_record_masked_under_another_names_policy_is_masked_again(tmp_path):
    original = record(asker={"name": "Wang Yiting"}, answer="Hello Yiting.")
    crawler = crawler_for(tmp_path)  # names are removed
    cleaned = PrivacyPipeline.from_crawler(crawler).process_item(mask_record(original, keep_names=True))
    assert cleaned.asker.name is None and cleaned.answer == "Hello [NAME]."
    assert crawler.stats.get_value("privacy/masked_when_parsed") is None
    assert crawler.stats.get_value("privacy/asker_name_removed") == 1


@pytest.mark.parametrize(("author", "removed"), [
    ("Wang Yiting", True), ("yiting wang", True), ("Ms. Wang", True), ("Dr. Wang", False), ("Amy", False)])
def test_privacy_removes_the_asker_as_a_reply_author_unless_names_are_kept(tmp_path, author, removed):
    crawler = crawler_for(tmp_path)
    original = record(asker={"name": "Wang Yiting"}, answers=[
        {"text": "Hello: usually benign.", "author_name": "Dr. Lin", "author_url": "https://doctorqna.com/u/1"},
        {"text": "Thanks, it stopped.", "author_name": author, "author_url": "https://doctorqna.com/u/2"}])
    cleaned = PrivacyPipeline.from_crawler(crawler).process_item(original)
    assert cleaned.answers[0] == original.answers[0]
    expected = (None, None) if removed else (author, "https://doctorqna.com/u/2")
    assert (cleaned.answers[1].author_name, cleaned.answers[1].author_url) == expected
    assert cleaned.answers[1].text == "Thanks, it stopped."
    assert cleaned.content_hash == original.content_hash  # an author is no part of the hash
    assert crawler.stats.get_value("privacy/answer_author_removed") == (1 if removed else None)
    kept = PrivacyPipeline.from_crawler(crawler_for(tmp_path, QA_KEEP_ASKER_NAMES=True)).process_item(original)
    assert kept.answers == original.answers


@pytest.mark.parametrize(("site", "excerpt", "masked"), [
    ("tw_ehospital", "#76 頭痛 發問者：周建宏／男／30~39歲, 2016/03/04 醫師您好 周建宏您好：請多休息",
     "#76 頭痛 發問者：[NAME]／男／30~39歲, 2016/03/04 醫師您好 [NAME]您好：請多休息"),
    ("tw_ehospital", "#101 頭痛 JJ／女／70~79歲,2012/11/17 提問： 我今年74歲 Q&A",
     "#101 頭痛 [NAME]／女／70~79歲,2012/11/17 提問： 我今年74歲 Q&A"),
    ("doctorqna", "Headache Is it serious? Thank you! Wang Yiting, 30~39 year old female. Ask Date: 2018/03/08 "
     "Dr. Lin reply Neurology Hello Yiting, rest.",
     "Headache Is it serious? Thank you! [NAME], 30~39 year old female. Ask Date: 2018/03/08 "
     "Dr. Lin reply Neurology Hello [NAME], rest."),
    ("doctorqna", "Help me Ms. Tseng, 40~49 years old female. Ask Date:", "[NAME], 40~49 years old female. Ask Date:"),
    ("doctorqna", "My son, 5 years old, coughs at night. Call 0912-345-678",
     "My son, 5 years old, coughs at night. Call [PHONE]"),
], ids=["tw-prefixed-asker-line", "tw-suffixed-asker-line-short-name", "doctorqna-asker-line",
        "doctorqna-name-start-not-marked", "doctorqna-age-in-question-is-no-asker-line"])
def test_privacy_masks_names_of_the_asker_lines_in_reject_excerpts(tmp_path, site, excerpt, masked):
    crawler = crawler_for(tmp_path)
    reject = Reject(url="u", site=site, stage="parse", reasons=["cut short"], crawled_at=NOW, excerpt=excerpt)
    assert PrivacyPipeline.from_crawler(crawler).process_item(reject).excerpt == masked
    kept = PrivacyPipeline.from_crawler(crawler_for(tmp_path, QA_KEEP_ASKER_NAMES=True)).process_item(reject)
    assert "[NAME]" not in kept.excerpt


def test_log_lines_name_items_without_their_texts(tmp_path):
    crawler = crawler_for(tmp_path)
    spider = Spider("s")
    spider.crawler = crawler
    item = record(question="Call 0912-345-678", asker={"name": "KEVIN"})
    formatter = PrivateLogFormatter.from_crawler(crawler)
    lines = [formatter.scraped(item, None, spider), formatter.dropped(item, DropItem("duplicate"), None, spider),
             formatter.item_error(item, ValueError("x"), None, spider)]
    for line in lines:
        text = line["msg"] % line["args"]
        assert "doctorqna:1001" in text and "KEVIN" not in text and "0912" not in text, text
    reject = Reject(url="u", site="doctorqna", stage="parse", reasons=["r"], crawled_at=NOW,
                    excerpt="KEVIN, 30 years old")
    assert "KEVIN" not in (line := formatter.dropped(reject, DropItem("x"), None, spider))["msg"] % line["args"]


def test_writer_puts_rejects_in_one_file_per_run(tmp_path):
    reject = Reject(url="https://doctorqna.com/en/article/9", site="doctorqna", stage="parse",
                    reasons=["no asker line"], crawled_at=NOW)
    write_run(tmp_path, [reject, reject.model_copy(update={"url": "u2"}), reject], QA_PARQUET_BATCH_ROWS=2)
    table = pq.read_table(tmp_path / "rejects" / "part-20261127T080000Z-abc123.parquet")
    assert table.num_rows == 3
    assert table.column("reasons").to_pylist()[0] == ["no asker line"]
    assert [path.name for path in run_files(tmp_path, "20261127T080000Z-abc123")] == [
        "part-20261127T080000Z-abc123.parquet"]


def test_writer_puts_unchanged_fetches_in_one_file_per_run_beside_the_records(tmp_path):
    fetch = UnchangedFetch(record_id="doctorqna:1", site="doctorqna", source_lastmod="2026-11-27", crawled_at=NOW)
    write_run(tmp_path, [record("1"), fetch, fetch.model_copy(update={"record_id": "doctorqna:2"})])
    table = pq.read_table(tmp_path / "unchanged" / "part-20261127T080000Z-abc123.parquet")
    assert table.column("record_id").to_pylist() == ["doctorqna:1", "doctorqna:2"]
    assert table.column("source_lastmod").to_pylist() == ["2026-11-27"] * 2
    assert not list((tmp_path / "records").rglob("*unchanged*"))  # readers of records/ never see them
    assert "unchanged/part-20261127T080000Z-abc123.parquet" in [
        path.relative_to(tmp_path).as_posix() for path in run_files(tmp_path, "20261127T080000Z-abc123")]


def test_dedupe_turns_versions_already_in_the_dataset_or_the_run_into_unchanged_fetches(tmp_path):
    write_run(tmp_path, [record("1"), record("2")])
    crawler = crawler_for(tmp_path)
    crawler.spider = Spider(name="doctorqna", site=get_site("doctorqna"))  # whose site's versions are read
    dedupe = DedupePipeline.from_crawler(crawler)
    dedupe.open_spider()
    refetched = record("1", source_lastmod="2026-11-27")
    assert dedupe.process_item(refetched) == UnchangedFetch(
        record_id="doctorqna:1", site="doctorqna", source_lastmod="2026-11-27", crawled_at=NOW)
    edited = record("1", answer="Hello: see a neurologist.")
    assert dedupe.process_item(edited) is edited  # an edit is a new version
    assert isinstance(dedupe.process_item(edited), UnchangedFetch)
    assert crawler.stats.get_value("dedupe/duplicate") == 2
    assert crawler.stats.get_value("dedupe/versions_in_dataset_at_start") == 2


def test_an_unfinished_file_is_hidden_and_an_aborted_one_removed(tmp_path):
    final = tmp_path / "records" / "site=doctorqna" / "ask_year=2018" / "part-x-00000.parquet"
    file = AtomicParquetFile(final, arrow_schema(QARecord))
    assert hidden_temp_name(final).exists() and not final.exists()
    assert ds.dataset(tmp_path / "records", format="parquet").files == []  # readers skip hidden files
    file.abort()
    assert not hidden_temp_name(final).exists()
    with pytest.raises(RuntimeError), AtomicParquetFile(final, arrow_schema(QARecord)):
        raise RuntimeError("crash while writing")
    assert list(final.parent.iterdir()) == []


def test_privacy_masks_the_asker_name_in_an_adoctor_reject_excerpt(tmp_path):
    pipeline = PrivacyPipeline.from_crawler(crawler_for(tmp_path))
    reject = Reject(url="u", site="adoctor", stage="parse", reasons=["no reply header after 王,小美's question"],
                    crawled_at=NOW, excerpt="肚子痛怎麼辦？謝謝醫師！王,小美,20~29歲女性,詢問日期:2020/01/01 回答")
    masked = pipeline.process_item(reject)
    assert masked.excerpt == "肚子痛怎麼辦？謝謝醫師！[NAME],20~29歲女性,詢問日期:2020/01/01 回答"
    assert masked.reasons == ["no reply header after [NAME]'s question"]
