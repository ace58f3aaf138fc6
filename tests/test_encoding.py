"""Strict page decoding (qacrawler.page.sites.encoding): which charset wins, Big5 as CP950 + HKSCS, refusal of
undecodable bytes with their offset, and the punctuation Big5 decoders disagree on."""

from __future__ import annotations

import unicodedata

import pytest

from qacrawler.page.sites.encoding import (
    BIG5_VARIANTS,
    UndecodablePage,
    charset_from_content_type,
    charset_from_meta,
    decode_html,
    normalise_punctuation,
    text_codec,
)
from qacrawler.page.sites.errors import NotAnArticle

TEXT = "發問者：陳小姐／女／30~39歲"
CP950 = TEXT.encode("cp950")
UTF8 = TEXT.encode("utf-8")


def html(body: bytes, meta: str = "") -> bytes:
    return b"<html><head>" + meta.encode("ascii") + b"</head><body><p>" + body + b"</p></body></html>"


def body_of(text: str) -> str:
    return text.split("<p>", 1)[1].split("</p>", 1)[0]


# --- which charset ------------------------------------------------------------------------------


def test_the_header_charset_decodes_the_page():
    assert body_of(decode_html(html(CP950), "text/html; charset=big5")) == TEXT
    assert body_of(decode_html(html(UTF8), 'text/html; charset="UTF-8"', default="cp950")) == TEXT


NO_CHARSET_LABELS = ["hex", "base64", "zlib", "rot13", "bz2", "uu", "quopri", "undefined", "x-user-defined", "",
                     "idna", "punycode", "unicode_escape", "utf-7", "x" * 10_000, "ünïcödé", "a\x00b", "mbcs"]


@pytest.mark.parametrize("label", NO_CHARSET_LABELS, ids=lambda label: repr(label[:12]))
def test_labels_of_no_text_charset_are_ignored_in_header_and_meta(label):
    """Bytes-to-bytes codecs, text transforms, unknown and junk labels: the next source decides."""
    assert text_codec(label) is None
    assert body_of(decode_html(html(CP950), f"text/html; charset={label}", default="cp950")) == TEXT
    page = html(UTF8).replace(b"<head>", f'<head><meta charset="{label}">'.encode())
    assert body_of(decode_html(page, None)) == TEXT
    assert body_of(decode_html(html(CP950, '<meta charset="big5">'), f"text/html; charset={label}")) == TEXT


def test_real_charset_labels_still_name_their_codec():
    assert [text_codec(label) for label in ("UTF-8", " big5 ", "latin-1", "utf-16", "big5-hkscs")] == [
        "utf-8", "cp950", "iso8859-1", "utf-16", "big5hkscs"]


def test_the_header_wins_over_the_meta():
    page = html(CP950, '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">')
    assert body_of(decode_html(page, "text/html; charset=big5")) == TEXT  # meta would fail: header first


def test_a_wrong_header_falls_back_to_the_meta_rather_than_failing():
    page = html(CP950, '<meta charset="big5">')
    assert body_of(decode_html(page, "text/html; charset=utf-8")) == TEXT


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="big5">',
        "<meta charset=BIG5>",
        '<meta http-equiv="Content-Type" content="text/html; charset=big5">',
        "<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=x-x-big5'>",
        '<meta charset="cp950">',
        '<meta charset="windows-950">',
    ],
)
def test_a_meta_charset_decodes_the_page_without_a_header_charset(meta):
    assert body_of(decode_html(html(CP950, meta), "text/html")) == TEXT
    assert body_of(decode_html(html(CP950, meta))) == TEXT  # default utf-8 never tried: the page declares


def test_a_utf8_page_that_says_so_decodes_as_utf8_whatever_the_default():
    page = html(UTF8, '<meta charset="utf-8">')
    assert body_of(decode_html(page, "text/html", default="cp950", fallbacks=("big5hkscs",))) == TEXT
    assert body_of(decode_html(html(UTF8), "text/html; charset=utf-8", default="cp950")) == TEXT


def test_an_xml_declaration_names_the_charset():
    page = b'<?xml version="1.0" encoding="big5"?>' + html(CP950)
    assert body_of(decode_html(page)) == TEXT


def test_nothing_declared_tries_the_default_then_each_fallback():
    assert body_of(decode_html(html(CP950), "text/html", default="cp950")) == TEXT
    assert body_of(decode_html(html(UTF8), "text/html", default="cp950", fallbacks=("big5hkscs", "utf-8"))) == TEXT
    assert body_of(decode_html(html(CP950), None, default="utf-8", fallbacks=("cp950",))) == TEXT


def test_a_byte_order_mark_wins():
    assert body_of(decode_html(b"\xef\xbb\xbf" + html(UTF8), "text/html; charset=big5")) == TEXT
    assert decode_html("<p>x</p>".encode("utf-16"), "text/html; charset=big5") == "<p>x</p>"  # BOM + UTF-16


def test_unknown_charset_labels_are_ignored():
    page = html(CP950, '<meta charset="klingon">')
    assert body_of(decode_html(page, "text/html; charset=x-unknown", default="cp950")) == TEXT


def test_a_meta_past_the_scanned_head_is_not_read():
    page = b"<html><head>" + b" " * 5000 + b'<meta charset="utf-8"></head><body><p>' + CP950 + b"</p></body></html>"
    assert charset_from_meta(page) is None
    assert body_of(decode_html(page, default="cp950")) == TEXT


@pytest.mark.parametrize(
    ("header", "charset"),
    [
        ("text/html; charset=big5", "big5"),
        ("text/html;charset=BIG5", "big5"),
        ('text/html; charset="Big5"; foo=bar', "big5"),
        (b"text/html; charset=utf-8", "utf-8"),
        ("text/html", None),
        ("", None),
        (None, None),
    ],
)
def test_charset_from_content_type(header, charset):
    assert charset_from_content_type(header) == charset


def test_text_is_returned_as_is_and_empty_bytes_decode_to_nothing():
    assert decode_html("&#22531; ∕", "text/html; charset=big5") == "&#22531; ∕"
    assert decode_html(b"", "text/html; charset=big5") == ""


def test_numeric_entities_are_left_to_the_html_parser():
    assert decode_html(b"<p>&#22531;&#134071;</p>", default="cp950") == "<p>&#22531;&#134071;</p>"


# --- Big5 as a superset ---------------------------------------------------------------------------


def test_big5_decodes_as_cp950_so_eten_extension_characters_decode():
    data = "裏碁銹恒€".encode("cp950")  # F9D6-F9DC ETEN extensions and the euro sign: not in plain Big5
    with pytest.raises(UnicodeDecodeError):
        data.decode("big5")
    assert decode_html(data, "text/html; charset=big5") == "裏碁銹恒€"


def test_pairs_cp950_lacks_are_read_as_big5_hkscs():
    data = "大".encode("cp950") + "堃".encode("big5hkscs") + "𨋢".encode("big5hkscs") + "／".encode("cp950")
    assert decode_html(data, "text/html; charset=big5") == "大堃𨋢／"
    assert decode_html(data, "text/html; charset=big5-hkscs") == "大堃𨋢／"
    assert decode_html(data, default="cp950") == "大堃𨋢／"


# --- refusal ----------------------------------------------------------------------------------------


def test_undecodable_bytes_raise_with_their_offset():
    data = "醫師您好".encode("cp950") + b"\xff\xfe" + "謝謝".encode("cp950")
    with pytest.raises(UndecodablePage) as raised:
        decode_html(data, "text/html; charset=big5")
    error = raised.value
    assert isinstance(error, NotAnArticle)
    assert (error.offset, error.encoding) == (8, "cp950")
    assert error.reason.startswith("bytes at offset 8 do not decode as cp950")
    assert "ff fe" in error.reason


def test_a_lead_byte_with_a_bad_trail_byte_is_refused_not_guessed():
    with pytest.raises(UndecodablePage, match="offset 2 do not decode as cp950"):
        decode_html(b"ab\xa1\x30cd", "text/html; charset=big5")
    with pytest.raises(UndecodablePage, match="offset 2 do not decode as cp950"):
        decode_html(b"ab\xa1", "text/html; charset=big5")  # cut inside a character


def test_every_candidate_is_named_when_none_decodes():
    data = "中文".encode("cp950") + "😢".encode()
    with pytest.raises(UndecodablePage) as raised:
        decode_html(data, default="cp950", fallbacks=("big5hkscs", "utf-8"))
    assert raised.value.offset == 4 and raised.value.encoding == "cp950"
    assert "as cp950" in raised.value.reason and "as big5hkscs" in raised.value.reason
    assert "offset 0 do not decode as utf-8" in raised.value.reason


def test_invalid_utf8_in_a_utf8_page_is_refused():
    with pytest.raises(UndecodablePage, match="offset 3 do not decode as utf-8"):
        decode_html(b"abc\xe4\xb8", "text/html; charset=utf-8")


def test_a_declared_charset_that_fails_is_not_replaced_by_a_guess():
    with pytest.raises(UndecodablePage, match="as cp950"):
        decode_html(UTF8 + b"\xff", "text/html; charset=big5", default="utf-8")


# --- punctuation ----------------------------------------------------------------------------------


def _big5_codes() -> list[bytes]:
    trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    return [bytes((lead, trail)) for lead in range(0x81, 0xFF) for trail in trails]


def _decode(code: bytes, encoding: str) -> str | None:
    try:
        return code.decode(encoding)
    except UnicodeDecodeError:
        return None


def test_the_variant_table_is_exactly_where_python_big5_decoders_disagree():
    """Decode every Big5 double-byte code with big5, cp950 and big5hkscs: the table maps each
    disagreement (outside the C6A1-C8FE kana/symbol block, which no decoder places as punctuation)."""
    found: dict[str, str] = {}
    for code in _big5_codes():
        if 0xC6 <= code[0] <= 0xC8:
            continue
        cp950 = _decode(code, "cp950")
        for other in ("big5", "big5hkscs"):
            text = _decode(code, other)
            if cp950 is not None and text is not None and text != cp950:
                found[text] = cp950
    slashes = {"\uff0f": "\u2215", "\uff3c": "\ufe68"}  # there the full-width (big5) form is the canonical one
    expected = {variant: target for variant, target in BIG5_VARIANTS.items() if variant not in slashes.values()}
    expected.update(slashes)
    assert found == expected


def test_big5_and_cp950_decodings_agree_after_normalisation_on_every_code():
    for code in _big5_codes():
        big5, cp950 = _decode(code, "big5"), _decode(code, "cp950")
        if big5 is not None and cp950 is not None:
            assert normalise_punctuation(big5) == normalise_punctuation(cp950), code.hex()


def test_the_fullwidth_slash_from_either_decoder():
    assert normalise_punctuation("陳小姐∕女∕30歲") == "陳小姐／女／30歲"
    assert b"\xa2\x41".decode("cp950") == "\u2215" and b"\xa2\x41".decode("big5") == "／"
    assert "／".encode("cp950") == b"\xa1\xfe" and b"\xa1\xfe".decode("big5") == "／"


def test_normalisation_is_idempotent_and_leaves_other_text_alone():
    text = "、·‧—～／＼￥，。！？「」『』…（）％＃＆＊＠"
    assert normalise_punctuation(text) == text
    variants = "".join(BIG5_VARIANTS)
    once = normalise_punctuation(variants)
    assert normalise_punctuation(once) == once
    assert not set(once) & set(BIG5_VARIANTS)


def test_every_canonical_form_round_trips_through_cp950():
    for canonical in set(BIG5_VARIANTS.values()):
        assert canonical.encode("cp950").decode("cp950") == canonical, unicodedata.name(canonical)
