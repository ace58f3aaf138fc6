"""Contact details and identifiers planted into sandbox articles, with medical look-alikes right beside them.

Opt-in: a site made with `pii=True` picks a deterministic ~10 % of its good articles (`planted_count`)
and writes contact details into their questions, and into some answers, the way askers and doctors do:
e-mails (`name＠host` with the full-width at-sign too), Taiwanese mobiles (0912-345-678, 0912345678,
full-width ０９１２３４５６７８), landlines ((02)2345-6789, 02-2345-6789 分機12), international numbers
(+886 912 345 678, +1 (415) 555-0132), Taiwan national IDs (letter, 1 or 2, eight digits, with a valid
check digit) and LINE IDs ("LINE ID: xxx", "加我line：xxx"). Every sentence that carries one also carries
look-alikes that are not personal data and must survive masking: dates (2018/03/08, 民國107年3月8日,
1070308), doses (500mg, 每天兩次 0.5 mg/kg), ages (45歲, 30~39 year old), blood pressures (120/80), lab
values and ICD codes.

`plant` returns the new question and answer lines with what it planted: each identifier as the exact span
`qacrawler.page.privacy.mask_text` replaces with its `[KIND]` placeholder, and each look-alike as written. The
forms rotate with the article's ordinal among the planted ones (two per article, sometimes a third), so a
site of 150 pages already shows every form. Everything is drawn from the caller's Dice, a stream of its own,
so a site without `pii` never changes.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from qacrawler.sandbox.doctorqna_text import Dice

PLANTED_SHARE = 0.10
ANSWER_KINDS = frozenset({"EMAIL", "PHONE", "ID"})  # doctors repeat or give these; a LINE ID stays the asker's


def planted_count(good: int) -> int:
    """How many of `good` articles carry planted contact details: about 10 %, at least one."""
    return max(1, round(PLANTED_SHARE * good)) if good else 0


@dataclass(frozen=True, slots=True)
class Planting:
    question: tuple[str, ...]
    answer: tuple[str, ...] | None
    pii: tuple[tuple[str, str], ...]  # (KIND, the exact text the mask replaces), in planting order
    lookalikes: tuple[tuple[str, str], ...]  # (kind, text that must survive masking verbatim)


# --- identifiers ------------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789-()", "０１２３４５６７８９－（）")
_EMAIL_NAMES = ("kevin.lin", "wang_xm", "amy.chen", "sunny_day", "hsu.peiling", "mandy.tsai", "jerry_tw",
                "yuting.huang", "ah_hui", "chen-hsiu")
_EMAIL_HOSTS = {
    "en": ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com"),
    "zh": ("gmail.com", "yahoo.com.tw", "ms45.hinet.net", "hotmail.com", "pchome.com.tw"),
}
_HANDLES = ("happy_mom", "amy_chen", "kevin.lin", "sunny_day", "peggy.wu", "jerry_tw", "xiaomei", "lulu-cat",
            "ahui.tw", "tommy_lee")
# Taiwan ID letters in the order of their two-digit codes 10 … 35 (I and O came last)
_ID_LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
# (area code, digits before and after the dash) of real Taiwanese numbering
_AREAS = (("02", 4, 4), ("04", 4, 4), ("07", 3, 4), ("03", 3, 4), ("06", 3, 4), ("049", 3, 4))


def _digits(rng: Dice, count: int) -> str:
    return "".join(str(rng.between(0, 9)) for _ in range(count))


def _email(rng: Dice, language: str, at: str = "@") -> str:
    return f"{rng.pick(_EMAIL_NAMES)}{rng.between(10, 99)}{at}{rng.pick(_EMAIL_HOSTS[language])}"


def _mobile(rng: Dice) -> tuple[str, str, str]:
    digits = "09" + _digits(rng, 8)
    return digits[:4], digits[4:7], digits[7:]


def _landline(rng: Dice) -> tuple[str, str, str]:
    area, before, after = rng.pick(_AREAS)
    return area, str(rng.between(2, 8)) + _digits(rng, before - 1), _digits(rng, after)


def _national_id(rng: Dice) -> str:
    """A letter, 1 (male) or 2 (female), seven digits and the check digit the real scheme computes."""
    code = 10 + rng.between(0, len(_ID_LETTERS) - 1)
    digits = [rng.between(1, 2)] + [rng.between(0, 9) for _ in range(7)]
    total = code // 10 + 9 * (code % 10) + sum(d * w for d, w in zip(digits, range(8, 0, -1), strict=True))
    return _ID_LETTERS[code - 10] + "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _handle(rng: Dice) -> str:
    return f"{rng.pick(_HANDLES)}{rng.between(10, 9999):02d}"


# A form draws (phrase written into the sentence, span the mask replaces); the span lies inside the phrase.
Form = Callable[[Dice], tuple[str, str]]


def _same(text: str) -> tuple[str, str]:
    return text, text


def _contact(prefix: str, label: str) -> Form:
    def form(rng: Dice) -> tuple[str, str]:
        span = label + _handle(rng)
        return prefix + span, span

    return form


def _mobile_form(template: str, full_width: bool = False) -> Form:
    def form(rng: Dice) -> tuple[str, str]:
        text = template.format(*_mobile(rng))
        return _same(text.translate(_FULL_WIDTH) if full_width else text)

    return form


def _landline_form(template: str) -> Form:
    return lambda rng: _same(template.format(*_landline(rng), ext=rng.between(2, 999)))


def _international_tw(rng: Dice) -> tuple[str, str]:
    first, middle, last = _mobile(rng)
    return _same(f"+886 {first[1:]} {middle} {last}")


def _international_us(rng: Dice) -> tuple[str, str]:
    return _same(f"+1 ({rng.between(201, 989)}) 555-01{_digits(rng, 2)}")


_FORMS: dict[str, tuple[tuple[str, str, Form], ...]] = {
    "en": (
        ("EMAIL", "email", lambda rng: _same(_email(rng, "en"))),
        ("PHONE", "mobile-dashes", _mobile_form("{}-{}-{}")),
        ("CONTACT", "line-id", _contact("", "LINE ID: ")),
        ("PHONE", "landline-parentheses", _landline_form("({}){}-{}")),
        ("ID", "national-id", lambda rng: _same(_national_id(rng))),
        ("PHONE", "international-tw", _international_tw),
        ("PHONE", "mobile-digits", _mobile_form("{}{}{}")),
        ("PHONE", "landline-extension", _landline_form("{}-{}-{} ext. {ext}")),
        ("PHONE", "international-us", _international_us),
        ("CONTACT", "line-lowercase", _contact("", "line: ")),
        ("PHONE", "mobile-spaces", _mobile_form("{} {} {}")),
    ),
    "zh": (
        ("EMAIL", "email", lambda rng: _same(_email(rng, "zh"))),
        ("PHONE", "mobile-dashes", _mobile_form("{}-{}-{}")),
        ("CONTACT", "line-add-me", _contact("加我", "line：")),
        ("EMAIL", "email-full-width-at", lambda rng: _same(_email(rng, "zh", "＠"))),
        ("PHONE", "landline-parentheses", _landline_form("({}){}-{}")),
        ("ID", "national-id", lambda rng: _same(_national_id(rng))),
        ("PHONE", "mobile-full-width", _mobile_form("{}{}{}", full_width=True)),
        ("PHONE", "landline-extension", _landline_form("{}-{}-{} 分機{ext}")),
        ("PHONE", "international-tw", _international_tw),
        ("CONTACT", "line-id", _contact("", "LINE ID: ")),
        ("PHONE", "mobile-digits", _mobile_form("{}{}{}")),
        ("EMAIL", "email-full-width-at-spaced", lambda rng: _same(_email(rng, "zh", " ＠ "))),
        ("PHONE", "landline-full-width-parentheses",
         lambda rng: _same("（{}）{}-{}".format(*_landline(rng)))),
        ("PHONE", "international-us", _international_us),
        ("PHONE", "mobile-full-width-spaces", _mobile_form("{}\u3000{}\u3000{}", full_width=True)),
        ("CONTACT", "line-colon", _contact("我的", "LINE：")),
        ("PHONE", "landline-transfer", _landline_form("{}-{}-{}轉{ext}")),
    ),
}


# --- look-alikes ------------------------------------------------------------------------------

_LABS = {
    "en": ("HbA1c {f1}%", "LDL {n3} mg/dL", "TSH {f2} mIU/L", "platelets {plt}/uL", "eGFR {n2}",
           "creatinine {f1} mg/dL", "WBC {wbc}/uL"),
    "zh": ("糖化血色素 {f1}%", "空腹血糖 {n3} mg/dL", "GPT {n2} U/L", "血小板 {plt}/uL", "肌酸酐 {f1} mg/dL",
           "總膽固醇 {n3}"),
}
_ICD = ("ICD-10 G25.3", "ICD-10 K21.0", "ICD-10 E11.9", "ICD-10 N39.0", "ICD-10 I10", "ICD-10-CM M54.5",
        "ICD-9 401.9")
_DOSE_AMOUNTS = ("500mg", "250 mg", "1000mg", "5 mg", "0.5 mg/kg", "10 mg/kg", "20 mg")
_ZH_DOSE_TIMES = ("每天兩次", "一天三次", "每天一次", "早晚各一次")
_LOOKALIKE_KINDS = {
    "ymd": "date", "roc_long": "date", "roc_compact": "date", "dose": "dose", "dose_kg": "dose", "age": "age",
    "age_range": "age", "bp": "blood_pressure", "lab": "lab", "icd": "icd",
}


def _lookalikes(rng: Dice, language: str, ages: tuple[int, int] | None) -> dict[str, str]:
    year, month, day = rng.between(2008, 2023), rng.between(1, 12), rng.between(1, 28)
    decade = 10 * rng.between(2, 6)
    low, high = ages or (decade, decade + 9)
    age, roc = rng.between(low, high), year - 1911
    lab = rng.pick(_LABS[language]).format(
        f1=f"{rng.between(45, 99) / 10:.1f}", f2=f"{rng.between(5, 450) / 100:.2f}", n2=str(rng.between(15, 95)),
        n3=str(rng.between(90, 260)), plt=str(rng.between(120, 400) * 1000), wbc=str(rng.between(35, 125) * 100),
    )
    values = {
        "ymd": f"{year}/{month:02d}/{day:02d}",
        "roc_long": f"民國{roc}年{month}月{day}日",
        "roc_compact": f"{roc:03d}{month:02d}{day:02d}",
        "bp": f"{rng.between(100, 160)}/{rng.between(60, 100)}",
        "lab": lab,
        "icd": rng.pick(_ICD),
    }
    if language == "en":
        values |= {"dose": rng.pick(("500mg", "250mg", "1000mg", "850 mg", "5 mg")),
                   "dose_kg": rng.pick(("0.5 mg/kg", "10 mg/kg", "2.5 mg/kg")),
                   "age": f"{age} years old", "age_range": f"{low}~{high} year old"}
    else:
        values |= {"dose": f"{rng.pick(_ZH_DOSE_TIMES)} {rng.pick(_DOSE_AMOUNTS)}",
                   "age": f"{age}歲", "age_range": f"{low}~{high}歲"}
    return values


# --- sentences ---------------------------------------------------------------------------------

# Each sentence holds one identifier ({pii}) and look-alikes beside it; an identifier is followed by a space,
# punctuation or Chinese text, as askers write them (a full stop too: a handle cannot end in one).
_QUESTION_SENTENCES = {
    "en": {
        "EMAIL": ("Please also reply to my e-mail {pii}, I am {age} and the symptoms started on {ymd}.",
                  "My e-mail is {pii} if you need my reports: {lab}, blood pressure {bp} mmHg."),
        "PHONE": ("You can call me at {pii}, I take {dose} twice a day since {ymd}.",
                  "My phone number is {pii}; I am in the {age_range} group and my blood pressure is about {bp}.",
                  "If it is easier, phone me on {pii} (the report from {ymd} says {lab})."),
        "ID": ("My ID number is {pii}, in case you need to find my record from {ymd} ({icd}).",
               "For the hospital record my ID is {pii}; I am {age} and take {dose_kg}."),
        "CONTACT": ("Or add my {pii} to chat, I am {age} and my last reading was {bp} mmHg.",
                    "You can also message me, {pii}, I was told {icd} on {ymd}.",
                    "I was told {icd} on {ymd}, you can reach me on {pii}."),
    },
    "zh": {
        "EMAIL": ("我的信箱是{pii}，今年{age}，{roc_long}開始吃藥，{dose}。",
                  "報告可以寄到{pii}嗎？上次抽血{lab}，血壓{bp}。"),
        "PHONE": ("我的電話是{pii}，晚上比較方便接，我{age}，血壓大約{bp}。",
                  "聯絡電話{pii}，{ymd}有在貴院做過檢查，{lab}。",
                  "有問題可以打{pii}給我，目前{dose}，病歷上的日期是{roc_compact}。"),
        "ID": ("我的身分證字號是{pii}，{roc_compact}在貴院看過門診，診斷碼{icd}。",
               "身分證{pii}，可以幫我查{roc_long}的報告嗎？當時{lab}。"),
        "CONTACT": ("有其他問題可以私訊，{pii}，我今年{age}，上次量血壓{bp}。",
                    "{pii}，有問題可以直接問我，我是{age_range}的上班族，現在{dose}。"),
    },
}
_ANSWER_SENTENCES = {
    "en": {
        "EMAIL": ("I have also sent the leaflet to your e-mail {pii}; keep your blood pressure below {bp} mmHg.",),
        "PHONE": (("If you would like a follow-up, our case manager can be reached at {pii}; please bring the "
                   "report from {ymd} and your list of medicines ({dose})."),),
        "ID": (("For your safety, please do not post your ID number ({pii}) online; the clinic can look up the "
                "visit of {ymd} for you."),),
    },
    "zh": {
        "EMAIL": ("衛教單張已寄到您的信箱{pii}，藥物請{dose}，不要自行停藥。",),
        "PHONE": ("如需進一步諮詢，可來電{pii}，並攜帶{roc_long}的檢查報告（血壓{bp}、{lab}）。",),
        "ID": ("為了您的安全，請勿在網路上留下身分證字號（{pii}），{ymd}的就診紀錄可直接到櫃台查詢。",),
    },
}
_JOINERS = {"en": " ", "zh": ""}


def _slots(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name and name != "pii"]


def _sentence(rng: Dice, language: str, templates: tuple[str, ...], phrase: str, ages: tuple[int, int] | None,
              lookalikes: list[tuple[str, str]]) -> str:
    template = rng.pick(templates)
    values = _lookalikes(rng, language, ages)
    lookalikes.extend((_LOOKALIKE_KINDS[slot], values[slot]) for slot in _slots(template))
    return template.format(pii=phrase, **values)


def plant(
    rng: Dice,
    language: str,
    ordinal: int,
    question: tuple[str, ...],
    answer: tuple[str, ...] | None,
    *,
    ages: tuple[int, int] | None = None,
    fits: Callable[[int, str, list[str]], bool] = lambda index, line, spans: True,
) -> Planting:
    """Write this article's contact details (and their look-alikes) into its question and maybe its answer.

    `ordinal` (the article's rank among the planted ones) picks the forms, two consecutive ones in the
    rotation; `ages` keeps the ages written in the text within the asker's age range. `fits(index, line,
    spans)` may refuse a question line that would show part of a span elsewhere (doctorqna cuts the first
    paragraph into a 200-character excerpt on other pages): the sentence then becomes a paragraph of its own.
    """
    forms = _FORMS[language]
    chosen = [forms[(2 * ordinal) % len(forms)], forms[(2 * ordinal + 1) % len(forms)]]
    if rng.random() < 0.3:
        extra = rng.pick(forms)
        if extra not in chosen:
            chosen.append(extra)
    lines, replies = list(question), list(answer) if answer is not None else None
    joiner = _JOINERS[language]
    pii: list[tuple[str, str]] = []
    lookalikes: list[tuple[str, str]] = []
    to_answer = None  # every third article, and a few more, has the doctor write one into the answer
    if replies and (ordinal % 3 == 1 or rng.random() < 0.15):
        to_answer = next((k for k, (kind, _, _) in enumerate(chosen) if kind in ANSWER_KINDS), None)
    for k, (kind, _, form) in enumerate(chosen):
        phrase, span = form(rng)
        pii.append((kind, span))
        if k == to_answer and replies is not None:
            sentence = _sentence(rng, language, _ANSWER_SENTENCES[language][kind], phrase, ages, lookalikes)
            replies.insert(1, sentence)  # after the doctor's opening paragraph
            continue
        sentence = _sentence(rng, language, _QUESTION_SENTENCES[language][kind], phrase, ages, lookalikes)
        where = rng.random()
        if where < 0.3:
            lines.append(sentence)
        elif where < 0.5:
            lines.insert(rng.between(1, len(lines)), sentence)
        else:  # after the sentences of a paragraph, the first one or any other
            index = 0 if where < 0.7 else rng.between(0, len(lines) - 1)
            joined = lines[index] + joiner + sentence
            if lines[index].endswith((":", "：")):  # a list's lead-in ("I would like to ask:") keeps its list
                lines.insert(index + 1, sentence)
            elif fits(index, joined, [span for _, span in pii]):
                lines[index] = joined
            else:
                lines.append(sentence)
    return Planting(tuple(lines), tuple(replies) if replies is not None else None, tuple(pii), tuple(lookalikes))


# --- the doctor addressing the asker by name ----------------------------------------------------

NAMED_SHARE = 0.8
"""Share of the planted articles (pii=True) whose asker, when they gave a person's name, is addressed by it."""

_HAN_SURNAMES = frozenset(
    "陳林黃張李王吳劉蔡楊許鄭謝郭洪邱曾廖賴周葉蘇莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴"
)
_EN_SURNAMES = frozenset({"chen", "lin", "huang", "zhang", "li", "wang", "wu", "liu", "cai", "yang", "xu", "zheng",
                          "xie", "hong", "guo", "qiu", "zeng", "liao", "lai", "zhou", "ye", "su", "zhuang", "lǚ",
                          "jiang"})
_EN_TITLED = re.compile(r"^(?P<title>Mr|Ms|Mrs)\. (?P<surname>\S+)$|^(?P<surname2>\S+), (?P<title2>Mr|Ms)\.$")
_EN_LINES = ("{address}, I hope this helps; please see a doctor in person if it gets worse.",
             "{address}, please do not worry too much and take care of yourself.")
_ZH_LINES = ("祝{address}早日康復。", "{address}，請多休息，有任何變化請儘速就醫。")


def name_asker(rng: Dice, language: str, name: str, gender: str,
               answer: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The answer with a paragraph that addresses the asker by name, after the doctor's opening paragraph
    (which other pages show as an excerpt), and the text naming them as written; None when the asker gave no
    person's name: a nickname, handle or placeholder (匿名, Q, gentleman) is not addressed.

    The forms are those a doctor uses: 王小明 / 王先生 / 小明您好 in Chinese; Ms. Wang / Dear Yiting /
    Wang Yiting in English."""
    if language == "zh":
        if len(name) != 3 or name[0] not in _HAN_SURNAMES or not all("\u4e00" <= char <= "\u9fff" for char in name):
            return None
        if name.endswith(("先生", "小姐", "太太", "女士")):  # 陳太太: a surname and a title, not a given name
            return None
        honorific = {"男": "先生", "女": "小姐"}.get(gender) or rng.pick(("先生", "小姐"))
        kind = rng.between(0, 2)
        if kind == 0:  # the given name greeted
            written = name[1:]
            line = f"{written}您好：{rng.pick(('以下是補充說明。', '再提醒您幾點。'))}"
        else:
            written = name if kind == 1 else name[0] + honorific
            line = rng.pick(_ZH_LINES).format(address=written)
    else:
        titled = _EN_TITLED.match(name)
        words = name.split()
        if titled:
            written = f"{titled['title'] or titled['title2']}. {titled['surname'] or titled['surname2']}"
            line = rng.pick(_EN_LINES).format(address=written)
        elif len(words) == 2 and words[0].lower() in _EN_SURNAMES:
            given = words[1][0].upper() + words[1][1:]
            written = rng.pick((name, given))
            address = written if written == name else f"{rng.pick(('Dear', 'Hello', 'Hi'))} {given}"
            line = rng.pick(_EN_LINES).format(address=address)
        else:
            return None
    return (answer[0], line, *answer[1:]), (written,)


def addresses(written: str, asker: str) -> bool:
    """Whether a name written in a text ("Ms. Lin", "Jiaying") is the asker's: its words without a title are
    words of the asker's name, in any case ("Lin Meiling", "Ms. Lin", "Yang Jiaying")."""
    def words(name: str) -> set[str]:
        titles = {"mr.", "ms.", "mrs.", "mr", "ms", "mrs"}
        return {word.casefold() for word in re.split(r"[\s,]+", name) if word} - titles

    return bool(words(written)) and words(written) <= words(asker)
