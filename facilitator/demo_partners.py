"""The demo's partner directory: real Scottish organisations (their names, websites and helpline
numbers are public facts; what we say of them and how to refer are our own words), each home's
council area, and one contact a facilitator recorded with a partner."""

from __future__ import annotations

from datetime import timedelta

from facilitator.admin.services import update_home
from facilitator.clock import local_today
from facilitator.conditions.areas import COUNCIL_AREAS, area_key
from facilitator.conditions.partners import ContactData, PartnerData, record_partner_contact, save_partner
from facilitator.models import CareHome, Partner, User

EVERYWHERE = list(COUNCIL_AREAS)
LOTHIANS = ["city_of_edinburgh", "east_lothian", "midlothian", "west_lothian"]
# name, areas, specialisms, website, phone, how to refer (ours)
PARTNERS = [
    ("Rape Crisis Scotland", EVERYWHERE, ["sexual_violence"], "https://www.rapecrisisscotland.org.uk",
     "08088 01 03 02", "National helpline, free and confidential, for anyone affected by sexual violence, "
     "at any time in their life; it can put a resident or staff member in touch with their local centre."),
    ("Edinburgh Rape Crisis Centre", LOTHIANS, ["sexual_violence"], "https://www.ercc.scot", "",
     "Support for survivors in Edinburgh and the Lothians; self-referral, or a home can refer with the "
     "person's consent."),
    ("Hourglass Scotland", EVERYWHERE, ["older_adults", "domestic_abuse"],
     "https://www.wearehourglass.scot", "0808 808 8141",
     "Helpline on the abuse and neglect of older people, for residents, families and staff."),
    ("Scottish Women's Aid", EVERYWHERE, ["domestic_abuse"], "https://womensaid.scot", "0800 027 1234",
     "Scotland's Domestic Abuse and Forced Marriage Helpline, open at any hour; local Women's Aid groups."),
    ("Cruse Scotland", EVERYWHERE, ["bereavement"], "https://www.crusescotland.org.uk", "0808 802 6161",
     "Bereavement support by phone, online and in person; people refer themselves."),
    ("Age Scotland", EVERYWHERE, ["older_adults"], "https://www.age.scot", "0800 12 44 222",
     "Helpline and information for older people and those who care for them."),
    ("Alzheimer Scotland", EVERYWHERE, ["dementia"], "https://www.alzscot.org", "0808 808 3000",
     "24-hour dementia helpline; dementia advisers and local resource centres."),
    ("Breathing Space", EVERYWHERE, ["mental_health"], "https://breathingspace.scot", "0800 83 85 87",
     "Free, confidential phone line for anyone feeling low, anxious or stressed, staff included."),
    ("Scottish Families Affected by Alcohol & Drugs", EVERYWHERE, ["substance_use"], "https://www.sfad.org.uk",
     "08080 10 10 11", "Helpline and support for families worried about someone's alcohol or drug use."),
]
REGION_AREAS = {"Glasgow": "glasgow_city", "Edinburgh": "city_of_edinburgh"}
CHECKED_WEEKS_AGO = 3  # the directory shows the demo's details as recently confirmed


def load_partners(homes: list[CareHome], facilitator: User) -> list[Partner]:
    """The directory, each home's council area from its region, and ``facilitator``'s contact with
    a partner for the first home of theirs in the Lothians (flushes; the caller commits)."""
    checked = local_today() - timedelta(weeks=CHECKED_WEEKS_AGO)
    partners = [save_partner(PartnerData(name, areas, specialisms, route, website, phone,
                                         last_checked_on=checked))
                for name, areas, specialisms, website, phone, route in PARTNERS]
    for home in homes:
        update_home(home, local_authority=REGION_AREAS.get(home.region) or area_key(home.region))
    lothian = next(h for h in homes if h.local_authority in LOTHIANS)
    record_partner_contact(facilitator, lothian, ContactData(
        partners[1].id, local_today() - timedelta(days=12),
        "Spoke with the centre's outreach worker: they offer a session for care staff on supporting "
        "older survivors.", "Agree a date with the manager for the staff session."))
    return partners
