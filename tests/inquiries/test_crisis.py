"""The safety net's phrase list: what must count as crisis language, and what must not.

The decisions behind each group are in inquiries/crisis.py.
"""

import pytest

from inquiries import crisis


@pytest.mark.parametrize(
    "message",
    [
        "I want to kill myself.",
        "Sometimes I think about ending my life.",
        "I've been thinking about suicide a lot lately.",
        "I feel suicidal most evenings.",
        "I'm suicidal and my team lead doesn't know.",
        "Honestly I just want to die.",
        "I wish I was dead.",
        "There is no reason to live any more.",
        "I have nothing to live for.",
        "I don't want to live like this.",
        "I don\u2019t want to be alive",  # a typographic apostrophe
        "I dont want to be here anymore",  # no apostrophe at all
        "I do not want to live.",
        "I can't go on anymore.",
        "I have been self-harming again.",
        "I self harm when it gets too much.",
        "I keep hurting myself.",
        "I am scared I will hurt myself.",
        "Last week I took an overdose.",
        "I am not safe.",
        "I'm not safe at home.",
        "I don't feel safe with my partner.",
        "I am in immediate danger.",
        "He said he is going to kill me.",
        "I fear for my life.",
        "Everyone would be better off without me.",
        # Topic words outside any talk of training or clinical work.
        "Suicide has been on my mind.",
        "My daughter self-harms and I don't know what to do.",
        "I have been thinking of an overdose.",
        "I have suicidal thoughts.",
        # Case, punctuation and spacing do not hide it.
        "I WANT TO DIE",
        "kill   myself",
        "I want to... die",
        "i want\tto\ndie",
        "Self\u2013harm",  # an en dash
        "I want to kill-myself",
        # A negation still counts: people in crisis often minimise.
        "I'm not going to kill myself, but I think about it.",
        "I'm not suicidal, just so tired.",
        # A clinician quoting a client in the writer's words still sees the resources.
        "My client said: I want to die.",
        # A training request does not hide a personal sentence next to it.
        "We'd like a suicide prevention training. I have been feeling suicidal myself.",
    ],
)
def test_crisis_language_counts(message):
    assert crisis.mentions_crisis(message) is True


@pytest.mark.parametrize(
    "message",
    [
        "",
        "I would like to book personal guidance about burnout.",
        "Your killer workshop on boundaries was wonderful.",
        "I'm dying to attend the next session!",
        "This training sounds to die for.",
        "We'd like to book the suicide prevention training for our team.",
        "The suicide prevention training for our team, 20 people.",
        "Could you run a self-harm awareness workshop for our school staff?",
        "We are looking for training on working with suicidal clients.",
        "Our nurses need an overdose response course.",
        "Do you offer supervision on suicide risk assessment?",
        "It is not safe to assume everyone knows the protocol.",
        "Our team doesn't have time to end the project this month.",
        "We live 20 kms from Utrecht.",
        "I'd kill for a seat in the spring workshop.",
        "The danger of burnout is real for our staff.",
    ],
)
def test_near_misses_do_not_count(message):
    assert crisis.mentions_crisis(message) is False


@pytest.mark.parametrize(
    "message",
    [
        "Ik wil dood.",
        "Soms wil ik dood.",
        "Ik wil gewoon dood, ik kan dit niet meer.",
        "Ik wil er niet meer zijn.",
        "Ik wil niet meer leven.",
        "Ik wil niet meer wakker worden.",
        "Van mij hoeft het niet meer.",
        "Ik zie het niet meer zitten.",
        "Ik zie het echt niet meer zitten",
        "Ik zie geen uitweg meer.",
        "Ik kan niet meer verder.",
        "Ik denk erover om een einde aan mijn leven te maken.",
        "Ik wil een eind aan m’n leven maken.",  # m'n, with a typographic apostrophe
        "Ik wil mijn leven beëindigen.",
        "Ik wil er een einde aan maken.",
        "Ik denk aan zelfmoord.",
        "Soms denk ik aan zelfdoding.",
        "Ik heb zelfmoordgedachten.",
        "Ik ben suïcidaal en mijn leidinggevende weet het niet.",
        "Ik ben suicidaal.",
        "Iedereen is beter af zonder mij.",
        "Ik ben bang dat ik mezelf iets aandoe.",
        "Ik ben bang dat ik mijzelf iets ga aandoen.",
        "Ik doe mezelf pijn als het te veel wordt.",
        "Vorige week heb ik een overdosis genomen.",
        "Ik ben niet veilig thuis.",
        "Ik voel me niet veilig bij mijn partner.",
        "Hij zegt dat hij me gaat vermoorden.",
        "Ik ben bang dat ik het niet meer zie zitten.",
        "Ik weet niet of ik er nog wel wil zijn, soms denk ik dat ik dood wil.",
        "Ik vrees voor mijn leven.",
        # Topic words outside any talk of training or clinical work.
        "Zelfmoord speelt al weken door mijn hoofd.",
        "Mijn dochter doet aan zelfbeschadiging en ik weet niet wat ik moet doen.",
        "Zelfdoding is iets waar ik veel aan denk.",
        # Case, punctuation and spacing do not hide it.
        "IK WIL DOOD",
        "ik   wil\ndood",
        "Ik wil... er niet meer zijn",
        "'k wil dood",
        "Ik zie 't niet meer zitten",
        # A negation still counts: people in crisis often minimise.
        "Ik ga mezelf echt niks aandoen hoor, maar ik wil niet meer leven.",
        # A clinician quoting a client in the writer's words still sees the resources.
        "Mijn cliënt zei: ik wil dood.",
        # A training request does not hide a personal sentence next to it.
        "We willen een training over zelfdoding. Ik denk zelf ook aan zelfmoord.",
        # Both languages in one message.
        "Sorry for my English. Ik wil er niet meer zijn.",
    ],
)
def test_dutch_crisis_language_counts(message):
    assert crisis.mentions_crisis(message) is True


@pytest.mark.parametrize(
    "message",
    [
        "Ik wil graag persoonlijke begeleiding bij een burn-out.",
        "Ik ga dood van het lachen om die casus.",
        "Ik ben doodmoe na deze week.",
        "De deadline is dodelijk voor ons team.",
        "Die workshop was dodelijk saai.",
        "Ik schrok me dood toen ik de prijs zag.",
        "Ik zou een moord doen voor een plek in de voorjaarsworkshop.",
        "We zoeken een training zelfmoordpreventie voor ons team.",
        "Kunt u een workshop over zelfbeschadiging geven voor onze docenten?",
        "Onze verpleegkundigen zoeken een cursus over suïcide bij cliënten.",
        "Heeft u scholing over zelfdoding voor hulpverleners?",
        "Doen jullie intervisie over risicotaxatie bij suïcidale patiënten?",
        "Het is niet veilig om aan te nemen dat iedereen het protocol kent.",
        "Ik kan niet meer komen op dinsdag, kan ik omboeken?",
        "Ik zie het helemaal zitten!",
        "We willen een einde maken aan de lange wachtlijst.",
        "Mijn leven is druk, dus ik zoek een avondsessie.",
        "Het gevaar van een burn-out is echt voor ons personeel.",
    ],
)
def test_dutch_near_misses_do_not_count(message):
    assert crisis.mentions_crisis(message) is False


@pytest.mark.parametrize("phrase", crisis.CRISIS_PHRASES + crisis.TOPIC_WORDS)
def test_every_curated_phrase_is_in_normal_form_and_counts_alone(phrase):
    # A phrase written with an apostrophe or capital would never match a normalised text.
    assert crisis.normalise(phrase) == [f" {phrase} "]
    assert crisis.mentions_crisis(phrase)


@pytest.mark.parametrize("phrase", crisis.TOPIC_CONTEXT)
def test_every_context_word_is_in_normal_form(phrase):
    assert crisis.normalise(phrase) == [f" {phrase} "]


def test_normalise_keeps_sentences_apart_and_joins_contractions():
    assert crisis.normalise("I AM here.  I don\u2019t know\nCan not\n\nOK") == [
        " im here ",
        " i dont know cant ",
        " ok ",
    ]


def test_topic_context_is_judged_per_paragraph_not_per_wrapped_line():
    assert not crisis.mentions_crisis("We would like the suicide\nprevention training.")
    assert crisis.mentions_crisis("We would like a training.\n\nSuicide is on my mind.")


def test_normalise_writes_out_dutch_short_forms():
    assert crisis.normalise("’k Zie ’t niet meer zitten met m’n MIJZELF") == [
        " ik zie het niet meer zitten met mijn mezelf "
    ]


def test_support_text_follows_the_active_language(settings):
    from django.utils import translation

    with translation.override("nl"):
        assert crisis.support_text() == settings.CRISIS_SUPPORT_TEXT_NL
    with translation.override("en"):
        assert crisis.support_text() == settings.CRISIS_SUPPORT_TEXT
