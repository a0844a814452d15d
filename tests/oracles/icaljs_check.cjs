// ical.js as a calendar oracle for the tests (driven by tests/support/oracles.py).
//
// Reads one JSON array of iCalendar texts per line on stdin and answers, per line on stdout, a
// JSON array of the same length: for each text, the list of problems ical.js found (empty when
// it reads the text cleanly). One process serves a whole pytest worker.
//
// A line {"expand": [texts]} asks instead for each text's occurrences as ical.js expands them
// (RRULE, EXDATE, RECURRENCE-ID overrides, in the text's own VTIMEZONE): per text, a list of
// [start, end] in UTC (ISO 8601), in order; an event without RRULE is its one occurrence.
"use strict";

const readline = require("node:readline");
const ICAL = require("ical.js");

function problemsOf(text) {
  try {
    return calendarProblems(text);
  } catch (error) {
    return [error.message];
  }
}

function calendarProblems(text) {
  let jcal;
  try {
    jcal = ICAL.parse(text);
  } catch (error) {
    return [`parse: ${error.message}`];
  }
  if (!Array.isArray(jcal) || typeof jcal[0] !== "string") {
    return ["parse: the text holds more than one top-level component"];
  }
  const problems = [];
  const calendar = new ICAL.Component(jcal);
  if (calendar.name !== "vcalendar") {
    problems.push(`the top-level component is ${calendar.name}, not VCALENDAR`);
  }
  problems.push(...valueProblems(calendar));
  const zones = new Set();
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    zones.add(vtimezone.getFirstPropertyValue("tzid"));
  }
  for (const [index, vevent] of calendar.getAllSubcomponents("vevent").entries()) {
    problems.push(...eventProblems(vevent, zones).map((p) => `VEVENT ${index + 1}: ${p}`));
  }
  const again = ICAL.parse(ICAL.stringify(jcal));
  if (JSON.stringify(again) !== JSON.stringify(jcal)) {
    problems.push("does not survive ical.js's own write and re-read unchanged");
  }
  return problems;
}

// ical.js reads a property's value only when asked for it: ask for every one.
function valueProblems(component) {
  const problems = [];
  for (const property of component.getAllProperties()) {
    try {
      property.getValues();
    } catch (error) {
      problems.push(`${component.name.toUpperCase()} ${property.name.toUpperCase()}: ${error.message}`);
    }
  }
  for (const child of component.getAllSubcomponents()) problems.push(...valueProblems(child));
  return problems;
}

function eventProblems(vevent, zones) {
  const problems = [];
  let event;
  try {
    event = new ICAL.Event(vevent);
  } catch (error) {
    return [`ICAL.Event: ${error.message}`];
  }
  if (!event.uid) problems.push("no UID");
  if (!vevent.hasProperty("dtstamp")) problems.push("no DTSTAMP");
  if (!event.startDate) {
    problems.push("no DTSTART");
    return problems;
  }
  for (const name of ["dtstart", "dtend"]) {
    const property = vevent.getFirstProperty(name);
    const tzid = property && property.getParameter("tzid");
    if (tzid && !zones.has(tzid)) problems.push(`${name.toUpperCase()} TZID ${tzid} has no VTIMEZONE`);
  }
  const end = event.endDate;
  if (!end) {
    problems.push("no end (DTEND or DURATION)");
  } else if (end.compare(event.startDate) < 0) {
    problems.push("ends before it starts");
  }
  for (const [name, time] of [["start", event.startDate], ["end", end]]) {
    if (time && Number.isNaN(time.toJSDate().getTime())) problems.push(`${name} is not a real time`);
  }
  return problems;
}

const MAX_OCCURRENCES = 1000;

function occurrencesOf(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  const found = [];
  const byUid = new Map();
  for (const vevent of calendar.getAllSubcomponents("vevent")) {
    const uid = vevent.getFirstPropertyValue("uid");
    if (!byUid.has(uid)) byUid.set(uid, []);
    byUid.get(uid).push(vevent);
  }
  for (const vevents of byUid.values()) {
    const master = vevents.find((v) => !v.hasProperty("recurrence-id"));
    if (!master) throw new Error("an override without its master");
    const event = new ICAL.Event(master);
    for (const vevent of vevents) if (vevent !== master) event.relateException(vevent);
    if (!event.isRecurring()) {
      found.push([event.startDate, event.endDate]);
      continue;
    }
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      found.push([details.startDate, details.endDate]);
      if (found.length > MAX_OCCURRENCES) throw new Error("too many occurrences");
    }
  }
  const iso = (time) => time.toJSDate().toISOString().replace(".000Z", "Z");
  return found.map(([start, end]) => [iso(start), iso(end)]).sort();
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  const asked = JSON.parse(line);
  if (Array.isArray(asked)) {
    process.stdout.write(JSON.stringify(asked.map(problemsOf)) + "\n");
    return;
  }
  const answers = asked.expand.map((text) => {
    try {
      return { occurrences: occurrencesOf(text) };
    } catch (error) {
      return { error: error.message };
    }
  });
  process.stdout.write(JSON.stringify(answers) + "\n");
});
