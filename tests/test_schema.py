"""The pydantic models are the one source of truth: checked-in schemas and docs must match them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from qacrawler.dataset.schema import FIELD_TABLE_END, FIELD_TABLE_START, arrow_schema, field_table, render_schema_files
from qacrawler.page.records import QARecord

ROOT = Path(__file__).resolve().parents[1]


def test_checked_in_json_schemas_match_the_models():
    for name, text in render_schema_files().items():
        path = ROOT / "schemas" / name
        assert path.exists(), f"{path} missing: run `make schema`"
        assert json.loads(path.read_text("utf-8")) == json.loads(text), f"{path} is stale: run `make schema`"


def test_readme_field_table_matches_the_model():
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme[readme.index(FIELD_TABLE_START) + len(FIELD_TABLE_START): readme.index(FIELD_TABLE_END)]
    assert table.strip() == field_table(), "README field table is stale: run `make schema`"


def test_every_model_field_is_in_the_field_table():
    table = field_table()
    for name in QARecord.model_fields:
        assert f"| `{name}` |" in table


def test_arrow_schema_types():
    schema = arrow_schema(QARecord)
    assert schema.names == list(QARecord.model_fields)
    assert schema.field("ask_date").type == pa.date32()
    assert schema.field("reply_date").type == pa.date32()
    assert schema.field("crawled_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("view_count").type == pa.int64()
    assert pa.types.is_struct(schema.field("asker").type)
    assert schema.field("asker").type.field("age_min").type == pa.int64()
    assert pa.types.is_struct(schema.field("doctor").type)
    for name in ("similar_questions", "related_faqs"):
        assert pa.types.is_list(schema.field(name).type)
        assert pa.types.is_struct(schema.field(name).type.value_type)
    assert schema.field("categories").type == pa.list_(pa.string())
    assert not schema.field("record_id").nullable
    assert schema.field("answer").nullable
