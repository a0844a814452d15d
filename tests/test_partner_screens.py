"""The partner directory's pages, its CSV upload, a home's council area and partner contacts on
the home's page, and the partners covering its area on the contact's link page (issue 17)."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from facilitator.clock import local_today
from facilitator.conditions.partners import PartnerData, save_partner
from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import CareHome, Partner, PartnerContact
from tests.support.factories import csrf_token


def partner(name: str, areas: list[str], specialisms: list[str], **kw: str) -> Partner:
    saved = save_partner(PartnerData(name=name, areas=areas, specialisms=specialisms, **kw))
    db.session.commit()
    return saved


def partner_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Partner))


def test_the_directory_filters_by_area_and_specialism(auth, client):
    partner("Fife Rape and Sexual Assault Centre", ["fife"], ["sexual_violence", "older_adults"],
            website="https://www.frasac.org.uk")
    partner("Cruse Scotland", ["fife", "highland"], ["bereavement"])
    auth.login("lead")
    everyone = client.get("/partners").get_data(as_text=True)
    assert "Fife Rape and Sexual Assault Centre" in everyone and "Cruse Scotland" in everyone
    assert 'href="https://www.frasac.org.uk"' in everyone
    assert "Add a partner" not in everyone  # leads read only
    highland = client.get("/partners?local_authority=highland").get_data(as_text=True)
    assert "Cruse Scotland" in highland and "Fife Rape" not in highland
    older = client.get("/partners?specialism=older_adults&local_authority=fife").get_data(as_text=True)
    assert "Fife Rape" in older and "Cruse Scotland" not in older
    assert client.get("/partners?local_authority=gotham").status_code == 200  # filters nothing


def test_the_partner_form_shows_every_problem_at_once_and_saves_nothing(auth, client):
    auth.login("admin")
    response = auth.post("/partners/new", {"name": "", "website": "http://insecure.example",
                                           "email": "nope", "phone": "call us"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Enter the organisation&#39;s name.", "Choose at least one council area.",
                    "Choose at least one specialism.", "starting https://", "Enter a valid email address.",
                    "Enter a phone number"):
        assert message in html, message
    assert 'href="#areas-0"' in html and 'href="#specialisms-0"' in html  # the summary links to each
    assert partner_count() == 0


def test_an_admin_adds_and_edits_a_partner(auth, client):
    auth.login("admin")
    response = auth.post("/partners/new", {"name": "Age Scotland", "areas": ["fife", "angus"],
                                           "specialisms": ["older_adults"],
                                           "website": "https://www.age.scot", "referral_route": "Helpline"})
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = db.session.scalar(select(Partner))
    assert (saved.areas, saved.specialisms, saved.website) == (["angus", "fife"], ["older_adults"],
                                                               "https://www.age.scot")
    form = client.get(f"/partners/{saved.id}/edit").get_data(as_text=True)
    ticked = set(re.findall(r'<input checked id="areas-\d+" name="areas" type="checkbox" value="(\w+)"',
                            form))
    assert ticked == {"angus", "fife"}
    response = auth.post(f"/partners/{saved.id}/edit", {"name": "Age Scotland", "areas": ["angus"],
                                                        "specialisms": ["older_adults", "dementia"],
                                                        "website": ""})
    assert response.status_code == 302
    db.session.rollback()
    again = db.session.get(Partner, saved.id)
    assert (again.areas, again.specialisms, again.website) == (["angus"], ["older_adults", "dementia"], "")


def _upload(auth, text: str):
    html = auth.client.get("/partners/import").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "file": (io.BytesIO(("\ufeff" + text).encode()), "partners.csv")}
    return auth.client.post("/partners/import", data=data, content_type="multipart/form-data")


def test_the_csv_upload_lists_each_bad_row_and_imports_nothing(auth):
    auth.login("admin")
    response = _upload(auth, "name,areas,specialisms\nGood One,fife,other\nBad One,Gotham,other\n")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html and "<td>3</td><td>areas</td>" in html
    assert partner_count() == 0
    response = _upload(auth, "name,areas,specialisms\nGood One,fife,other\nGood Two,all,dementia\n")
    assert response.status_code == 302
    assert partner_count() == 2


def test_the_home_form_offers_the_council_areas(auth, client, make):
    auth.login("admin")
    home = make.home(region="East Neuk")
    form = client.get(f"/homes/{home.id}/edit").get_data(as_text=True)
    assert '<option value="na_h_eileanan_siar">Na h-Eileanan Siar</option>' in form
    response = auth.post(f"/homes/{home.id}/edit", {"name": home.name, "local_authority": "gotham"})
    assert response.status_code == 422 and "council areas" in response.get_data(as_text=True)
    saved = auth.post(f"/homes/{home.id}/edit", {"name": home.name, "local_authority": "fife"})
    assert saved.status_code == 302
    db.session.rollback()
    assert db.session.get(CareHome, home.id).local_authority == "fife"
    assert "<dt>Council area</dt><dd>Fife</dd>" in client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "<td>Fife</td>" in client.get("/homes").get_data(as_text=True)


def test_a_facilitator_of_the_homes_group_records_a_partner_contact(auth, client, make):
    found = partner("Fife Rape and Sexual Assault Centre", ["fife"], ["sexual_violence"])
    elsewhere = partner("Highland Hub", ["highland"], ["other"])
    facilitator = make.user("facilitator")
    home = make.home(local_authority="fife")
    make.group(facilitators=[facilitator], homes=[home])
    auth.login(facilitator)
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "Record a partner contact" in page
    form = client.get(f"/homes/{home.id}/partner-contacts/new").get_data(as_text=True)
    assert form.index(found.name) < form.index("Highland Hub (not covering this home")
    url = f"/homes/{home.id}/partner-contacts/new"
    refused = auth.post(url, {"partner_id": "", "contacted_on": "", "outcome": ""})
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).count('class="field-error"') == 3
    saved = auth.post(url, {"partner_id": str(found.id), "contacted_on": local_today().isoformat(),
                            "outcome": "Staff session agreed", "next_step": "Send dates"})
    assert saved.status_code == 302
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "Staff session agreed" in page and "Send dates" in page and facilitator.name in page
    assert elsewhere.name not in page


def test_other_facilitators_cannot_record_a_homes_partner_contacts(auth, client, make):
    home = make.home()
    make.group(facilitators=[make.user("facilitator")], homes=[home])
    auth.login("facilitator")
    assert "Record a partner contact" not in client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert client.get(f"/homes/{home.id}/partner-contacts/new").status_code == 403
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PartnerContact)) == 0


def test_the_homes_link_page_shows_the_partners_covering_its_area(client, make):
    partner("Fife Rape and Sexual Assault Centre", ["fife"], ["sexual_violence", "older_adults"],
            phone="01592 642336", referral_route="Self-referral by phone.")
    partner("Highland Hub", ["highland"], ["other"])
    home = make.home(local_authority="fife")
    token = mint_contact_token(home.contacts[0])
    db.session.commit()
    html = client.get(f"/h/{token}").get_data(as_text=True)
    assert "Organisations that can help in Fife" in html
    assert "Fife Rape and Sexual Assault Centre" in html and "Self-referral by phone." in html
    assert 'href="tel:01592642336"' in html and "Highland Hub" not in html
    unplaced = make.home()
    other = mint_contact_token(unplaced.contacts[0])
    db.session.commit()
    assert "Organisations that can help" not in client.get(f"/h/{other}").get_data(as_text=True)
