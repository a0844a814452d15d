"""The stylesheet in Chromium: every form's primary button looks like a button, radios sit by their labels.

The pages are the accessibility suite's (every main page as the person who uses it); on each, the
primary submit control of every form must have the computed look of an ``<a class="button">`` with
the same classes in the same place, not a text field's. Radios are checked on the reschedule and
cancel pages of a series, where the "this session / this and later" choice is.
"""

from __future__ import annotations

import uuid
from itertools import groupby

from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import MeetingSession
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility_browser import ACCOUNTS, PAGES, seed
from tests.support.factories import PASSWORD

# For each form's primary submit control: how it differs from an <a> with its classes, put beside it,
# and from a text field. An empty list: it looks like a button.
BUTTON_PROBLEMS = r"""() => {
  const visible = e => e.checkVisibility({visibilityProperty: true});
  const look = e => { const s = getComputedStyle(e);
    return {background: s.backgroundColor, color: s.color, border: s.borderTopColor,
            radius: s.borderTopLeftRadius, weight: s.fontWeight, width: e.getBoundingClientRect().width}; };
  const probe = document.createElement('input');
  probe.type = 'text';
  document.querySelector('main').append(probe);
  const field = look(probe);
  probe.remove();
  const problems = [];
  for (const form of document.querySelectorAll('form')) {
    const submits = [...form.querySelectorAll(
      'input[type=submit], input[type=button], button:not([type]), button[type=submit]')].filter(visible);
    if (!submits.length) { continue; }
    const primary = submits.find(b => !b.matches('.secondary')) || submits[0];
    const name = (primary.value || primary.innerText).trim();
    if (!primary.matches('.button')) { problems.push(`${name}: no .button class`); continue; }
    const twin = document.createElement('a');
    twin.className = primary.className;
    twin.textContent = name;
    primary.after(twin);
    const want = look(twin), got = look(primary);
    twin.remove();
    for (const key of ['background', 'color', 'border', 'radius', 'weight']) {
      if (want[key] !== got[key]) {
        problems.push(`${name}: ${key} ${got[key]}, a .button has ${want[key]}`);
      }
    }
    if (!primary.matches('.secondary') && got.background === field.background) {
      problems.push(`${name}: the background of a text field (${got.background})`);
    }
    if (got.border === field.border) { problems.push(`${name}: the border of a text field (${got.border})`); }
  }
  return problems;
}"""

# Each radio and its label's text: on one line (their boxes overlap vertically), the radio first and
# close to the text (not floated into the middle of a stretched box).
RADIO_PROBLEMS = r"""() => {
  const problems = [];
  const radios = [...document.querySelectorAll('input[type=radio]')];
  for (const radio of radios) {
    const label = radio.closest('label') || document.querySelector(`label[for="${radio.id}"]`);
    if (!label) { problems.push(`${radio.value}: no label`); continue; }
    const range = document.createRange();
    range.selectNodeContents(label);
    const box = radio.getBoundingClientRect();
    const text = [...range.getClientRects()].filter(r => r.width > 0 && r.left >= box.right - 1);
    const words = text.length ? text[0] : null;
    if (!words) { problems.push(`${radio.value}: no label text after the radio`); continue; }
    if (!(box.top < words.bottom && words.top < box.bottom)) {
      problems.push(`${radio.value}: at y ${box.top}-${box.bottom}, label ${words.top}-${words.bottom}`);
    }
    const gap = words.left - box.right;
    if (gap > 24) { problems.push(`${radio.value}: ${gap}px from its label`); }
    if (box.width > 40) { problems.push(`${radio.value}: ${box.width}px wide`); }
  }
  return {count: radios.length, problems};
}"""


def test_the_primary_button_of_every_form_is_styled_as_a_button(live_server, artefacts):
    world = seed(live_server)
    problems = {}
    for role, visits in groupby(sorted(PAGES, key=lambda v: v.role or ""), key=lambda v: v.role):
        page = artefacts.open(role or "anonymous", viewport={"width": 1280, "height": 900})
        if role is not None:
            sign_in(page, live_server, ACCOUNTS[role], PASSWORD)
        for visit in visits:
            response = page.goto(live_server.url + visit.path(world))
            assert response is not None and response.status == visit.status, visit.name
            if visit.then is not None:
                visit.then(page)
                page.wait_for_load_state("networkidle")  # a page it navigated to has its stylesheet
            if found := page.evaluate(BUTTON_PROBLEMS):
                problems[visit.name] = found
    assert problems == {}
    assert "book" in {v.name for v in PAGES}  # Book and Check the dates were among them


def test_radios_sit_beside_their_labels(live_server, page):
    world = seed(live_server)
    session = db.session.scalar(select(MeetingSession).where(MeetingSession.id == world.upcoming))
    session.series_id = str(uuid.uuid4())
    db.session.commit()
    sign_in(page, live_server, ACCOUNTS["facilitator"], PASSWORD)
    for path in (f"/sessions/{world.upcoming}/reschedule", f"/sessions/{world.upcoming}/cancel"):
        page.goto(live_server.url + path)
        found = page.evaluate(RADIO_PROBLEMS)
        assert found["count"] >= 2, path
        assert found["problems"] == [], path
