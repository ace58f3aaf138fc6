"""Traditional Chinese article text for the adoctor.tw mirror, drawn from a caller's Dice.

adoctor.tw shows doctorqna's questions in Chinese, so its text comes from the Chinese writer the Taiwan
e-Hospital mirror uses (questions, answers, askers, answerers: ``tw_ehospital_text``); only the department
names (adoctor's own, e.g. 腸胃科 where e-Hospital says 肝膽腸胃科), the More Info banks and the edit notes
are written here. The module offers what the doctorqna mirror asks of a text source (``DEPARTMENTS``,
``write_core``, ``write_more_info``, ``related_faq_topics``, ``write_update``, ``answer_excerpt``,
``GREETING_NAMES``). Every line comes back normalised (the ground truth is built from these strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qacrawler.sandbox import tw_ehospital_text
from qacrawler.sandbox.doctorqna_text import (
    Core,
    Dice,
    MoreInfoLine,
    answer_excerpt,
    compose_more_info,
    related_faq_topics,
)
from qacrawler.sandbox.tw_ehospital_text import normalised, write_question

__all__ = ["DEPARTMENTS", "GREETING_NAMES", "Department", "answer_excerpt", "related_faq_topics", "write_core",
           "write_more_info", "write_update"]

GREETING_NAMES: tuple[str, ...] = ()  # the answers' greetings name nobody in particular
_TEXT_DATE = date(2000, 1, 1)  # the day askers' own dates in their text come before


@dataclass(frozen=True, slots=True)
class Department:
    name: str  # as adoctor.tw prints it in the reply header
    slug: str  # the listing's URL part
    weight: int
    bank: tw_ehospital_text.Department  # the e-Hospital department whose phrase banks and answerers it uses

    @property
    def faq_topics(self) -> tuple[str, ...]:
        return self.bank.categories


_BANKS = {department.name: department for department in tw_ehospital_text.DEPARTMENTS}
# adoctor name, URL slug, weight, e-Hospital department: every name maps into the shipped specialty taxonomy
_DEPARTMENTS = (
    ("婦產科", "obstetrics-and-gynecology", 14, "婦產科"),
    ("家庭醫學科", "family-medicine", 8, "家醫科"),
    ("腸胃科", "gastroenterology", 8, "肝膽腸胃科"),
    ("內科", "internal-medicine", 8, "內科"),
    ("耳鼻喉科", "otolaryngology", 6, "耳鼻喉科"),
    ("泌尿科", "urology", 11, "泌尿科"),
    ("神經科", "neurology", 6, "神經內科"),
    ("中醫科", "traditional-chinese-medicine", 3, "中醫科"),
    ("小兒科", "pediatrics", 5, "兒科"),
    ("外科", "surgery", 5, "外科"),
    ("心臟內科", "cardiology", 4, "心臟血管專科"),
    ("精神科", "psychiatry", 6, "精神科"),
    ("復健科", "rehabilitation", 4, "復健科"),
    ("皮膚科", "dermatology", 8, "皮膚科"),
    ("眼科", "ophthalmology", 4, "眼科"),
)
DEPARTMENTS = tuple(Department(name, slug, weight, _BANKS[bank]) for name, slug, weight, bank in _DEPARTMENTS)

_GENDERS = {"女": "female", "男": "male"}
_SEO_TITLES = ("{s}怎麼辦", "{s}的原因", "關於{s}的問題", "{s}需要就醫嗎")
_MORE_INTROS = ("{s}是{D}門診常見的問題，了解原因與就醫時機很重要。", "許多人都有{s}的困擾，多數可以改善。")
_MORE_SECTIONS = (
    ("{s}的常見原因", ("{c}：可能以{s}表現，應由專科醫師評估。", "壓力與疲勞：睡眠不足會讓症狀更明顯。",
                   "生活習慣：咖啡因、酒精與不規律飲食。")),
    ("何時該就醫", ("症狀持續超過兩週。", "合併發燒或體重減輕。", "影響日常生活或睡眠。")),
    ("檢查方式", ("{t}。", "抽血檢查。", "醫師問診與身體檢查。")),
    ("自我照護", ("多休息，避免熬夜。", "每天喝足夠的水。", "依醫囑使用{m}，不要自行停藥。")),
)
_MORE_CONCLUSIONS = ("總之，{s}多半可以處理，有疑問請至{D}門診諮詢。", "建議記錄症狀，若持續請回診追蹤。")
_UPDATES = (
    "更新：回覆後有多位讀者詢問{s}，若超過兩週未改善，請親自到{D}門診就醫。",
    "更新：關於{m}，請依您的主治醫師指示使用。",
    "更新：提問者回報做完{t}後{s}已改善，謝謝回饋。",
)


def _ages(asker: tw_ehospital_text.Asker) -> tuple[int, int | None]:
    """The asker's age as adoctor shows it, a decade range or an open-ended "<lo>~": an exact age becomes
    its decade, and an age withheld or given as an upper bound a decade drawn from it."""
    if asker.age_min is not None and asker.age_max is None:
        return asker.age_min, None
    known = asker.age_min if asker.age_min is not None else asker.age_max
    low = (known // 10) * 10 if known is not None else 30
    return low, low + 9


def write_core(rng: Dice, department: Department) -> Core:
    question = write_question(rng, department.bank, _TEXT_DATE, answered=True)
    assert question.reply is not None
    drawn = rng.pick(department.bank.complaints)  # drawn even when unused, so the stream never shifts
    complaint = next((known for known in department.bank.complaints if known in question.title), drawn)
    age_min, age_max = _ages(question.asker)
    return Core(
        title=normalised(question.title),
        seo_title=rng.pick(_SEO_TITLES).format(s=complaint),
        question=tuple(filter(None, map(normalised, question.question))),
        asker_name=normalised(question.asker.name) or "網友",
        gender=_GENDERS.get(question.asker.gender, "female"),
        age_min=age_min,
        age_max=age_max,
        doctor=question.reply.doctor,
        answer=tuple(filter(None, map(normalised, question.reply.answer))),
        complaint=complaint,
        extras_seed=rng.getrandbits(64),
    )


def write_more_info(rng: Dice, department: Department, core: Core) -> tuple[MoreInfoLine, ...]:
    bank = department.bank
    fills = {"s": core.complaint, "D": department.name, "c": rng.pick(bank.conditions), "t": rng.pick(bank.tests),
             "m": rng.pick(bank.treatments)}
    return compose_more_info(rng, fills, _MORE_INTROS, _MORE_SECTIONS, _MORE_CONCLUSIONS)


def write_update(rng: Dice, department: Department, core: Core) -> str:
    """The paragraph an editor appends to an answer when the site revises it."""
    fills = {"s": core.complaint, "D": department.name, "m": rng.pick(department.bank.treatments),
             "t": rng.pick(department.bank.tests)}
    return rng.pick(_UPDATES).format_map(fills)
