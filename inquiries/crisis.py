"""Does a message contain crisis language? A safety net, never a diagnosis.

When it does, the inquiry is still taken; it is flagged urgent and the person is shown
crisis resources straight away. A false alarm costs a kindly worded paragraph of phone
numbers; a miss can cost far more. So where the two pull apart, this errs towards
flagging. The decisions, each pinned by a test in tests/inquiries/test_crisis.py:

- **Phrases that always count** (`CRISIS_PHRASES`) speak of the writer's own state or
  intent ("kill myself", "I want to die", "I'm not safe"). They count wherever they
  appear, even after a negation ("I'm not going to kill myself, but...") and even when
  a clinician quotes a client: people in crisis often minimise, and a clinician who
  sees the resources loses nothing.
  They are matched across sentence marks and line breaks: "I want to... die".
- **Topic words** (`TOPIC_WORDS`: "suicide", "self-harm", "overdose", ...) are what a
  clinician writes to a clinician practice about its trainings. They count only in a
  sentence that is not about training or clinical work (`TOPIC_CONTEXT`): "the suicide
  prevention training for our team" does not count, "suicide has been on my mind" does.
  The context is judged per sentence, so "We'd like a self-harm workshop. I have been
  self-harming myself." still counts.
- **Near-misses** that contain none of the above never count: "a killer workshop",
  "I'm dying to attend", "this training is to die for", "it is not safe to assume".
- Slang that collides with ordinary words is left out: "kms" is also kilometres.
- **English and Dutch**, each with its own phrases, topic words and context words, all
  checked on every message (people mix them, and a form's language says little about the
  writer's). Dutch follows the same rules: "ik wil dood", "ik zie het niet meer zitten"
  and 113's own "van mij hoeft het niet meer" always count; "zelfmoord", "zelfdoding",
  "suïcide" count outside talk of training ("een training over zelfdoding voor ons team"
  does not). Dutch moves its verbs, so the personal phrases come in each order ("ik wil
  dood", "soms wil ik dood", "... dat ik dood wil"). A compound is one word:
  "zelfmoordpreventie" is no topic word. Near-misses: "ik ga dood van het lachen",
  "doodmoe", "de deadline is dodelijk"; and "ik kan niet meer" is left out, as it is also
  "I can no longer" ("ik kan niet meer komen op dinsdag"): "ik kan niet meer verder"
  counts.

Text is compared after `normalise`: case folded, apostrophes of every kind dropped (so
"don't" and "dont" agree, however the apostrophe was typed), common contractions joined
("I am" reads as "im") and Dutch short forms written out ("m'n" reads as "mijn", "'k" as
"ik", "'t" as "het", "mijzelf" as "mezelf"), every other punctuation mark or run of
whitespace a single space, sentences kept apart. Accents stay as typed, so a Dutch word
people write both ways ("suïcide", "suicide") is listed both ways.
"""

import re
import unicodedata

from django.conf import settings

from config.text import active_language

CRISIS_PHRASES: tuple[str, ...] = (
    # Suicide, in the writer's own words.
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "end my own life",
    "take my life",
    "take my own life",
    "taking my own life",
    "end it all",
    "ending it all",
    "unalive myself",
    "want to die",
    "wanna die",
    "wish i was dead",
    "wish i were dead",
    "better off dead",
    "better off without me",
    "no reason to live",
    "nothing to live for",
    "no point in living",
    "not worth living",
    "dont want to live",
    "dont want to be alive",
    "dont want to be here anymore",
    "dont want to exist",
    "cant go on anymore",
    "cant go on any more",
    "im thinking about suicide",
    "been thinking about suicide",
    "been thinking of suicide",
    "im considering suicide",
    "ive suicidal thoughts",
    "having suicidal thoughts",
    "had suicidal thoughts",
    "my suicidal thoughts",
    "im suicidal",
    "feel suicidal",
    "feeling suicidal",
    "felt suicidal",
    "been suicidal",
    "hang myself",
    # Self-harm, in the writer's own words.
    "hurt myself",
    "hurting myself",
    "harm myself",
    "harming myself",
    "cut myself",
    "cutting myself",
    "i self harm",
    "been self harming",
    "im self harming",
    # Overdose, as something done or planned.
    "took an overdose",
    "take an overdose",
    "taking an overdose",
    "i overdosed",
    # Immediate danger.
    "im not safe",
    "dont feel safe",
    "not safe at home",
    "not safe with myself",
    "im in danger",
    "in immediate danger",
    "my life is in danger",
    "fear for my life",
    "afraid for my life",
    "scared for my life",
    "going to kill me",
    "going to hurt me",
    "threatened to kill me",
    # Dutch: suicide, in the writer's own words.
    "wil dood",
    "wil ik dood",
    "wil gewoon dood",
    "wil echt dood",
    "wil liever dood",
    "ben liever dood",
    "was ik maar dood",
    "dat ik dood was",
    "wil doodgaan",
    "wil dood gaan",
    "wil niet meer leven",
    "wil ik niet meer leven",
    "wil niet langer leven",
    "wil niet meer bestaan",
    "wil er niet meer zijn",
    "wil ik er niet meer zijn",
    "wil niet meer wakker worden",
    "nooit meer wakker worden",
    "nooit meer wakker te worden",
    "van mij hoeft het niet meer",
    "het niet meer zitten",  # ik zie het niet meer zitten
    "het echt niet meer zitten",
    "het leven niet meer zitten",
    "zie geen uitweg meer",
    "ik zie geen uitweg",
    "ik kan niet meer verder",
    "ik kan zo niet verder",
    "ik kan zo niet meer verder",
    "einde aan mijn leven",
    "eind aan mijn leven",
    "mijn leven beëindigen",
    "mijn leven beeindigen",
    "mijn leven te beëindigen",
    "mijn leven te beeindigen",
    "wil er een einde aan maken",
    "wil er een eind aan maken",
    "ga er een einde aan maken",
    "ga er een eind aan maken",
    "maak er een einde aan",
    "maak er een eind aan",
    "uit het leven stappen",
    "uit het leven te stappen",
    "mezelf van het leven beroven",
    "mezelf van kant",
    "mezelf ophangen",
    "mezelf op te hangen",
    "mezelf iets aandoen",
    "mezelf iets aan te doen",
    "doe mezelf iets aan",
    # A subordinate clause puts the verbs last: "... dat ik mezelf iets aandoe".
    "mezelf iets aandoe",
    "mezelf iets ga aandoen",
    "mezelf iets zal aandoen",
    "ik dood wil",
    "niet meer wil leven",
    "er niet meer wil zijn",
    "het niet meer zie zitten",
    "er een einde aan wil maken",
    "er een eind aan wil maken",
    "zelfmoord wil plegen",
    "mezelf pijn doe",
    "wil zelfmoord plegen",
    "ga zelfmoord plegen",
    "denk aan zelfmoord",
    "denk ik aan zelfmoord",
    "denk aan zelfdoding",
    "denk ik aan zelfdoding",
    "denk erover om zelfmoord te plegen",
    "ik heb zelfmoordgedachten",
    "ik heb suïcidale gedachten",
    "ik heb suicidale gedachten",
    "ik ben suïcidaal",
    "ik ben suicidaal",
    "voel me suïcidaal",
    "voel me suicidaal",
    "geen reden om te leven",
    "niets om voor te leven",
    "niks om voor te leven",
    "leven heeft geen zin meer",
    "geen zin meer in het leven",
    "beter af zonder mij",
    # Dutch: self-harm, in the writer's own words.
    "mezelf pijn doen",
    "mezelf pijn te doen",
    "doe mezelf pijn",
    "mezelf beschadigen",
    "mezelf te beschadigen",
    "beschadig mezelf",
    "mezelf verwonden",
    "verwond mezelf",
    "mezelf snijden",
    "snijd mezelf",
    "snij mezelf",
    # Dutch: overdose, as something done or planned.
    "een overdosis genomen",
    "een overdosis nemen",
    "een overdosis te nemen",
    # Dutch: immediate danger.
    "ik ben niet veilig",
    "voel me niet veilig",
    "niet veilig thuis",
    "ik ben in gevaar",
    "mijn leven is in gevaar",
    "in acuut gevaar",
    "vrees voor mijn leven",
    "bang voor mijn leven",
    "gaat me vermoorden",
    "wil me vermoorden",
    "dreigt me te vermoorden",
    "dreigde me te vermoorden",
    "gedreigd me te vermoorden",
    "gaat me iets aandoen",
    "me gaat vermoorden",
    "me wil vermoorden",
    "me iets gaat aandoen",
)

TOPIC_WORDS: tuple[str, ...] = (
    "suicide",
    "suicidal",
    "self harm",
    "self harms",
    "self harming",
    "selfharm",
    "self injury",
    "overdose",
    "overdoses",
    "overdosed",
    "overdosing",
    # Dutch.
    "zelfmoord",
    "zelfdoding",
    "suïcide",
    "suïcidaal",
    "suicidaal",
    "suïcidale",
    "suicidale",
    "zelfmoordgedachten",
    "suïcidegedachten",
    "suicidegedachten",
    "doodsgedachten",
    "doodswens",
    "zelfbeschadiging",
    "zelfverwonding",
    "automutilatie",
    "overdosis",
)

# A sentence with one of these is about the practice's work, not the writer's state.
TOPIC_CONTEXT: tuple[str, ...] = (
    "prevention",
    "awareness",
    "postvention",
    "training",
    "trainings",
    "workshop",
    "workshops",
    "course",
    "seminar",
    "webinar",
    "curriculum",
    "module",
    "lecture",
    "protocol",
    "policy",
    "risk assessment",
    "research",
    "supervision",
    "client",
    "clients",
    "patient",
    "patients",
    "students",
    "staff",
    "employees",
    "colleagues",
    "team",
    "teams",
    "nurses",
    "professionals",
    "responders",
    # Dutch.
    "preventie",
    "trainingen",
    "cursus",
    "cursussen",
    "scholing",
    "nascholing",
    "bijscholing",
    "opleiding",
    "lezing",
    "voorlichting",
    "bewustwording",
    "lesprogramma",
    "beleid",
    "richtlijn",
    "risicotaxatie",
    "onderzoek",
    "intervisie",
    "supervisie",
    "cliënt",
    "cliënten",
    "clienten",
    "patiënt",
    "patiënten",
    "patienten",
    "leerlingen",
    "studenten",
    "medewerkers",
    "personeel",
    "collega",
    "collegas",
    "verpleegkundigen",
    "hulpverleners",
    "zorgprofessionals",
    "docenten",
)

# Straight, right and left single quotes, grave and acute accents, modifier letter apostrophe.
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4\u02bc]")
# A lone line break is often just where a form wrapped the text; an empty line is not.
_SENTENCE_END = re.compile(r"[.!?;]+|\n\s*\n")
_NOT_A_WORD = re.compile(r"[\W_]+")
_CONTRACTIONS = {
    "i am": "im",
    "do not": "dont",
    "cannot": "cant",
    "can not": "cant",
    "i have": "ive",
    # Dutch short forms, written out: m'n, 'k, 't (the apostrophe is gone by now).
    "mn": "mijn",
    "k": "ik",
    "t": "het",
    "mijzelf": "mezelf",
}


def normalise(text: str) -> list[str]:
    """The message as sentences of lower-case words, each padded with a space on both ends."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _APOSTROPHES.sub("", text)
    sentences = []
    for sentence in _SENTENCE_END.split(text):
        words = _NOT_A_WORD.sub(" ", sentence).split()
        if not words:
            continue
        padded = f" {' '.join(words)} "
        for long, short in _CONTRACTIONS.items():
            padded = padded.replace(f" {long} ", f" {short} ")
        sentences.append(padded)
    return sentences


def support_text() -> str:
    """The crisis resources for the active language: Dutch ones (113, 112) for Dutch."""
    if active_language() == "nl":
        return settings.CRISIS_SUPPORT_TEXT_NL
    return settings.CRISIS_SUPPORT_TEXT


def _contains(sentence: str, phrases: tuple[str, ...]) -> bool:
    return any(f" {phrase} " in sentence for phrase in phrases)


def mentions_crisis(text: str) -> bool:
    """True when the text contains crisis language, by the rules in this module's docstring."""
    sentences = normalise(text)
    # Personal phrases are matched across sentence marks too: "I want to... die".
    whole = " " + " ".join(sentence.strip() for sentence in sentences) + " "
    if _contains(whole, CRISIS_PHRASES):
        return True
    return any(
        _contains(sentence, TOPIC_WORDS) and not _contains(sentence, TOPIC_CONTEXT)
        for sentence in sentences
    )
