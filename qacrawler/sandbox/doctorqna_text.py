"""English Q&A text in the voice of doctorqna.com's machine translations, drawn from a caller's Random.

Phrase banks are small tuples so one article costs tens of microseconds: benchmarks render up to
100,000 pages. Department names, name shapes and text quirks follow docs/sites/doctorqna.md; the medical content is
invented and only has to read plausibly. Every line is produced already normalised (single spaces, no
leading or trailing space) because the ground truth is built from these very strings.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")

EXCERPT_CHARS = 200


class Dice(random.Random):
    """random.Random with one C-level draw per decision: choice, randint and sample loop in Python, and
    an article makes about 150 decisions. Same seeding, so `Dice(s)` and `random.Random(s)` share a stream."""

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.random() * len(options))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def weighted(self, options: Sequence[T], cumulative_weights: Sequence[int]) -> T:
        return options[bisect.bisect(cumulative_weights, self.random() * cumulative_weights[-1])]

    def fresh(self, options: Sequence[T]) -> Iterator[T]:
        """Distinct options in random order, drawn lazily so the unused rest costs nothing."""
        seen: set[int] = set()
        while len(seen) < len(options):
            index = int(self.random() * len(options))
            if index not in seen:
                seen.add(index)
                yield options[index]

    def several(self, options: Sequence[T], count: int) -> list[T]:
        """`count` distinct options (at most len(options)); bank entries are unique, so equality is identity."""
        chosen: list[T] = []
        while len(chosen) < count:
            option = options[int(self.random() * len(options))]
            if option not in chosen:
                chosen.append(option)
        return chosen


def cumulative(weights: Sequence[int]) -> tuple[int, ...]:
    """Weights as `Dice.weighted` takes them, summed once at import instead of per draw."""
    return tuple(itertools.accumulate(weights))


@dataclass(frozen=True)
class QuestionStyle:
    """How a language's askers go on after their first paragraph (the writer is shared by every mirror)."""

    ask_intro: str  # the line before numbered sub-questions
    numbered_asks: tuple[str, ...]
    numberings: tuple[str, ...]  # "{n}. " …; picked per question when there are several
    space: str  # between sentences: " " in English, nothing in Chinese
    closers: tuple[str, ...]


def question_paragraphs(rng: Dice, lines: list[str], fills: dict[str, str], details: Iterator[str],
                        asks: Iterator[str], style: QuestionStyle) -> list[str]:
    """``lines`` with the further paragraphs of a question: details, numbered sub-questions, asks and a closer."""
    for _ in range(rng.weighted(range(6), _EXTRA_PARAGRAPH_WEIGHTS)):
        if rng.random() < 0.15:
            lines.append(style.ask_intro)
            numbering = rng.pick(style.numberings) if len(style.numberings) > 1 else style.numberings[0]
            asked = rng.several(style.numbered_asks, rng.between(2, 3))
            lines.extend(numbering.format(n=n) + ask.format_map(fills) for n, ask in enumerate(asked, 1))
        elif rng.random() < 0.6:
            lines.append(style.space.join(next(details).format_map(fills) for _ in range(rng.between(1, 2))))
        else:
            lines.append(next(asks).format_map(fills))
    if rng.random() < 0.6:
        closer = rng.pick(style.closers)
        if rng.random() < 0.5:
            lines.append(closer)
        else:
            lines[-1] += style.space + closer
    return lines


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _headline(text: str) -> str:
    small = {"a", "an", "and", "after", "in", "near", "of", "the", "under"}
    return " ".join(word if i and word in small else _capitalised(word) for i, word in enumerate(text.split()))


def excerpt(text: str) -> str:
    """How Similar Q&A shortens a linked question: about 200 characters, cut at a word, then '...'."""
    if len(text) > EXCERPT_CHARS:
        cut = text[:EXCERPT_CHARS]
        text = cut.rsplit(" ", 1)[0] if text[EXCERPT_CHARS] != " " and " " in cut else cut
    return text.rstrip() + "..."


def answer_excerpt(text: str) -> str:
    """Short first paragraphs are shown whole, long ones shortened like a question excerpt."""
    return text if len(text) <= EXCERPT_CHARS else excerpt(text)


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    weight: int  # share of all questions, so listings get realistic uneven sizes
    complaints: tuple[tuple[str, str], ...]  # (English noun phrase, Chinese term sometimes shown in brackets)
    tests: tuple[str, ...]
    treatments: tuple[str, ...]
    conditions: tuple[str, ...]
    faq_topics: tuple[str, ...]
    doctors: tuple[str, ...]

    @property
    def slug(self) -> str:
        return slugify(self.name)


_DOCTORS = (
    "Jiang Junyi", "Cai Dongqi", "Lan Shengxing", "Cai Yunlin", "Chen Jiali", "Tao Bingwen", "Lin Wenzhi",
    "Huang Yuxuan", "Zhang Weiming", "Li Zhaohui", "Wu Chengen", "Xu Meihua", "Zheng Jianhong", "Lǚ Zhengyi",
    "Guo Yiting", "Zhou Kaiwen", "Xie Mingde", "Hong Zhiliang", "Qiu Shuyi", "Peng Guoxiong", "Liao Huiling",
    "Su Qingshan", "Zeng Wenqing", "Yang Jiaying", "Ye Zhenhua", "Du Hongbin", "Ke Yaxin", "Fang Zhiqiang",
    "Shi Peiling", "Luo Jianguo", "Jian Ruhan", "Hou Chengzhi", "Weng Yusheng", "Dai Tingyu", "Gao Renjie",
    "Song Yuling", "Tang Haoran", "Wei Shuqin", "You Mingda", "Ou Huizhen", "Chen Guanyu", "Lin Meiling",
    "Wang Ruiqi", "Hsu Chia-Hung", "Tsai Ming-Che",
)

_BANKS = (
    ("Obstetrics and Gynecology", 14,
     (("irregular periods", "月經不規則"), ("lower abdominal pain", "下腹痛"),
      ("abnormal vaginal discharge", "分泌物異常"), ("spotting after intercourse", "性行為後出血"),
      ("a delayed period", "月經延遲"), ("breast tenderness", "乳房脹痛")),
     ("a pelvic ultrasound", "a Pap smear", "a pregnancy test", "hormone tests"),
     ("oral contraceptives", "progesterone", "an antifungal suppository", "emergency contraception"),
     ("endometriosis", "a uterine fibroid", "polycystic ovary syndrome", "an ectopic pregnancy", "early pregnancy"),
     ("Menstruation", "Pregnancy", "Contraception", "Vaginal Discharge", "Uterine Fibroids", "Ovarian Cysts",
      "Menopause")),
    ("Family Medicine", 8,
     (("persistent fatigue", "疲倦"), ("a sore throat", "喉嚨痛"), ("a mild fever", "發燒"),
      ("weight loss", "體重減輕"), ("swollen lymph nodes", "淋巴結腫大")),
     ("a blood test", "a chest X-ray", "a health check-up"),
     ("antibiotics", "antipyretics", "vitamin supplements"),
     ("a viral infection", "anemia", "a thyroid problem"),
     ("Fever", "Health Check-up", "Vaccination", "Fatigue", "Weight Loss")),
    ("Gastroenterology and Hepatology", 8,
     (("acid reflux", "胃食道逆流"), ("bloating", "脹氣"), ("blood in the stool", "血便"),
      ("upper abdominal pain", "上腹痛"), ("elevated liver enzymes", "肝指數高")),
     ("a gastroscopy", "a colonoscopy", "an abdominal ultrasound", "liver function tests"),
     ("proton pump inhibitors", "antacids", "probiotics"),
     ("a stomach ulcer", "hepatitis B", "fatty liver", "irritable bowel syndrome"),
     ("Gastroesophageal Reflux", "Hepatitis B", "Fatty Liver", "Colonoscopy", "Constipation", "Diarrhea")),
    ("Internal Medicine", 8,
     (("high blood pressure", "高血壓"), ("chest tightness", "胸悶"), ("high cholesterol", "膽固醇高"),
      ("frequent thirst", "口渴"), ("swollen legs", "腳水腫")),
     ("a blood test", "an electrocardiogram", "a urine test"),
     ("antihypertensive medication", "statins", "metformin"),
     ("diabetes", "hyperthyroidism", "kidney disease"),
     ("Hypertension", "Diabetes", "Thyroid", "Cholesterol", "Kidney Function")),
    ("Otolaryngology", 6,
     (("tinnitus", "耳鳴"), ("a blocked nose", "鼻塞"), ("a hoarse voice", "聲音沙啞"),
      ("a lump in the throat", "喉嚨異物感"), ("nosebleeds", "流鼻血")),
     ("a nasal endoscopy", "a hearing test", "a laryngoscopy"),
     ("a nasal spray", "antihistamines", "ear drops"),
     ("sinusitis", "otitis media", "allergic rhinitis", "nasopharyngeal cancer"),
     ("Tinnitus", "Sinusitis", "Allergic Rhinitis", "Hearing Loss", "Tonsils")),
    ("Urology", 11,
     (("frequent urination", "頻尿"), ("pain when urinating", "排尿疼痛"), ("blood in the urine", "血尿"),
      ("a testicular lump", "睪丸腫塊"), ("a weak urine flow", "尿流無力")),
     ("a urine test", "a PSA test", "a kidney ultrasound"),
     ("antibiotics", "tamsulosin", "cranberry supplements"),
     ("a urinary tract infection", "kidney stones", "prostatitis", "phimosis"),
     ("Urinary Tract Infection", "Kidney Stones", "Prostate", "Frequent Urination", "Circumcision")),
    ("Neurology", 6,
     (("muscle twitching", "肌肉跳動"), ("dizziness", "頭暈"), ("numbness in the hands", "手麻"), ("headaches", "頭痛"),
      ("a hand tremor", "手抖")),
     ("an MRI", "an EEG", "a nerve conduction study", "a brain CT"),
     ("Clonazepam", "vitamin B complex", "painkillers"),
     ("ALS", "a stroke", "migraine", "Parkinson's disease", "epilepsy"),
     ("Facial Twitching", "Stroke", "Face", "Tongue", "Breathing", "Hands", "Dizziness", "Tremor",
      "Electroencephalogram")),
    ("Traditional Chinese Medicine", 3,
     (("cold hands and feet", "手腳冰冷"), ("poor sleep", "睡不好"), ("night sweats", "盜汗"),
      ("menstrual cramps", "經痛"), ("a poor appetite", "食慾不振")),
     ("pulse diagnosis", "a tongue inspection"),
     ("acupuncture", "herbal medicine", "cupping"),
     ("qi deficiency", "dampness", "yin deficiency"),
     ("Acupuncture", "Herbal Medicine", "Body Constitution", "Menstrual Conditioning", "Insomnia")),
    ("Pediatrics", 5,
     (("a fever that comes and goes", "反覆發燒"), ("a rash", "紅疹"), ("a persistent cough", "咳嗽"),
      ("a poor appetite", "食慾不振"), ("slow weight gain", "體重增加慢")),
     ("a blood test", "a growth assessment", "a chest X-ray"),
     ("fever reducers", "cough syrup", "oral rehydration salts"),
     ("hand, foot and mouth disease", "roseola", "asthma"),
     ("Infant Fever", "Growth and Development", "Vaccination", "Rash", "Cough")),
    ("Surgery", 5,
     (("a lump under the skin", "皮下腫塊"), ("a bulge in the groin", "疝氣"), ("an infected wound", "傷口感染"),
      ("an ingrown toenail", "甲溝炎"), ("pain near the anus", "肛門疼痛")),
     ("an ultrasound", "a biopsy", "a CT scan"),
     ("surgery", "wound dressing", "antibiotics"),
     ("a lipoma", "an inguinal hernia", "hemorrhoids", "an abscess"),
     ("Hernia", "Hemorrhoids", "Lipoma", "Wound Care", "Gallstones")),
    ("Cardiology", 4,
     (("chest pain", "胸痛"), ("palpitations", "心悸"), ("shortness of breath", "喘"),
      ("an irregular heartbeat", "心律不整"), ("swollen ankles", "腳踝水腫")),
     ("an electrocardiogram", "a 24-hour Holter monitor", "a cardiac ultrasound", "a treadmill test"),
     ("beta blockers", "aspirin", "blood thinners"),
     ("arrhythmia", "mitral valve prolapse", "coronary artery disease"),
     ("Arrhythmia", "Chest Pain", "Mitral Valve Prolapse", "Hypertension", "Heart Failure")),
    ("Psychiatry", 6,
     (("anxiety", "焦慮"), ("insomnia", "失眠"), ("low mood", "情緒低落"), ("panic attacks", "恐慌"),
      ("intrusive thoughts", "強迫思考")),
     ("a psychological assessment", "a depression questionnaire"),
     ("sertraline", "Alprazolam", "cognitive behavioural therapy"),
     ("depression", "generalized anxiety disorder", "obsessive-compulsive disorder", "bipolar disorder"),
     ("Insomnia", "Depression", "Anxiety", "Panic Disorder", "Medication Side Effects")),
    ("Rehabilitation", 4,
     (("lower back pain", "下背痛"), ("a stiff shoulder", "肩膀僵硬"), ("knee pain", "膝蓋痛"), ("neck pain", "脖子痛"),
      ("weakness after a stroke", "中風後無力")),
     ("an X-ray", "a muscle strength test", "an ultrasound"),
     ("physical therapy", "traction", "heat therapy", "shockwave therapy"),
     ("a herniated disc", "frozen shoulder", "plantar fasciitis"),
     ("Lower Back Pain", "Frozen Shoulder", "Knee Pain", "Physical Therapy", "Speech Therapy")),
    ("Dermatology", 8,
     (("an itchy rash", "皮膚癢"), ("acne", "青春痘"), ("hair loss", "掉髮"), ("dark spots", "黑斑"),
      ("a mole that changed", "痣")),
     ("a skin biopsy", "a fungal scraping test", "an allergy test"),
     ("a steroid cream", "antihistamines", "isotretinoin", "laser treatment"),
     ("eczema", "urticaria", "psoriasis", "a fungal infection"),
     ("Eczema", "Acne", "Hair Loss", "Urticaria", "Moles", "Warts")),
    ("Ophthalmology", 4,
     (("floaters", "飛蚊症"), ("blurred vision", "視力模糊"), ("dry eyes", "乾眼"), ("red eyes", "眼睛紅"),
      ("eyelid twitching", "眼皮跳")),
     ("an eye pressure test", "a dilated fundus exam", "a vision test"),
     ("artificial tears", "antibiotic eye drops", "LASIK"),
     ("glaucoma", "retinal detachment", "cataracts", "conjunctivitis"),
     ("Floaters", "Myopia", "Dry Eye", "Glaucoma", "Cataract")),
)

DEPARTMENTS: tuple[Department, ...] = tuple(
    Department(name, weight, complaints, tests, treatments, conditions, faq_topics, _DOCTORS[3 * i : 3 * i + 3])
    for i, (name, weight, complaints, tests, treatments, conditions, faq_topics) in enumerate(_BANKS)
)

_ASKERS = (
    "KEVIN", "Ms. Tseng", "Mr. Wu", "Niming", "gentleman", "kevin_88", "A", "j", "lily", "Lǚ Xiaoyun", "Chen-Hsiu",
    "Chen, Ms.", "Wang, Mr.", "Lin, Xiao-Mei", "Xiao Mei", "mandy0912", "Little Apple", "Jiaying", "Tom", "Luka",
    "Ah-Hui", "Yu-Ting", "zhang", "Mrs. Huang", "ww", "Ms. Lin", "Mr. Lee", "Xiaoming", "Peipei", "Sunny",
    "cat_lover", "H", "Ms. Lǚ", "Zhi-Wei", "hsu", "Amber", "anonymous", "Worried mom", "Mr. Zheng", "xiaohui123",
    "Q", "Yǔ Tong", "Ms. Guo",
)
_SURNAMES = ("Chen", "Lin", "Huang", "Zhang", "Li", "Wang", "Wu", "Liu", "Cai", "Yang", "Xu", "Zheng", "Xie", "Hong",
             "Guo", "Qiu", "Zeng", "Liao", "Lai", "Zhou", "Ye", "Su", "Zhuang", "Lǚ", "Jiang")
_GIVEN = ("Yiting", "Jiahao", "Meiling", "Zhiwei", "Yuxuan", "Shufen", "Junjie", "Xinyi", "Guanting", "Pei-Shan",
          "Wenjun", "Ya-Ting", "Chengyu", "Huimin")
_AGES = ((10, 19), (20, 29), (30, 39), (40, 49), (50, 59), (60, 69))
_AGE_WEIGHTS = cumulative((5, 30, 30, 18, 10, 7))

_DURATIONS = ("two months", "a week", "three days", "half a year", "several years", "about a month", "two weeks")
_WHEN = ("at night", "after meals", "in the morning", "when I stand up", "after exercise", "when I am tired")
_PLACES = ("a clinic near my home", "a medical center", "the emergency room", "a local hospital")
_RELATIVES = ("mother", "father", "son", "daughter", "husband", "wife", "grandmother", "younger brother")
_URLS = ("https://www.health.example.com/qa?id={n}&lang=zh", "https://forum.example.tw/t/{n}",
         "http://blog.example.net/post/{n}.html")
_HOSPITALS = ("Changhua Hospital, Ministry of Health and Welfare", "Taoyuan General Hospital", "Taichung Hospital",
              "Hualien Hospital", "Keelung Hospital", "Tainan Hospital", "Pingtung Hospital", "Chiayi Hospital")

_TITLES = (
    ("{S}?", 10), ("{S}", 6), ("Is {s} a sign of {c}?", 8), ("Questions about {t}", 4), ("{S}!!", 3),
    ("{S}, excuse me?", 2), ("Can {m} be stopped?", 3), ("{S} & {s2}?", 3), ("About {c}...", 2),
    ("What should I do about {s}?", 6), ("{S} for {d}, is it serious?", 4), ("Do I need {t}?", 3),
    ("My {rel} has {s}", 3), ("Why do I have {s} {when}?", 4), ("{S} after {t}?", 2), ("Help!! {s} for {d}", 2),
    ("Excuse me, about {m}", 2), ("{C} or just {s}?", 3), ("Is {m} safe?", 3), ("{S} and {c}", 2),
    ("I'm sorry, but I can't assist with that.", 1),
)
_TITLE_FORMS = tuple(form for form, _ in _TITLES)
_TITLE_WEIGHTS = cumulative([weight for _, weight in _TITLES])
_SEO_TITLES = (
    "{T}: When to Seek Medical Advice", "Understanding {T}: Causes and Treatment Options",
    "How to Manage {T}: Expert Insights", "{T}: What You Need to Know", "Is {T} a Sign of {C}? Key Insights",
    "Concerns About {T}: Tests, Causes, and Next Steps",
)
_EXTRA_PARAGRAPH_WEIGHTS = cumulative((25, 25, 20, 15, 10, 5))
_ANSWER_PARAGRAPH_WEIGHTS = cumulative((15, 30, 30, 15, 10))
_FAQ_COUNT_WEIGHTS = cumulative((8, 6, 8, 10, 12, 12, 12, 12, 10, 10))
_OPENERS = ("Hello, Doctor: ", "Hello, doctor. ", "Doctor, hello: ", "Hello, ", "", "", "Hi, sorry to bother you. ",
            "Excuse me, doctor. ")
_INTROS = (
    "Over the past {d}, I have been experiencing {s}{zh}, and it seems to be getting worse.",
    "I have had {s}{zh} for about {d}.",
    "For {d} now I have noticed {s}{zh}, especially {when}.",
    "My {rel} has been troubled by {s}{zh} for {d}.",
    "Since {roc} I have had {s}{zh} on and off.",
    "recently I have {s}{zh} and I don't know what to do",
)
_DETAILS = (
    "It usually happens {when}.",
    "I went to {place} and had {t}, and the doctor said everything was normal.",
    "The doctor prescribed {m}, but it did not help much.",
    "I am really worried that this could be {c} 😢",
    "My blood pressure is usually <120 mmHg & my heart rate is about {hr}.",
    "I read this online: {url} is it true?",
    "I have no other medical history & I don't smoke or drink.",
    "I also searched the internet and became even more anxious.",
    "The symptoms get worse when I am tired or stressed.",
    "I have been taking {m} for {d}.",
    "The last time I had {t} was on {roc}, and the report mentioned {c}.",
    "Sometimes I also have {s2}{zh2}.",
    "My family has a history of {c}.",
    "I have lost some weight and my appetite is not good.",
    "Work has been very busy lately and I often sleep after 2 a.m.",
)
_ASKS = (
    "Could you please advise me whether this is {c}?", "Is it necessary to do {t}?", "Should I stop taking {m}?",
    "Which department should I see?", "Is this serious? Will it affect my daily life?",
    "How long will it take to recover?", "Is there anything I can take to relieve {s}?",
)
_NUMBERED_ASKS = ("Is this {c}?", "Do I need {t}?", "Can I keep taking {m}?", "Will {s} go away by itself?",
                  "Is it contagious?", "What should I pay attention to in daily life?")
_CLOSERS = ("Thank you, Doctor!", "Thank you for your reply.", "Thanks", "Sorry for the long question, thank you!",
            "Thank you 🙏")
ENGLISH_QUESTIONS = QuestionStyle("I would like to ask:", _NUMBERED_ASKS, ("{n}. ",), " ", _CLOSERS)

_GREETINGS = ("Hello: ", "Hello, ", "Dear Mr. Luka: ", "Dear Ms. Lin: ", "Hello, Jiaying. ", "", "")
GREETING_NAMES = ("Mr. Luka", "Ms. Lin", "Jiaying")  # whom _GREETINGS address: the asker, when the names agree
_ANSWER_OPENINGS = (
    "{S} can be caused by many factors, including {c}, stress, and lack of sleep.",
    "Based on your description, {s} is more likely to be related to {c}, but an examination is needed to confirm.",
    "The symptoms you mentioned are common and most of them are not serious.",
    "It is difficult to make a diagnosis online, but {s} lasting {d} deserves attention.",
    "Thank you for your question.",
)
_ANSWER_LINES = (
    "It is recommended that you visit the {D} department for {t}.",
    "If the results are normal, there is no need for excessive worry.",
    "{M} is generally safe, but please follow your doctor's instructions and do not stop it on your own.",
    "Please avoid caffeine, alcohol and staying up late, and keep a regular routine.",
    "If symptoms continue to worsen, or you notice {s2}, further testing is necessary.",
    "You can refer to the health education materials at https://www.hpa.gov.tw/ for more information.",
    "{C} usually improves within two to three weeks with proper rest.",
    "Blood pressure should ideally be kept <130/80 mmHg & blood sugar checked regularly.",
    "Treatment options include {m} and {m2}, depending on the cause.",
    "Most cases like yours are benign, so please do not be overly anxious.",
    "Regular exercise, such as brisk walking for 30 minutes a day, is helpful.",
)
_POINTS = ("Get enough rest and avoid staying up late.", "Drink enough water, about 2000 ml a day.",
           "Arrange {t} at a hospital near you.", "Record when the symptoms happen and bring the notes to your doctor.",
           "Do not take {m} without a prescription.", "Return for a follow-up visit if there is no improvement in {d}.")
_WISHES = ("Wishing you good health.", "Wishing you good health and peace.", "Wishing you a speedy recovery!")

_MORE_INTROS = (
    "{T} can be a source of concern for many individuals, especially when it persists or affects daily life. "
    "Understanding the causes, concerns, and when to seek help is essential.",
    "When dealing with {s}, it is important to understand the possible causes and the available options.",
)
_MORE_SECTIONS = (
    ("Causes of {T}", ("{C}: This condition may present with {s} and should be evaluated by a specialist.",
                       "Stress and Fatigue: Lack of sleep and stress can make symptoms more noticeable.",
                       "Lifestyle Factors: Caffeine, alcohol and irregular meals may contribute.")),
    ("When to Seek Help", ("Persistent Symptoms: If {s} continues for an extended period, seek further evaluation.",
                           "Accompanying Symptoms: Fever, weight loss or severe pain need prompt attention.")),
    ("Diagnosis", ("{Tt}: Helps to rule out {c}.", "Medical History: Your doctor will ask when the symptoms began.")),
    ("Management and Treatment Options", ("{M}: Often used to relieve symptoms; follow your doctor's instructions.",
                                          "Stress Management: Techniques such as mindfulness or yoga can help.",
                                          "Hydration: Staying well-hydrated supports recovery.")),
)
_MORE_CONCLUSIONS = (
    "In conclusion, while {s} can be concerning, it is often manageable. Always consult your doctor before making "
    "any significant changes to your health regimen.",
    "In summary, keep a record of your symptoms and follow up with a specialist if they persist.",
)


@dataclass(frozen=True, slots=True)
class Core:
    """The part of an article that other pages show too (Similar Q&A, listings), so it is cached alone."""

    title: str
    seo_title: str
    question: tuple[str, ...]
    asker_name: str
    gender: str
    age_min: int
    age_max: int | None  # None: open-ended (adoctor's "<lo>~歲"); doctorqna's ages are all ranges
    doctor: str
    answer: tuple[str, ...]
    complaint: str
    extras_seed: int  # seeds More Info, Similar Q&A and Related FAQ without keeping the generator around


def _fills(rng: Dice, department: Department) -> dict[str, str]:
    (complaint, zh), (complaint2, zh2) = rng.several(department.complaints, 2)
    test = rng.pick(department.tests)
    treatment, treatment2 = rng.several(department.treatments, 2)
    condition = rng.pick(department.conditions)
    return {
        "s": complaint, "S": _capitalised(complaint), "T": _headline(complaint), "s2": complaint2,
        "zh": f" ({zh})" if rng.random() < 0.35 else "", "zh2": f" ({zh2})" if rng.random() < 0.2 else "",
        "c": condition, "C": _capitalised(condition), "t": test, "Tt": _capitalised(test),
        "m": treatment, "M": _capitalised(treatment), "m2": treatment2, "D": department.name,
        "d": rng.pick(_DURATIONS), "when": rng.pick(_WHEN), "place": rng.pick(_PLACES),
        "rel": rng.pick(_RELATIVES), "hr": str(rng.between(58, 110)),
        "roc": f"{rng.between(100, 113)}{rng.between(1, 12):02d}{rng.between(1, 28):02d}",
        "url": rng.pick(_URLS).format(n=rng.between(100, 99999)),
    }


def _asker_name(rng: Dice) -> str:
    if rng.random() < 0.6:
        return rng.pick(_ASKERS)
    name = f"{rng.pick(_SURNAMES)} {rng.pick(_GIVEN)}"
    return name.lower() if rng.random() < 0.15 else name


def _question(rng: Dice, fills: dict[str, str]) -> tuple[str, ...]:
    details, asks = rng.fresh(_DETAILS), rng.fresh(_ASKS)  # no sentence twice: at most 12 of 15 details, 5 of 7 asks
    lines = [rng.pick(_OPENERS) + rng.pick(_INTROS).format_map(fills)]
    for _ in range(rng.pick((0, 0, 1, 2))):
        lines[0] += " " + next(details).format_map(fills)
    return tuple(question_paragraphs(rng, lines, fills, details, asks, ENGLISH_QUESTIONS))


def _sign_off(rng: Dice, doctor: str, department: Department) -> list[str]:
    surname, _, given = doctor.partition(" ")
    other_romanisation = f"{given} {surname}"
    kind = rng.between(0, 5)
    if kind == 0:
        return [rng.pick(_WISHES)]
    if kind == 1:
        return [f"Sincerely, Dr. {other_romanisation}"]
    if kind == 2:
        return [f"{rng.pick(_HOSPITALS)} cares about your health."]
    if kind == 3:
        return [rng.pick(_WISHES), "Dr.", f"{rng.pick(_SURNAMES)}, {department.name} Department, cares about you."]
    if kind == 4:
        return [other_romanisation]
    return []


def _answer(rng: Dice, fills: dict[str, str], doctor: str, department: Department) -> tuple[str, ...]:
    sentences = rng.fresh(_ANSWER_LINES)  # no sentence twice: at most 8 of 11 are drawn
    lines = [(rng.pick(_GREETINGS) + rng.pick(_ANSWER_OPENINGS)).format_map(fills)]
    for _ in range(rng.weighted(range(5), _ANSWER_PARAGRAPH_WEIGHTS)):
        lines.append(" ".join(next(sentences).format_map(fills) for _ in range(rng.between(1, 2))))
    if rng.random() < 0.25:
        lines.append("My suggestions are as follows:")
        split_numbers = rng.random() < 0.3  # the translator's line break after "1."
        for n, point in enumerate(rng.several(_POINTS, rng.between(2, 4)), 1):
            lines.extend((f"{n}.", point.format_map(fills)) if split_numbers else (f"{n}. {point.format_map(fills)}",))
    lines.extend(_sign_off(rng, doctor, department))
    return tuple(lines)


def write_core(rng: Dice, department: Department) -> Core:
    fills = _fills(rng, department)
    title = rng.weighted(_TITLE_FORMS, _TITLE_WEIGHTS).format_map(fills)
    seo_title = rng.pick(_SEO_TITLES).format_map(fills)
    question = _question(rng, fills)
    asker_name = _asker_name(rng)
    gender = "female" if rng.random() < 0.9 else "male"
    age_min, age_max = rng.weighted(_AGES, _AGE_WEIGHTS)
    doctor = rng.pick(department.doctors)
    answer = _answer(rng, fills, doctor, department)
    return Core(title, seo_title, question, asker_name, gender, age_min, age_max, doctor, answer,
                fills["s"], rng.getrandbits(64))


@dataclass(frozen=True, slots=True)
class MoreInfoLine:
    text: str
    heading: bool


def write_more_info(rng: Dice, department: Department, core: Core) -> tuple[MoreInfoLine, ...]:
    fills = {"s": core.complaint, "T": _headline(core.complaint), "C": _capitalised(rng.pick(department.conditions)),
             "c": rng.pick(department.conditions), "Tt": _capitalised(rng.pick(department.tests)),
             "M": _capitalised(rng.pick(department.treatments))}
    return compose_more_info(rng, fills, _MORE_INTROS, _MORE_SECTIONS, _MORE_CONCLUSIONS)


def compose_more_info(
    rng: Dice, fills: dict[str, str], intros: Sequence[str], sections: Sequence[tuple[str, tuple[str, ...]]],
    conclusions: Sequence[str],
) -> tuple[MoreInfoLine, ...]:
    """A More Info section of 4 to 12 lines from a language's phrase banks: an intro, headed sections of
    numbered or bulleted items, a conclusion."""
    wanted = rng.between(4, 12)
    lines = [MoreInfoLine(rng.pick(intros).format_map(fills), heading=False)]
    for heading, items in rng.fresh(sections):
        if len(lines) >= wanted - 2:  # no room for a heading and one of its items
            break
        lines.append(MoreInfoLine(heading.format_map(fills), heading=True))
        numbered = rng.random() < 0.7
        for n, item in enumerate(items, 1):
            bullet = f"{n}. " if numbered else "- "
            lines.append(MoreInfoLine(bullet + item.format_map(fills), heading=False))
    del lines[wanted - 1 :]
    lines.append(MoreInfoLine(rng.pick(conclusions).format_map(fills), heading=False))
    return tuple(lines)


def related_faq_topics(rng: Dice, department: Department) -> list[str | None]:
    """Topics of the Related FAQ list; None stands for the department's own FAQ entry, shown `(<Department>)`."""
    count = rng.weighted(range(10), _FAQ_COUNT_WEIGHTS)
    topics: list[str | None] = [None] if count and rng.random() < 0.5 else []
    topics.extend(rng.several(department.faq_topics, min(count - len(topics), len(department.faq_topics))))
    return topics


_UPDATES = (
    "Update: Several readers have asked about {s} since this reply; if it lasts more than two weeks, please see "
    "the {D} department in person.",
    "Update: A correction to the reply above: on {m}, please follow your own doctor's advice, not general advice.",
    "Update: The asker wrote back that {s} has eased after {t}; thank you for the follow-up.",
    "Update: New guidance this year recommends {t} sooner if {s} comes with fever or weight loss.",
    "Update: To add to the reply above, keeping a diary of when {s} happens helps your doctor a great deal.",
)


def write_update(rng: Dice, department: Department, core: Core) -> str:
    """The paragraph an editor appends to an answer when the site revises it."""
    fills = {"s": core.complaint, "D": department.name, "m": rng.pick(department.treatments),
             "t": rng.pick(department.tests)}
    return rng.pick(_UPDATES).format_map(fills)


def plan_revision(*, seed: int, number: int, previous_at: datetime | None, at: datetime, ids: Sequence[int],
                  editable: Sequence[int], what: str, added: int, edited: int | list[int],
                  max_id: int) -> tuple[Dice, list[int], list[int]]:
    """What every mirror's ``revise`` checks and draws alike for revision ``number``: its dice, the edited ids
    (those given, or that many of ``editable`` at random) and the added ids, above ``ids``' last."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware: an edit's sitemap lastmod carries its UTC offset")
    if previous_at is not None and at <= previous_at:
        raise ValueError(f"at must be later than the previous revision's, {previous_at.isoformat()}")
    if isinstance(edited, list) and not set(edited) <= set(editable):
        raise ValueError(f"only {what} can be edited, not {sorted(set(edited) - set(editable))}")
    count = len(edited) if isinstance(edited, list) else edited
    if added < 0 or not 0 <= count <= len(editable):
        raise ValueError(f"added must be >= 0 and edited between 0 and {len(editable)}, not {added} and {count}")
    rng = Dice(f"{seed}:revision:{number}")
    edited_ids = sorted(set(edited)) if isinstance(edited, list) else sorted(rng.sample(list(editable), edited))
    added_ids = [ids[-1] + gap for gap in itertools.accumulate(rng.randint(1, 40) for _ in range(added))]
    if added_ids and added_ids[-1] > max_id:
        raise ValueError(f"no room for {added} more article ids below {max_id + 1}")
    return rng, edited_ids, added_ids
