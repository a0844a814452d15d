"""The demo's resource library: real, public NTTP / NES / Scottish Government resources. Titles
and addresses are public facts (where a deep link could not be confirmed, the programme's own top
page stands in); the descriptions are our own words."""

from __future__ import annotations

from facilitator.clock import local_today
from facilitator.models import Resource, User
from facilitator.resources.services import ResourceData, save_resource

NTTP_SITE = "https://www.traumatransformation.scot/"
NES_SITE = "https://www.nes.scot.nhs.uk/"
GOV_SCOT = "https://www.gov.scot/publications/"
# title, publisher, url, format, level, topics, minutes, paper-friendly, description (ours)
RESOURCES = [
    ("Transforming Psychological Trauma: A Knowledge and Skills Framework for the Scottish Workforce",
     "nes", NTTP_SITE, "document", "informed", ["framework", "knowledge and skills"], None, True,
     "The 2017 framework behind every NTTP resource: what each part of the workforce needs to know "
     "and do, from trauma-informed to trauma-specialist."),
    ("The Scottish Psychological Trauma Training Plan", "nes", NTTP_SITE, "document", "skilled",
     ["framework", "leadership"], None, True,
     "Companion to the framework: how a manager works out which staff need which level of training."),
    ("Introduction to the National Trauma Training Programme", "nes", "https://learn.nes.nhs.scot/37896",
     "e_module", "informed", ["introduction"], None, False,
     "Turas Learn site gathering the programme's openly available training in one place; a good first "
     "stop for a new team leader."),
    ("Opening Doors: Trauma Informed Practice for the Workforce", "nes", NES_SITE, "animation", "informed",
     ["introduction", "staff wellbeing"], 9, False,
     "Short animation for any worker on how trauma can shape people's reactions to services; some "
     "scenes are hard to watch, so show it with support on hand."),
    ("Sowing Seeds: Trauma Informed Practice for Anyone Working with Children and Young People", "nes",
     NES_SITE, "animation", "informed", ["introduction", "children and young people"], None, False,
     "The companion animation to Opening Doors, about trauma in childhood; useful for staff thinking "
     "about residents' early lives."),
    ("Developing Your Trauma Skilled Practice", "nes", NES_SITE, "e_module", "skilled",
     ["impact of trauma", "mental health", "substance use"], 90, False,
     "A set of NES e-learning modules, each about an hour and a half, for staff in regular contact with "
     "people affected by trauma."),
    ("Trauma-Informed Practice: A Toolkit for Scotland", "scottish_government",
     GOV_SCOT + "trauma-informed-practice-toolkit-scotland/", "document", "enhanced",
     ["leadership", "organisations"], None, True,
     "The 2021 toolkit of questions for services planning trauma-informed change (since followed by "
     "the 2023 Roadmap)."),
    ("Roadmap for Creating Trauma-Informed and Responsive Change: Guidance for Organisations, Systems "
     "and Workforces in Scotland", "nttp", NTTP_SITE, "document", "enhanced",
     ["leadership", "organisations", "staff wellbeing"], None, True,
     "The 2023 self-assessment for an organisation's journey, with a checklist a home's managers can "
     "work through together."),
    ("Scottish Trauma Informed Leaders Training (STILT)", "nes",
     "https://www.nes.scot.nhs.uk/nes-current/five-years-of-scottish-trauma-informed-leaders-training-stilt/",
     "other", "enhanced", ["leadership"], None, False,
     "Training for senior leaders who can change how a service runs; suits a home's manager or sponsor."),
    ("National Trauma Training Programme - local delivery trials: interim evaluation",
     "scottish_government",
     GOV_SCOT + "interim-evaluation-national-trauma-training-programme-local-delivery-trials/",
     "document", "specialist", ["evaluation"], None, True,
     "What the first local trials of the programme learned about rolling training out."),
    ("National Trauma Transformation Programme - local authority delivery trials: follow-up "
     "evaluation - final report", "scottish_government",
     GOV_SCOT + "follow-up-evaluation-national-trauma-transformation-programme-local-authority-"
     "delivery-trials-final-report/", "document", "specialist", ["evaluation", "leadership"], None, True,
     "The follow-up on three trial areas: what helped trauma-informed practice take root, such as a "
     "dedicated lead and sustained input."),
    ("Companion documents: adopting a trauma-informed approach", "other",
     "https://www.improvementservice.org.uk/products-and-services/consultancy-and-support/"
     "adopting-a-trauma-informed-approach/tools-and-resources/companion-documents",
     "document", "skilled", ["older adults", "domestic abuse", "staff wellbeing"], None, True,
     "Improvement Service series, with NTTP partners, on trauma-informed practice in different policy "
     "areas, with reflective questions for a team."),
]


def load_resources(author: User) -> list[Resource]:
    """The library, as added by ``author`` (flushes; the caller commits)."""
    checked = local_today()
    return [save_resource(ResourceData(title, publisher, url, format, level, topics, minutes, paper,
                                       description, checked), user=author)
            for title, publisher, url, format, level, topics, minutes, paper, description in RESOURCES]
