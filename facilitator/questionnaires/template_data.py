"""The default questionnaires, written for care-home staff in our own words.

The pre/post statements sit at the "informed" and "skilled" levels of the Knowledge and Skills
Framework for trauma-informed practice: knowing what trauma is and how it shows, and putting the
five principles (safety, trust, choice, collaboration, empowerment) into everyday care. Each
statement has a key that stays the same across versions, so pre and post compare by key.
"""

from __future__ import annotations

from dataclasses import dataclass

from facilitator.models import QuestionKind, QuestionnairePurpose

AGREEMENT_SCALE = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
USEFUL_SCALE = ("Not useful", "A little useful", "Quite useful", "Useful", "Very useful")


def scale_labels(purpose: str) -> tuple[str, ...]:
    return USEFUL_SCALE if purpose == QuestionnairePurpose.PULSE else AGREEMENT_SCALE


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    text: str
    kind: str = QuestionKind.SCALE.value


@dataclass(frozen=True)
class TemplateSpec:
    family: str
    title: str
    purpose: str
    introduction: str
    questions: tuple[QuestionSpec, ...]


PRE_POST = TemplateSpec(
    family="tip-confidence",
    title="Confidence in trauma-informed practice",
    purpose=QuestionnairePurpose.PRE_POST.value,
    introduction=("A few minutes, no names: how much do you agree with each statement today? "
                  "We ask again at the end of the programme to see what has changed."),
    questions=(
        QuestionSpec("what_trauma_is", "I understand what psychological trauma is and how common it is "
                     "among older people in care."),
        QuestionSpec("how_it_shows", "I can recognise how past trauma may show in a resident's mood, "
                     "behaviour or reactions to care."),
        QuestionSpec("staff_too", "I understand that trauma can affect staff and colleagues as well as "
                     "residents."),
        QuestionSpec("five_principles", "I can describe the five principles of trauma-informed practice: "
                     "safety, trust, choice, collaboration and empowerment."),
        QuestionSpec("everyday_care", "I know how everyday care, such as personal care, noise or being "
                     "rushed, can bring back distress, and how to avoid it."),
        QuestionSpec("feel_safe", "I feel confident helping a resident who is distressed to feel safe."),
        QuestionSpec("choice_control", "I routinely offer residents choice and control in their day-to-day "
                     "care."),
        QuestionSpec("own_wellbeing", "I know how to look after my own wellbeing after a hard shift, and "
                     "where to find support."),
        QuestionSpec("talk_with_team", "I feel able to talk with my team or manager about trauma-informed "
                     "ways of working."),
        QuestionSpec("anything_else", "Is there anything else you would like to tell us? (optional)",
                     QuestionKind.TEXT.value),
    ),
)

PULSE = TemplateSpec(
    family="session-pulse",
    title="After the session",
    purpose=QuestionnairePurpose.PULSE.value,
    introduction="Two quick questions about today's session. No names.",
    questions=(
        QuestionSpec("useful", "How useful was today?"),
        QuestionSpec("will_try", "One thing you'll try", QuestionKind.TEXT.value),
    ),
)

DEFAULT_TEMPLATES = (PRE_POST, PULSE)
