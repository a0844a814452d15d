"""A home's absences with notice (issue 18): its apologies in advance (``apologies``, with the one
rule that ties them to the register) and its pauses (``pauses``: sessions inside one are not
expected). Below the areas that show them — the register, the engagement report, the home's link
page, the API — and the calendar replies that make a home's apology when all its contacts decline."""
