"""The English texts of the structured-data mirror (qacrawler.sandbox.qapage): departments, askers, repliers,
questions and replies, drawn from a caller's Dice so one article's text never shifts another's.

Names are chosen so the privacy masker has exactly one thing to find: no asker's name is a word of any
other text, and digits in the texts stay short (ages, durations) so nothing but the planted contact details
looks like an identifier."""

from __future__ import annotations

from dataclasses import dataclass

from qacrawler.sandbox.doctorqna_text import Dice


@dataclass(frozen=True, slots=True)
class Department:
    label: str  # as the site's breadcrumb and category badge name it
    enumeration: str  # its schema.org MedicalSpecialty member, as MedicalWebPage `specialty` names it
    complaints: tuple[str, ...]
    causes: tuple[str, ...]
    advice: tuple[str, ...]


DEPARTMENTS = (
    Department("Cardiology", "Cardiovascular",
               ("palpitations", "chest tightness", "high blood pressure", "a slow heart rate", "swollen ankles"),
               ("an extra heartbeat", "too much caffeine", "a thyroid problem", "stress"),
               ("an ECG and a blood test", "cutting down on coffee", "checking your blood pressure at home")),
    Department("Dermatology", "Dermatology",
               ("an itchy rash", "acne marks", "hair loss", "a mole that changed colour", "dry patches on my elbows"),
               ("eczema", "a fungal infection", "contact dermatitis", "psoriasis"),
               ("a fragrance-free moisturiser", "a short course of a mild steroid cream", "a photo diary of the spot")),
    Department("Endocrinology", "Endocrine",
               ("a lump in my neck", "high fasting sugar", "weight gain I cannot explain", "feeling cold all the time"),
               ("an underactive thyroid", "insulin resistance", "a thyroid nodule", "low vitamin D"),
               ("a thyroid blood panel", "an ultrasound of the neck", "a fasting glucose and HbA1c test")),
    Department("Gastroenterology", "Gastroenterologic",
               ("heartburn", "bloating after meals", "constipation", "cramps after eating"),
               ("reflux", "irritable bowel syndrome", "a food intolerance", "a stomach infection"),
               ("smaller meals and no food late at night", "a food diary", "a breath test")),
    Department("Neurology", "Neurologic",
               ("migraines", "numb fingers", "dizziness when I stand up", "a twitching eyelid"),
               ("tension headaches", "a trapped nerve", "low blood pressure", "lack of sleep"),
               ("a headache diary", "a nerve conduction study", "more water and regular meals")),
    Department("Pediatrics", "Pediatric",
               ("a fever that keeps coming back", "a toddler who will not eat", "a cough at night",
                "a rash after a vaccine"),
               ("a viral infection", "a growth spurt", "mild asthma", "a normal vaccine reaction"),
               ("fluids and rest", "a visit to the paediatrician if it lasts", "a fever chart")),
    Department("Psychiatry", "Psychiatric",
               ("trouble sleeping", "panic attacks", "low mood", "worrying all the time"),
               ("an anxiety disorder", "depression", "burnout", "poor sleep habits"),
               ("talking therapy", "a regular sleep schedule", "an appointment with your family doctor")),
    Department("Urology", "Urologic",
               ("going to the toilet often at night", "a kidney stone", "a burning feeling when I pee"),
               ("a urinary infection", "an enlarged prostate", "drinking late in the evening"),
               ("a urine test", "an ultrasound of the kidneys", "less fluid after dinner")),
    Department("Gynecology", "Gynecologic",
               ("irregular periods", "spotting between periods", "pelvic pain"),
               ("hormonal changes", "polycystic ovaries", "a fibroid"),
               ("a pelvic ultrasound", "a hormone panel", "a cycle diary")),
    Department("Pulmonology", "Pulmonary",
               ("a cough that lasts for weeks", "shortness of breath on the stairs", "wheezing at night"),
               ("asthma", "a lingering infection", "acid reflux"),
               ("a lung function test", "a chest X-ray", "an inhaler trial")),
)

# Askers: names a masker can find (a given name, a given name and an initial or a surname), and handles and
# placeholders it leaves alone. No name below is a word of any text in this module.
PERSON_ASKERS = ("Anna Miller", "Priya S.", "Marcus", "Elena Petrova", "Daniel K.", "Sofia Ramirez", "Omar Haddad",
                 "Hannah", "Lucas Brandt", "Mei Tanaka")
HANDLE_ASKERS = ("worried_mom", "jdoe", "runner_mike", "nightowl", "Anonymous")
DOCTORS = ("Dr. Maria Lopez", "Dr. James Okafor", "Dr. Wei Chen", "Dr. Aisha Rahman", "Dr. Peter Novak",
           "Dr. Laura Svensson")
MEMBERS = ("kate.b", "mountain_dan", "sam_r", "physio_jo", "NurseLinda", "oldtimer")
REVIEWERS = ("Dr. Helen Brooks", "Dr. Ravi Menon")
_GREETINGS = ("Hi", "Hello", "Dear")

_TITLES = ("Is {complaint} something to worry about?", "What could cause {complaint}?",
           "How long does {complaint} usually last?", "Should I see a doctor for {complaint}?",
           "{Complaint} & tiredness at the same time: are they related?", "{Complaint} for weeks, what should I do?")
_OPENINGS = ("I am {age} and I have had {complaint} for {duration}.",
             "For about {duration} now I have noticed {complaint}; I am {age}.",
             "My problem is {complaint}, which started {duration} ago.")
_DETAILS = ("It is worse in the evening and better after I rest.", "It comes and goes, mostly after meals.",
            "Nobody else in my family has had anything like this.", "It wakes me up at night sometimes.",
            "I do not smoke and I exercise a few times a week.")
_TRIED = ("I already tried {advice} but it did not help much.", "My pharmacist suggested {advice}.", "")
_ASKS = ("Should I be worried, and which tests should I ask for?", "Is this serious or can I wait and see?",
         "What would you recommend?")
_DOCTOR_OPENINGS = ("Thank you for your question.", "Thanks for the detailed description.",
                    "I understand why this worries you.")
_DOCTOR_CAUSES = ("The most likely causes are {cause} or {other}.", "This often turns out to be {cause}.",
                  "Given your age, {cause} is the first thing I would think of.")
_DOCTOR_ADVICE = ("I would suggest {advice} as a first step.", "Please consider {advice}.",
                  "{Advice} usually helps to sort this out.")
_DOCTOR_FLAGS = ("See a doctor promptly if you notice fever, weight loss or severe pain.",
                 "If it gets worse quickly, please go to an emergency department.", "")
_MEMBER_REPLIES = ("I had the same thing last year; {advice} helped me a lot.",
                   "My doctor said it was {cause}, nothing serious in the end.",
                   "Same here. It went away after a few weeks of {advice}.",
                   "Have you had your thyroid checked? Mine was the cause.")
_UPDATES = ("Update: the tests came back normal and it is slowly getting better.",
            "Update: I saw my doctor last week and we are trying {advice}.",
            "Edit: forgot to mention that I also feel very tired.")
FAQ_TOPICS = ("Preparing for your visit", "Test results", "Medicines", "Billing and insurance")
_FAQ_PAIRS = (("How do I prepare for a blood test?", "Most blood tests need no preparation; a fasting test needs "
                                                      "eight hours without food, water is fine."),
              ("When will my results be ready?", "Most results are ready within three working days."),
              ("Can I bring a family member?", "Yes, one companion may join you in the consultation room."),
              ("Do I need a referral?", "A referral is needed for specialist clinics, not for family medicine."),
              ("How do I renew a prescription?", "Ask at the pharmacy desk or through your patient account."),
              ("What should I bring?", "Bring your insurance card, a list of your medicines and earlier reports."))
ARTICLE_TOPICS = ("Understanding blood pressure readings", "Five facts about seasonal allergies",
                  "Sleep and your heart", "Staying active with back pain")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def asker(rng: Dice) -> str | None:
    """A person's name (60 %), a handle or placeholder (30 %), or nobody: the page names no author."""
    draw = rng.random()
    if draw < 0.6:
        return rng.pick(PERSON_ASKERS)
    return rng.pick(HANDLE_ASKERS) if draw < 0.9 else None


def greeted_name(name: str | None) -> str | None:
    """The word a reply greets the asker by ("Hi Anna,"), None for handles, placeholders and no author."""
    if name is None or name not in PERSON_ASKERS:
        return None
    return name.split()[0]


def title(rng: Dice, department: Department) -> tuple[str, str]:
    """(title, the complaint it is about)."""
    complaint = rng.pick(department.complaints)
    return rng.pick(_TITLES).format(complaint=complaint, Complaint=_capitalised(complaint)), complaint


def question(rng: Dice, department: Department, complaint: str) -> tuple[str, ...]:
    age, duration = rng.between(19, 78), rng.pick(("two weeks", "a month", "three months", "a year", "a few days"))
    first = rng.pick(_OPENINGS).format(age=age, duration=duration, complaint=complaint)
    lines = [_capitalised(first) + " " + rng.pick(_DETAILS)]
    if tried := rng.pick(_TRIED).format(advice=rng.pick(department.advice)):
        lines.append(tried)
    lines.append(rng.pick(_ASKS))
    return tuple(lines)


def doctor_reply(rng: Dice, department: Department, greeting: str | None) -> tuple[str, ...]:
    """A doctor's paragraphs; `greeting` (the asker's given name) opens the first one."""
    cause, other = rng.several(department.causes, 2)
    advice = rng.pick(department.advice)
    opening = rng.pick(_DOCTOR_OPENINGS)
    if greeting:
        opening = f"{rng.pick(_GREETINGS)} {greeting}, {opening[0].lower()}{opening[1:]}"
    lines = [opening + " " + rng.pick(_DOCTOR_CAUSES).format(cause=cause, other=other),
             rng.pick(_DOCTOR_ADVICE).format(advice=advice, Advice=_capitalised(advice))]
    if flag := rng.pick(_DOCTOR_FLAGS):
        lines.append(flag)
    return tuple(lines)


def member_reply(rng: Dice, department: Department) -> tuple[str, ...]:
    return (rng.pick(_MEMBER_REPLIES).format(advice=rng.pick(department.advice), cause=rng.pick(department.causes)),)


def update(rng: Dice, department: Department) -> str:
    return rng.pick(_UPDATES).format(advice=rng.pick(department.advice))


def faq_pairs(rng: Dice) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(topic, 2 to 5 question-answer pairs)."""
    return rng.pick(FAQ_TOPICS), tuple(rng.several(_FAQ_PAIRS, rng.between(2, 5)))
