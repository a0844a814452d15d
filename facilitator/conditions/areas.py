"""Scotland's 32 council areas: the one list a home's ``local_authority`` and a partner's areas
come from (keys are stored and sent by the API; labels are shown)."""

from __future__ import annotations

COUNCIL_AREAS: dict[str, str] = {
    "aberdeen_city": "Aberdeen City",
    "aberdeenshire": "Aberdeenshire",
    "angus": "Angus",
    "argyll_and_bute": "Argyll and Bute",
    "city_of_edinburgh": "City of Edinburgh",
    "clackmannanshire": "Clackmannanshire",
    "dumfries_and_galloway": "Dumfries and Galloway",
    "dundee_city": "Dundee City",
    "east_ayrshire": "East Ayrshire",
    "east_dunbartonshire": "East Dunbartonshire",
    "east_lothian": "East Lothian",
    "east_renfrewshire": "East Renfrewshire",
    "falkirk": "Falkirk",
    "fife": "Fife",
    "glasgow_city": "Glasgow City",
    "highland": "Highland",
    "inverclyde": "Inverclyde",
    "midlothian": "Midlothian",
    "moray": "Moray",
    "na_h_eileanan_siar": "Na h-Eileanan Siar",
    "north_ayrshire": "North Ayrshire",
    "north_lanarkshire": "North Lanarkshire",
    "orkney_islands": "Orkney Islands",
    "perth_and_kinross": "Perth and Kinross",
    "renfrewshire": "Renfrewshire",
    "scottish_borders": "Scottish Borders",
    "shetland_islands": "Shetland Islands",
    "south_ayrshire": "South Ayrshire",
    "south_lanarkshire": "South Lanarkshire",
    "stirling": "Stirling",
    "west_dunbartonshire": "West Dunbartonshire",
    "west_lothian": "West Lothian",
}
ALL_AREAS = "all"  # in a CSV's areas column: every council area (a national organisation)
_BY_LABEL = {label.casefold(): key for key, label in COUNCIL_AREAS.items()}


def area_key(text: str) -> str | None:
    """The key of a council area given as its key or its name (any case), or None."""
    text = text.strip()
    if text in COUNCIL_AREAS:
        return text
    return _BY_LABEL.get(text.casefold())


def area_label(key: str | None) -> str:
    return COUNCIL_AREAS.get(key or "", "Not recorded")


def unknown_area_message() -> str:
    return "Choose one of Scotland's 32 council areas (for example city_of_edinburgh)."
