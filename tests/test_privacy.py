"""Planted identifiers in both languages are masked; dates, doses, ages and lab values are not."""

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qacrawler import privacy
from qacrawler.privacy import PATTERNS, WITNESSES, mask_text, mask_texts


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Please write to kevin.lin88@gmail.com thanks", "Please write to [EMAIL] thanks"),
        ("信箱：wang_xm@yahoo.com.tw 謝謝", "信箱：[EMAIL] 謝謝"),
        ("my mail is amy ＠ hotmail.com", "my mail is [EMAIL]"),
        ("call me at 0912-345-678 please", "call me at [PHONE] please"),
        ("手機0912345678，晚上打", "手機[PHONE]，晚上打"),
        ("手機０９１２　３４５　６７８", "手機[PHONE]"),
        ("電話(02)2345-6789分機123", "電話[PHONE]"),
        ("office 02-2345-6789 or 07 123 4567", "office [PHONE] or [PHONE]"),
        ("international +886 912 345 678 or +1 (415) 555-0132", "international [PHONE] or [PHONE]"),
        ("身分證字號A123456789請幫我查", "身分證字號[ID]請幫我查"),
        ("resident permits FC12345678 and F812345678, not FX12345678", "resident permits [ID] and [ID], not FX12345678"),
        ("加我 LINE ID: happy_mom99 聊", "加我 [CONTACT] 聊"),
        # forms the sandboxes plant (qacrawler/sandbox/pii.py)
        ("也可以加我line：amy_chen6446聊", "也可以加我[CONTACT]聊"),
        ("我的LINE：ahui.tw7144，加我微信：wx_amy99 也行", "我的[CONTACT]，加我[CONTACT] 也行"),
        ("信箱hsu.peiling46＠pchome.com.tw，今年43歲", "信箱[EMAIL]，今年43歲"),
        ("聯絡電話（049）378-8676，手機０９１２－３４５－６７８", "聯絡電話[PHONE]，手機[PHONE]"),
        ("office 02-2345-6789 ext. 12, home 04-2234-5678轉305 or 07-123-4567 #12",
         "office [PHONE], home [PHONE] or [PHONE]"),
        ("電話(02)2345-6789 分機 12，晚上打", "電話[PHONE]，晚上打"),
        ("My ID number is E246198320, in case", "My ID number is [ID], in case"),
        ("you can reach me on line: sunny_day5515. Thanks", "you can reach me on [CONTACT]. Thanks"),
        ("Or add my LINE ID: sunny_day5515...", "Or add my [CONTACT]..."),  # a Similar Q&A excerpt's end
    ],
)
def test_identifiers_are_masked_with_typed_placeholders(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Ask Date: 2018/03/08, reply 2018-03-09",
        "民國107年3月8日 and ROC date 1040206 and 0990206",
        "Take 500mg twice a day, 每天兩次 500mg, 0.5 mg/kg",
        "今年45歲，血壓 120/80 mmHg，心跳 72",
        "HbA1c 6.5%, LDL 130 mg/dL, platelets 250000",
        "I am 30~39 years old, weight 65.5 kg, 170 cm",
        "Since 2019 I have taken 1 tablet; ICD-10 code G25.3",
        "q_no=123456 and article 208862",
        "a ratio of 1:2 at 10:30 on 3/5",
        "病歷上的日期是0991008，民國99年10月8日開始，1070308回診",
        "每天兩次 0.5 mg/kg，我是30~39歲的上班族，血壓120/80，糖化血色素 6.5%，診斷碼ICD-10 E11.9",
        "WBC 11200/uL, platelets 250000/uL, TSH 0.35 mIU/L, ICD-9 401.9, ICD-10-CM M54.5",
        "Timeline: 2019, deadline: tomorrow, baseline: 120/80 and an online: form",
    ],
)
def test_medical_text_is_left_alone(text):
    assert mask_text(text) == text


def test_counts_by_kind_and_empty_text():
    counts: Counter[str] = Counter()
    mask_text("a@b.org, 0912-345-678, 0922 333 444, A223456789", counts)
    assert counts == {"EMAIL": 1, "PHONE": 2, "ID": 1}
    assert mask_text(None) is None
    assert mask_text("") == ""


# --- the witnesses that let mask_text skip a pattern never hide a match ------------------------------

def _core(pattern: re.Pattern[str]) -> str:
    """The pattern without its lookarounds (zero-width): every match of the pattern is a full match of this."""
    return pattern.pattern.replace(privacy._NOT_BEFORE, "").replace(privacy._NOT_AFTER, "").replace(privacy._NOT_IN_WORD, "")


@pytest.mark.parametrize("index", range(len(PATTERNS)), ids=[f"{kind}-{i}" for i, (kind, _) in enumerate(PATTERNS)])
def test_every_match_holds_its_witness(index):
    _, pattern = PATTERNS[index]
    witness = WITNESSES[index]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.from_regex(_core(pattern), fullmatch=True))
    def holds(match: str) -> None:
        assert witness.search(match), match

    holds()


def test_every_pattern_has_a_witness():
    assert len(WITNESSES) == len(PATTERNS)


# --- masking a record's texts together is masking each ----------------------------------------------

_PIECES = st.sampled_from(["a@b.org", "line: mandy_09", "A123456789", "+886 2 1234 5678", "0912-345-678",
                           "(02)2345-6789", "2018/03/08", "500mg", "\n", " ", "@", ":", "0", "9", "x", "加我微信：", "\x00"])
_TEXT = st.one_of(st.none(), st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=8).map("".join))


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXT, max_size=6))
def test_mask_texts_equals_mask_text_of_each(texts):
    together, alone = Counter(), Counter()
    assert mask_texts(texts, together) == [mask_text(text, alone) for text in texts]
    assert together == alone
