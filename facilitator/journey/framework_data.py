"""The default self-assessment framework, as data.

The ten implementation domains are those of the Scottish Government's *Trauma-Informed Practice:
A Toolkit for Scotland* (2021, Appendix 1), titled as published with a care-home gloss in
brackets where the toolkit's word reads oddly in a care home. Each domain is considered
against the toolkit's five principles. The prompts are our own words, written for a care home.
``key_question`` names the Care Inspectorate quality framework (care homes for adults) key
question a domain's answers can be reused for in the home's self-evaluation.

A framework is versioned: a new version is a new ``FrameworkSpec`` (a new row once published),
and a round keeps the version it was taken with. Domain keys are stable identifiers used in the
API (``ratings`` and ``domain_key``); never rename one within a version.
"""

from __future__ import annotations

from dataclasses import dataclass

SCALE: tuple[tuple[int, str], ...] = (
    (1, "Not yet started"),
    (2, "Getting started"),
    (3, "Developing"),
    (4, "Embedded"),
)
PRINCIPLES: tuple[str, ...] = ("Safety", "Trust", "Choice", "Collaboration", "Empowerment")
GAP_RATINGS = frozenset({1, 2})  # a domain rated this low can be turned into an action

KQ_WELLBEING = "1. How well do we support people's wellbeing?"
KQ_LEADERSHIP = "2. How good is our leadership?"
KQ_STAFF = "3. How good is our staff team?"
KQ_SETTING = "4. How good is our setting?"
KQ_PLANNING = "5. How well is our care and support planned?"


@dataclass(frozen=True)
class DomainSpec:
    key: str
    title: str
    prompts: tuple[str, ...]
    key_question: str | None = None


@dataclass(frozen=True)
class FrameworkSpec:
    name: str
    version: str
    domains: tuple[DomainSpec, ...]

    def domain_keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.domains)


TOOLKIT_2021 = FrameworkSpec(
    name="Trauma-Informed Practice: A Toolkit for Scotland — organisational assessment for care homes",
    version="2021.1",
    domains=(
        DomainSpec("governance", "Governance, management and leadership", (
            "Does the home's leadership team say, in writing and in practice, that becoming "
            "trauma-informed is a priority?",
            "Is a named senior person responsible for the home's trauma-informed work, with time to do it?",
            "Do managers notice and respond to the emotional impact of the work on staff?",
        ), KQ_LEADERSHIP),
        DomainSpec("policy", "Policy", (
            "Have the home's policies (admissions, complaints, restraint, end of life care) been "
            "read with the five principles in mind?",
            "Do policies avoid practices that could re-traumatise residents, such as unexplained "
            "personal care or loss of choice?",
            "Do residents and families know how policies affect them, in words they understand?",
        ), KQ_LEADERSHIP),
        DomainSpec("lived_experience",
                   "Engagement and involvement of survivors (people with lived experience)", (
            "Are residents, families and staff with lived experience of trauma asked how the home "
            "could feel safer?",
            "Is there a way for residents to shape everyday decisions that affect them, at their own pace?",
            "Are people who share their experience supported and thanked, and told what changed?",
        ), KQ_WELLBEING),
        DomainSpec("workforce", "Workforce development and support", (
            "Have all staff completed trauma-informed training at the level their role needs "
            "(informed for everyone, skilled for those giving care)?",
            "Do staff have regular, protected time for reflective practice or supervision?",
            "Is there support for staff affected by distress at work or by their own experiences?",
        ), KQ_STAFF),
        DomainSpec("environment", "Physical and emotional environment", (
            "Do residents feel safe in the building: noise, lighting, privacy, who comes into their room?",
            "Are care routines explained and consented to, with the resident's choices respected?",
            "Do new residents and their families get a calm, predictable welcome?",
        ), KQ_SETTING),
        DomainSpec("collaboration", "Cross-sector collaboration", (
            "Does the home know which local partners can help residents affected by trauma "
            "(for example Rape Crisis, bereavement or veterans' services)?",
            "Are there working links with health, social work and third-sector partners that staff can use?",
            "Is information shared with partners safely, with the resident's agreement?",
        ), KQ_PLANNING),
        DomainSpec("assessment", "Screening, assessment and treatment (assessment and support)", (
            "Do admission and care-planning conversations leave room for a resident to share past "
            "experiences, without being asked to?",
            "Do personal plans record what helps a resident feel safe and what may cause distress?",
            "Do staff know how to respond, and whom to tell, when a resident discloses trauma?",
        ), KQ_PLANNING),
        DomainSpec("finance", "Finance", (
            "Is there budget for training, backfill and protected time for trauma-informed work?",
            "Is protected time for PSL sessions and implementation tasks agreed and kept?",
            "Are the costs of changes to the environment planned for?",
        ), KQ_LEADERSHIP),
        DomainSpec("quality", "Progress monitoring and quality assurance", (
            "Does the home check its progress on its action plan at regular meetings?",
            "Are audits, care reviews and incident reviews used to spot where practice could be "
            "more trauma-informed?",
            "Are residents' and staff's experiences used as evidence of progress?",
        ), KQ_LEADERSHIP),
        DomainSpec("evaluation", "Evaluation", (
            "Does the home know what difference its trauma-informed work is making for residents and staff?",
            "Does it count what it can, such as how often trauma is mentioned in care plans or "
            "team discussions?",
            "Are the findings shared with staff, residents and families, and used to plan the next steps?",
        ), KQ_WELLBEING),
    ),
)

DEFAULT_FRAMEWORK = TOOLKIT_2021
