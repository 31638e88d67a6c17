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
- English only, for now; a message in another language is not checked.

Text is compared after `normalise`: case folded, apostrophes of every kind dropped (so
"don't" and "dont" agree, however the apostrophe was typed), common contractions joined
("I am" reads as "im"), every other punctuation mark or run of whitespace a single
space, sentences kept apart.
"""

import re
import unicodedata

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
