"""Planted identifiers and asker names in both languages are masked; dates, doses, ages and lab values are not."""

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qacrawler.page import privacy
from qacrawler.page.privacy import PATTERNS, WITNESSES, is_name_of, mask_text, mask_texts


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
        ("resident permits FC12345678 and F812345678, not FX12345678",
         "resident permits [ID] and [ID], not FX12345678"),
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


# Real-world forms, one row each: (id, text, masked text).
REAL_WORLD_FORMS = [
    # full-width text is matched in its NFKC form and masked in the original
    ("mobile-full-width-dashes", "手機０９１２－３４５－６７８，晚上打", "手機[PHONE]，晚上打"),
    ("email-full-width", "信箱ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ謝謝", "信箱[EMAIL]謝謝"),
    ("email-full-width-at-and-dot", "amy＠gmail．com", "[EMAIL]"),
    ("landline-full-width-extension", "電話（０２）２３４５－６７８９ 分機１２", "電話[PHONE]"),
    ("id-full-width", "身分證Ａ１２３４５６７８９", "身分證[ID]"),
    ("wider-character-beside", "㎎ 0912345678 ㎏", "㎎ [PHONE] ㎏"),
    # Taiwan ID numbers, the letter in either case
    ("id-lower-case", "身分證字號a123456789請查", "身分證字號[ID]請查"),
    ("resident-id-lower-case", "居留證 fc12345678", "居留證 [ID]"),
    # every Taiwanese landline area code
    ("landline-02", "台北 02-2345-6789", "台北 [PHONE]"),
    ("landline-03", "桃園 03-456-7890", "桃園 [PHONE]"),
    ("landline-037", "苗栗 037-32-1234", "苗栗 [PHONE]"),
    ("landline-037-parentheses", "苗栗(037)321234", "苗栗[PHONE]"),
    ("landline-04", "台中 04 2234 5678", "台中 [PHONE]"),
    ("landline-049", "南投 049-2345678", "南投 [PHONE]"),
    ("landline-05", "嘉義 05-234-5678", "嘉義 [PHONE]"),
    ("landline-06", "台南(06)234-5678", "台南[PHONE]"),
    ("landline-07", "高雄 07 123 4567", "高雄 [PHONE]"),
    ("landline-08", "屏東 08-7654321", "屏東 [PHONE]"),
    ("landline-089", "台東 (089)32-1234", "台東 [PHONE]"),
    ("landline-082", "金門 082-31-2345", "金門 [PHONE]"),
    ("landline-0836", "馬祖 0836-2-2345", "馬祖 [PHONE]"),
    ("landline-0836-full-width-parentheses", "馬祖（０８３６）２２３４５", "馬祖[PHONE]"),
    ("landline-extension-hash", "office (02)2345-6789#12.", "office [PHONE]."),
    ("international-886-dashes", "+886-912-345-678", "[PHONE]"),
    ("international-886-landline", "call +886 2 2345 6789 please", "call [PHONE] please"),
    ("international-886-trunk-zero", "+886(0)912345678", "[PHONE]"),
    # messaging handles
    ("add-me-line-no-colon", "加我line amy_88聊", "[CONTACT]聊"),
    ("add-lai", "加賴 happy.mom 詳談", "[CONTACT] 詳談"),
    ("lai-colon", "賴：kevin99", "[CONTACT]"),
    ("line-id-no-colon", "line id abc_12 thanks", "[CONTACT] thanks"),
    ("line-colon-at", "LINE: @happy_mom", "[CONTACT]"),
    ("line-colon-at-no-space", "Line:@mom_chen。", "[CONTACT]。"),
    ("wechat-number", "微信號：wx_amy99", "[CONTACT]"),
    ("wechat-no-colon", "微信 wx_amy99", "[CONTACT]"),
    ("wechat-english", "WeChat ID: amy.chen88", "[CONTACT]"),
    ("add-me-on-line", "please add me on LINE @sunny_day", "please [CONTACT]"),
    ("my-line-id-is", "my line id is sunny.day", "my [CONTACT]"),
    ("whatsapp-number", "WhatsApp: +1 415 555 0132", "WhatsApp: [PHONE]"),
    # look-alikes stay as written
    ("trust-is-not-line", "信賴：醫師的建議", "信賴：醫師的建議"),
    ("depend-is-not-line", "依賴：abc123", "依賴：abc123"),
    ("line-word-is-not-a-handle", "add me on LINE and we can chat", "add me on LINE and we can chat"),
    ("line-id-required", "a line id is required", "a line id is required"),
    ("date-slashes", "2024/03/05", "2024/03/05"),
    ("date-dots", "03.05.2024 and 05.12.2024", "03.05.2024 and 05.12.2024"),
    ("date-roc", "113年3月5日", "113年3月5日"),
    ("date-roc-compact-leading-zero", "0990206、0820306、0370308", "0990206、0820306、0370308"),
    ("dose", "500mg, 0.5 mg/kg", "500mg, 0.5 mg/kg"),
    ("dose-full-width", "每天兩次 ５００ｍｇ", "每天兩次 ５００ｍｇ"),
    ("lab-hba1c", "HbA1c 6.5%", "HbA1c 6.5%"),
    ("blood-pressure", "120/80 mmHg", "120/80 mmHg"),
    ("lab-ldl", "LDL 130 mg/dL", "LDL 130 mg/dL"),
    ("time", "09:30 and 21:45", "09:30 and 21:45"),
    ("year", "since 2019", "since 2019"),
    ("range", "3~5天, 30~39歲, 2-3 weeks", "3~5天, 30~39歲, 2-3 weeks"),
]


@pytest.mark.parametrize(("text", "masked"), [row[1:] for row in REAL_WORLD_FORMS],
                         ids=[row[0] for row in REAL_WORLD_FORMS])
def test_real_world_forms(text, masked):
    assert mask_text(text) == masked


# The asker's name, one row each: (id, published name, text, masked text).
NAME_FORMS = [
    ("zh-full-name-greeting", "王小明", "王小明您好：您的問題", "[NAME]您好：您的問題"),
    ("zh-given-name-greeting", "王小明", "小明，你好。小明的狀況", "[NAME]，你好。小明的狀況"),
    ("zh-surname-title", "王小明", "王先生您好，王小姐也請注意", "[NAME]您好，[NAME]也請注意"),
    ("zh-full-name-anywhere", "陳志明", "祝 陳志明 早日康復", "祝 [NAME] 早日康復"),
    ("zh-compound-surname", "歐陽娜娜", "娜娜您好，歐陽小姐", "[NAME]您好，[NAME]"),
    ("zh-titled-name", "陳小姐", "陳小姐您好，陳先生", "[NAME]您好，陳先生"),
    ("zh-nickname-greeted-only", "小美", "小美您好，小美的問題", "[NAME]您好，小美的問題"),
    ("zh-nickname-word-left-alone", "天天", "天天頭痛，天天您好", "天天頭痛，[NAME]您好"),
    ("zh-full-width-comma-greeting", "阿明", "阿明，您好", "[NAME]，您好"),
    ("zh-placeholder-name", "網友", "網友您好：", "網友您好："),
    ("zh-one-character", "王", "王您好", "王您好"),
    ("latin-in-chinese-text", "Jerry Chen", "Jerry Chen您好：", "[NAME]您好："),
    ("en-dear-full-name", "John Smith", "Dear John Smith, thank you", "Dear [NAME], thank you"),
    ("en-hi-given-name", "John Smith", "Hi John, and Mr. Smith", "Hi [NAME], and [NAME]"),
    ("en-surname-first", "Wang Yiting", "Hello Yiting, Ms. Wang", "Hello [NAME], [NAME]"),
    ("en-words-reversed", "Chen, Mei-Ling", "Dear Mei-Ling Chen,", "Dear [NAME],"),
    ("en-titled", "Ms. Lin", "Hello Ms. Lin, hello ms lin, Mr. Lin", "Hello [NAME], hello [NAME], [NAME]"),
    ("en-title-after", "Wang, Mr.", "Hello Mr. Wang,", "Hello [NAME],"),
    ("en-one-word", "Sunny", "Hi Sunny, a sunny day. SUNNY", "Hi [NAME], a sunny day. [NAME]"),
    ("en-one-word-lower-case", "lily", "a lily flower. Hello, lily", "a lily flower. Hello, [NAME]"),
    ("en-handle", "kevin_88", "kevin_88 thanks, kevin", "[NAME] thanks, kevin"),
    ("en-full-width-name", "ｊｅｒｒｙ ｃｈｅｎ", "Hi Jerry,", "Hi [NAME],"),
    ("en-surname-alone-left", "Lin Mei", "Dr. Lin replied", "Dr. Lin replied"),
    ("en-short-name", "Q", "Q&A: Hi Q,", "Q&A: Hi Q,"),
    ("en-placeholder-name", "anonymous", "anonymous user", "anonymous user"),
    ("en-name-in-email", "Amy", "amy.chen@gmail.com, Amy", "[EMAIL], [NAME]"),
]


@pytest.mark.parametrize(("name", "text", "masked"), [row[1:] for row in NAME_FORMS],
                         ids=[row[0] for row in NAME_FORMS])
def test_asker_name_forms(name, text, masked):
    assert mask_text(text, name=name) == masked


@pytest.mark.parametrize(("author", "name", "same"), [
    ("Wang Yiting", "Wang Yiting", True),
    ("yiting  WANG", "Wang Yiting", True),
    ("Chen, Mei-Ling", "Mei-Ling Chen", True),
    ("Ms. Wang", "Wang Yiting", True),
    ("周建宏", "周建宏", True),
    ("王先生", "王小明", True),
    ("ＪＪ", "JJ", True),
    ("Dr. Wang", "Wang Yiting", False),  # a doctor who shares the surname
    ("Yiting", "Wang Yiting", False),  # a given name alone may be anyone's
    ("Dr. Kevin Lin", "KEVIN", False),
    ("王醫師", "王小明", False),
    ("Anonymous", "anonymous", False),  # a placeholder names no one
    ("匿名", "匿名", False),
    (None, "Wang Yiting", False),
    ("Wang Yiting", None, False),
])
def test_a_reply_author_is_the_asker_only_by_a_form_of_their_name(author, name, same):
    assert is_name_of(author, name) is same


def test_names_are_counted_by_mask_texts():
    counts: Counter[str] = Counter()
    assert mask_texts(["王小明您好", None, "祝 王小明 平安"], counts, "王小明") == [
        "[NAME]您好", None, "祝 [NAME] 平安"]
    assert counts == {"NAME": 2}


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
    return (pattern.pattern.replace(privacy._NOT_BEFORE, "").replace(privacy._NOT_AFTER, "")
            .replace(privacy._NOT_IN_WORD, ""))


@pytest.mark.parametrize("index", range(len(PATTERNS)), ids=[f"{kind}-{i}" for i, (kind, _) in enumerate(PATTERNS)])
def test_every_match_holds_its_witness(index):
    _, pattern = PATTERNS[index]
    witness = WITNESSES[index]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.from_regex(_core(pattern), fullmatch=True))
    def holds(match: str) -> None:
        assert witness.search(match.lower()), match

    holds()


def test_every_pattern_has_a_witness():
    assert len(WITNESSES) == len(PATTERNS)


# --- masking a record's texts together is masking each ----------------------------------------------

_PIECES = st.sampled_from(["a@b.org", "line: mandy_09", "A123456789", "+886 2 1234 5678", "0912-345-678",
                           "(02)2345-6789", "2018/03/08", "500mg", "\n", " ", "@", ":", "0", "9", "x", "加我微信：",
                           "\x00"])
_TEXT = st.one_of(st.none(), st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=8).map("".join))


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXT, max_size=6))
def test_mask_texts_equals_mask_text_of_each(texts):
    together, alone = Counter(), Counter()
    assert mask_texts(texts, together) == [mask_text(text, alone) for text in texts]
    assert together == alone
