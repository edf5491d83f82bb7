"""Synthetic qualitative evidence: sources, a realist codebook, coded excerpts and CMOCs.

Twenty-seven sources (interviews and focus groups with commissioners, provider managers, frontline
staff, service users and partners, plus one document) are "transcribed" from sentence templates in
UK service language. Which sources speak to which CMOC is declared in :data:`EVIDENCE`, so the
planted strength of evidence (see :data:`evalkit.demo.truths.PLANTED`) holds for every seed; the
seed only chooses among templates and fills their blanks.

The fieldwork is planted too (``PLANTED.fieldwork``): interviews and focus groups from April 2026
are round 2, with four service users heard again (the same ``participant`` pseudonym in both
rounds); the lead coder codes every source and a second coder double-codes seven, disputing a
known share of the lead's codes by coding the passage as another realist kind
(:data:`CONFUSED_WITH`). Each CMOC carries the evaluator's memo (:data:`MEMOS`).

Codings point into a transcript per source (``start``/``end`` count Unicode code points from 0,
as REFI-QDA does), so ``transcript[start:end] == text``.

Examples
--------
>>> qual = make_qualitative(np.random.default_rng(0))
>>> sorted(qual)
['cmocs', 'codebook', 'codings', 'sources', 'transcripts']
>>> qual["sources"]["stakeholder_group"].nunique()
5
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.demo.service import PROVIDERS
from evalkit.demo.truths import PLANTED

__all__ = ["CODES", "EVIDENCE", "SOURCES", "make_qualitative"]

_PROVIDER = {p.slug: p.name for p in PROVIDERS}

#: source_id, name, type, date, site, stakeholder_group, provider slug ("" = the whole service)
SOURCES = (
    ("S01", "Interview 01 – commissioner", "interview", "2026-01-14", "", "commissioner", ""),
    ("S02", "Interview 02 – commissioner", "interview", "2026-01-21", "", "commissioner", ""),
    (
        "S03",
        "Interview 03 – provider manager",
        "interview",
        "2026-01-28",
        "North",
        "provider_manager",
        "nhs_trust",
    ),
    (
        "S04",
        "Interview 04 – provider manager",
        "interview",
        "2026-02-03",
        "South",
        "provider_manager",
        "council",
    ),
    (
        "S05",
        "Interview 05 – provider manager",
        "interview",
        "2026-02-05",
        "East",
        "provider_manager",
        "vcs",
    ),
    (
        "S06",
        "Focus group 01 – frontline staff",
        "focus_group",
        "2026-02-11",
        "North",
        "frontline_staff",
        "nhs_trust",
    ),
    (
        "S07",
        "Focus group 02 – frontline staff",
        "focus_group",
        "2026-02-17",
        "West",
        "frontline_staff",
        "council",
    ),
    (
        "S08",
        "Focus group 03 – peer mentors",
        "focus_group",
        "2026-02-19",
        "East",
        "frontline_staff",
        "vcs",
    ),
    (
        "S09",
        "Interview 06 – stop smoking adviser",
        "interview",
        "2026-02-24",
        "East",
        "frontline_staff",
        "nhs_trust",
    ),
    (
        "S10",
        "Interview 07 – service user",
        "interview",
        "2026-03-03",
        "East",
        "service_user",
        "vcs",
    ),
    (
        "S11",
        "Interview 08 – service user",
        "interview",
        "2026-03-05",
        "West",
        "service_user",
        "vcs",
    ),
    (
        "S12",
        "Interview 09 – service user",
        "interview",
        "2026-03-10",
        "South",
        "service_user",
        "council",
    ),
    (
        "S13",
        "Interview 10 – service user",
        "interview",
        "2026-03-12",
        "North",
        "service_user",
        "nhs_trust",
    ),
    (
        "S14",
        "Interview 11 – service user",
        "interview",
        "2026-03-17",
        "West",
        "service_user",
        "council",
    ),
    (
        "S15",
        "Interview 12 – service user",
        "interview",
        "2026-03-19",
        "East",
        "service_user",
        "nhs_trust",
    ),
    (
        "S16",
        "Interview 13 – service user",
        "interview",
        "2026-03-24",
        "South",
        "service_user",
        "vcs",
    ),
    (
        "S17",
        "Focus group 04 – service users",
        "focus_group",
        "2026-03-26",
        "West",
        "service_user",
        "vcs",
    ),
    (
        "S18",
        "Focus group 05 – service users",
        "focus_group",
        "2026-04-01",
        "South",
        "service_user",
        "council",
    ),
    ("S19", "Interview 14 – GP partner", "interview", "2026-04-08", "North", "partner", ""),
    (
        "S20",
        "Interview 15 – social prescribing link worker",
        "interview",
        "2026-04-14",
        "West",
        "partner",
        "",
    ),
    (
        "S21",
        "Document 01 – service specification",
        "document",
        "2025-03-31",
        "",
        "commissioner",
        "",
    ),
    (
        "S22",
        "Interview 16 – digital coach",
        "interview",
        "2026-04-21",
        "West",
        "frontline_staff",
        "council",
    ),
    (
        "S23",
        "Interview 17 – service user",
        "interview",
        "2026-04-23",
        "West",
        "service_user",
        "council",
    ),
    (
        "S24",
        "Interview 18 – wellbeing practitioner",
        "interview",
        "2026-05-06",
        "East",
        "frontline_staff",
        "nhs_trust",
    ),
    (
        "S25",
        "Interview 19 – service user (follow-up)",
        "interview",
        "2026-06-02",
        "East",
        "service_user",
        "vcs",
    ),
    (
        "S26",
        "Interview 20 – service user (follow-up)",
        "interview",
        "2026-06-09",
        "South",
        "service_user",
        "council",
    ),
    (
        "S27",
        "Interview 21 – service user (follow-up)",
        "interview",
        "2026-06-16",
        "North",
        "service_user",
        "nhs_trust",
    ),
)

#: code_id, name, kind, parent_id, description (parents first).
CODES = (
    ("CTX", "Context", "context", "", "Circumstances people bring with them"),
    ("MRS", "Mechanism – resource", "mechanism_resource", "", "What the service offers"),
    (
        "MRE",
        "Mechanism – reasoning",
        "mechanism_reasoning",
        "",
        "How people think and feel in response",
    ),
    ("OUT", "Outcome", "outcome", "", "What changes, intended or not"),
    (
        "C01",
        "C: lives in a most deprived neighbourhood",
        "context",
        "CTX",
        "Lives in one of the most deprived neighbourhoods (IMD quintile 1)",
    ),
    ("C02", "C: aged 65 or over", "context", "CTX", "Older client"),
    (
        "C03",
        "C: low digital confidence",
        "context",
        "CTX",
        "Little experience of or confidence with apps and video calls",
    ),
    ("C04", "C: referred by their GP", "context", "CTX", "Referral came from general practice"),
    ("C05", "C: smoker ready to quit", "context", "CTX", "Smoker setting a quit date"),
    (
        "C06",
        "C: busy or unpredictable life",
        "context",
        "CTX",
        "Shift work, caring or other demands on time",
    ),
    (
        "C07",
        "C: distrust of statutory services",
        "context",
        "CTX",
        "Past experience of being let down by the NHS or the council",
    ),
    (
        "C08",
        "C: money and caring pressures",
        "context",
        "CTX",
        "Debt, insecure work or caring responsibilities",
    ),
    (
        "M01",
        "M: peer-led group run by local volunteers",
        "mechanism_resource",
        "MRS",
        "Groups led by trained volunteers with lived experience",
    ),
    (
        "M02",
        "M: digital app and online sessions",
        "mechanism_resource",
        "MRS",
        "The Live Well app and video sessions",
    ),
    (
        "M03",
        "M: face-to-face CO monitoring",
        "mechanism_resource",
        "MRS",
        "Weekly in-person stop smoking sessions with a carbon monoxide reading",
    ),
    (
        "M04",
        "M: GP referral letter",
        "mechanism_resource",
        "MRS",
        "A letter or conversation with the GP making the referral",
    ),
    (
        "M05",
        "M: telephone check-ins",
        "mechanism_resource",
        "MRS",
        "Scheduled support calls instead of visits",
    ),
    (
        "M06",
        "M: follow-up calls and reminders",
        "mechanism_resource",
        "MRS",
        "Calls, texts and letters chasing the exit review",
    ),
    (
        "M07",
        "M: trust - people like me",
        "mechanism_reasoning",
        "MRE",
        "Trusting the helper because they share the client's background",
    ),
    (
        "M08",
        "M: feeling left behind by technology",
        "mechanism_reasoning",
        "MRE",
        "Anxiety or embarrassment about using technology",
    ),
    (
        "M09",
        "M: accountability to the adviser",
        "mechanism_reasoning",
        "MRE",
        "Not wanting to let the adviser down",
    ),
    (
        "M10",
        "M: legitimacy - the doctor sent me",
        "mechanism_reasoning",
        "MRE",
        "Taking the service seriously because a doctor recommended it",
    ),
    ("M11", "M: convenience", "mechanism_reasoning", "MRE", "Support that fits around life"),
    (
        "M12",
        "M: competing priorities",
        "mechanism_reasoning",
        "MRE",
        "Other pressures crowd out the service",
    ),
    ("O01", "O: wellbeing improved", "outcome", "OUT", "Feels better in themselves"),
    ("O02", "O: stopped engaging", "outcome", "OUT", "Dropped out of support"),
    ("O03", "O: quit smoking", "outcome", "OUT", "Stopped smoking"),
    ("O04", "O: lost to follow-up", "outcome", "OUT", "Could not be reached for the exit review"),
    ("O05", "O: kept attending", "outcome", "OUT", "Continued to attend sessions"),
)

#: Which sources speak to each CMOC (planted strength of evidence: see PLANTED).
EVIDENCE = {
    "CMOC1": ("S01", "S05", "S08", "S10", "S11", "S16", "S17", "S25"),
    "CMOC2": ("S04", "S06", "S07", "S13", "S14", "S22", "S23"),
    "CMOC3": ("S03", "S06", "S09", "S12", "S15", "S18", "S26"),
    "CMOC4": ("S02", "S03", "S07", "S12", "S13", "S19", "S20", "S21", "S27"),
    "CMOC5": ("S08", "S24"),
    "CMOC6": ("S04", "S09", "S14", "S18"),
}

#: The realist kind a second coder most often mistakes each kind for (a passage about trust:
#: how people respond, or the outcome?). A disputed code is replaced by the CMOC's code of this
#: kind.
CONFUSED_WITH = {
    "context": "mechanism_reasoning",
    "mechanism_resource": "context",
    "mechanism_reasoning": "outcome",
    "outcome": "mechanism_reasoning",
}

#: The evaluator's memo on each CMOC (evaluator-only: the appendix, never the report).
MEMOS = {
    "CMOC1": "Round 1: the peer volunteers' shared background is what people mention first. "
    "Round 2 follow-up: trust came before any change in wellbeing; keep trust as the mechanism, "
    "not an outcome (the coders disagreed on this).",
    "CMOC2": "Older users describe giving up after the first update. Check whether carers "
    "setting up the app changes the pattern.",
    "CMOC3": "Accountability to the adviser recurs across sites; the CO reading is the resource "
    "that makes it concrete.",
    "CMOC4": "Everyone tells the GP-legitimacy story, including the specification. The numbers "
    "do not bear it out: look for a rival explanation in round 2.",
    "CMOC5": "Only two sources, both East. Ask about follow-up in the next round elsewhere.",
    "CMOC6": "Convenience is real, but the quit numbers run the other way; refine or refute.",
}

_VOICE = {
    "service_user": "user",
    "frontline_staff": "staff",
    "provider_manager": "lead",
    "commissioner": "lead",
    "partner": "lead",
}

#: (CMOC or "general", voice) -> templates of (text, codes). Blanks are filled per source.
TEMPLATES: dict[tuple[str, str], tuple[tuple[str, tuple[str, ...]], ...]] = {
    ("CMOC1", "user"): (
        (
            "I'd never have gone to the doctor's about how I was feeling. But {group} is run by "
            "people from {estate} who've been through it themselves, and I didn't feel judged.",
            ("C01", "C07", "M01", "M07"),
        ),
        (
            "After about {weeks} weeks of {group} I was sleeping better and actually looking "
            "forward to things again. It's because they're people like me.",
            ("M01", "M07", "O01"),
        ),
        (
            "Round here nobody trusts the council or the NHS, they just tick boxes. The peer "
            "group was different: the lady who runs it had been in the same place as me, and I "
            "feel a lot more like myself now.",
            ("C01", "C07", "M01", "M07", "O01"),
        ),
    ),
    ("CMOC1", "staff"): (
        (
            "Our volunteers all live on {estate}, so when someone turns up they see a familiar "
            "face rather than a professional with a lanyard. That's what gets people through the "
            "door.",
            ("C01", "M01", "M07"),
        ),
        (
            "The people who come to {group} have often been let down by services before. The peer "
            "mentors have lived experience, and you can see people relax, open up and start to "
            "feel better.",
            ("C07", "M01", "M07", "O01"),
        ),
    ),
    ("CMOC1", "lead"): (
        (
            "The peer-led offer was designed for the most deprived neighbourhoods, where trust in "
            "statutory services is lowest. People tell us their wellbeing has genuinely improved.",
            ("C01", "C07", "M01", "O01"),
        ),
        (
            "Commissioning the voluntary sector to run peer groups in {site} was a deliberate "
            "choice: they reach people on estates like {estate} that we never would, because "
            "people trust them.",
            ("C01", "M01", "M07"),
        ),
    ),
    ("CMOC2", "user"): (
        (
            "They gave me a log-in for the Live Well app, but I'm {older_age} and I don't really "
            "do computers. I tried a couple of times, then I just stopped bothering.",
            ("C02", "C03", "M02", "M08", "O02"),
        ),
        (
            "My granddaughter set the app up for me, but every time it updated I couldn't find "
            "anything. I felt a bit daft, to be honest, so I stopped logging on.",
            ("C03", "M02", "M08", "O02"),
        ),
    ),
    ("CMOC2", "staff"): (
        (
            "A lot of our older clients were put on the digital pathway by default. Some are fine, "
            "but many drop off after the first video call.",
            ("C02", "M02", "O02"),
        ),
        (
            "You can hear the anxiety when you ask someone in their seventies to download the app. "
            "They feel left behind before they've started.",
            ("C02", "C03", "M02", "M08"),
        ),
    ),
    ("CMOC2", "lead"): (
        (
            "Digital delivery helped us cope with demand, but we know it doesn't suit everyone, "
            "particularly older residents without a smartphone.",
            ("C02", "C03", "M02"),
        ),
    ),
    ("CMOC3", "user"): (
        (
            "Blowing into the CO monitor every week and seeing the number come down from {co_high} "
            "to {co_low}, that kept me going. I didn't want to go back and tell her I'd had one.",
            ("C05", "M03", "M09", "O03"),
        ),
        (
            "Having to turn up and see the adviser in person made it real. I'm {weeks} weeks "
            "without a cigarette now.",
            ("C05", "M03", "M09", "O03"),
        ),
    ),
    ("CMOC3", "staff"): (
        (
            "The weekly face-to-face appointment is the bit that works. People don't want to let "
            "you down, and the CO reading doesn't lie.",
            ("M03", "M09", "O03"),
        ),
        (
            "When they see their carbon monoxide drop to {co_low} ppm it's a real motivator; you "
            "don't get that over the phone.",
            ("C05", "M03", "M09"),
        ),
    ),
    ("CMOC3", "lead"): (
        (
            "Our quitters tend to be the ones who come into clinic every week for their CO check.",
            ("C05", "M03", "O03"),
        ),
    ),
    ("CMOC4", "user"): (
        (
            "I only came because my GP said it would help. If the doctor sends you, you think, "
            "right, this must be worth doing, and I've felt so much better since.",
            ("C04", "M04", "M10", "O01"),
        ),
        (
            "The letter from the surgery made me take it seriously. I wouldn't have come off my "
            "own bat.",
            ("C04", "M04", "M10"),
        ),
    ),
    ("CMOC4", "staff"): (
        (
            "The GP referrals are the ones who really engage; they come in thinking the doctor has "
            "prescribed this, so they give it a proper go and you see the difference.",
            ("C04", "M10", "O01"),
        ),
    ),
    ("CMOC4", "lead"): (
        (
            "When we refer from the practice we write a proper letter, and patients say it made "
            "them feel this was a real treatment, not just a leaflet.",
            ("C04", "M04", "M10"),
        ),
        (
            "Our assumption has always been that people referred by their GP do better, because "
            "the referral carries weight.",
            ("C04", "M10", "O01"),
        ),
    ),
    ("CMOC4", "document"): (
        (
            "Referral via primary care is the preferred route, as patients referred by their GP "
            "are expected to achieve a greater improvement in wellbeing.",
            ("C04", "M04", "O01"),
        ),
    ),
    ("CMOC5", "staff"): (
        (
            "On {estate} people have so much going on, money, caring, zero-hours shifts, that the "
            "final questionnaire is the last thing on their mind. We ring three times and still "
            "can't reach them.",
            ("C08", "M06", "M12", "O04"),
        ),
        (
            "We send reminders for the exit review, but when the electric's about to be cut off a "
            "wellbeing questionnaire isn't a priority.",
            ("C08", "M06", "M12", "O04"),
        ),
    ),
    ("CMOC6", "user"): (
        (
            "With my shifts I couldn't get to a clinic, so the phone calls were perfect. I could "
            "fit it in on my break.",
            ("C06", "M05", "M11"),
        ),
        (
            "The adviser rang every Tuesday. It fitted round the kids, and I think that's why I "
            "managed to stop.",
            ("C06", "M05", "M11", "O03"),
        ),
    ),
    ("CMOC6", "staff"): (
        (
            "Telephone support suits people who work or care for someone; they'd never make a "
            "nine-to-five clinic, and honestly I think they do just as well.",
            ("C06", "M05", "M11", "O03"),
        ),
    ),
    ("CMOC6", "lead"): (
        (
            "We moved a lot of stop smoking support onto the phone. It's more convenient for "
            "people with busy lives, and our sense is that quit rates have held up.",
            ("C06", "M05", "M11", "O03"),
        ),
    ),
    ("general", "user"): (
        ("I kept coming back because it was something to get me out of the house.", ("O05",)),
        (
            "Seeing the same person every time made a difference; I didn't have to tell my story "
            "again.",
            ("O05",),
        ),
    ),
    ("general", "staff"): (
        (
            "Continuity matters: when clients see the same practitioner they keep attending.",
            ("O05",),
        ),
    ),
    ("general", "lead"): (
        ("Demand has grown every quarter, and waiting times are our biggest worry.", ()),
    ),
}

QUESTIONS = (
    "Can you tell me how you first came into contact with the service?",
    "What difference, if any, has it made?",
    "What works well, and for whom?",
    "What gets in the way?",
    "Is there anything you would change?",
    "How does this compare with other support you have had?",
)
_FILLS = {
    "estate": (
        "the Riverside estate",
        "Millfield",
        "Hollins Park",
        "the Brookside flats",
        "Castle Vale",
    ),
    "group": (
        "the Tuesday walk-and-talk group",
        "the Thursday coffee morning",
        "the men's shed group",
        "the Friday cook-and-eat session",
    ),
    "weeks": tuple(str(w) for w in range(3, 13)),
    "older_age": tuple(str(a) for a in range(68, 86)),
    "co_high": tuple(str(c) for c in range(15, 31)),
    "co_low": tuple(str(c) for c in range(2, 7)),
}


def _voice(source: tuple) -> str:
    return "document" if source[2] == "document" else _VOICE[source[5]]


def _excerpts(rng: np.random.Generator) -> dict[str, list[tuple[str, str, tuple[str, ...]]]]:
    """Per source: (CMOC, filled text, code ids) in the order they are said."""
    by_id = {s[0]: s for s in SOURCES}
    said: dict[str, list] = {s[0]: [] for s in SOURCES}
    for cmoc_id, source_ids in EVIDENCE.items():
        for source_id in source_ids:
            source = by_id[source_id]
            pool = TEMPLATES[(cmoc_id, _voice(source))]
            take = 1 if len(pool) == 1 else int(rng.integers(1, 3))
            for index in rng.choice(len(pool), size=take, replace=False):
                text, codes = pool[index]
                said[source_id].append((cmoc_id, _fill(rng, text, source), codes))
    for source in SOURCES:
        pool = TEMPLATES.get(("general", _voice(source)), ())
        if pool and rng.random() < 0.5:
            text, codes = pool[int(rng.integers(len(pool)))]
            said[source[0]].append(("general", _fill(rng, text, source), codes))
    for source_id in said:
        order = rng.permutation(len(said[source_id]))
        said[source_id] = [said[source_id][i] for i in order]
    return said


def _fill(rng: np.random.Generator, text: str, source: tuple) -> str:
    values = {k: v[int(rng.integers(len(v)))] for k, v in _FILLS.items()}
    return text.format(site=source[4] or "Anytown", **values)


def _transcript(source: tuple, excerpts: list, rng: np.random.Generator):
    """The source's text and the (start, end) of each excerpt in it."""
    parts, spans, position = [], [], 0
    for i, (_, text, _) in enumerate(excerpts):
        if source[2] == "document":
            lead = f"{i + 1}. "
        else:
            question = QUESTIONS[int(rng.integers(len(QUESTIONS)))]
            speaker = "Respondent" if source[2] == "interview" else f"P{int(rng.integers(1, 7))}"
            lead = f"Interviewer: {question}\n\n{speaker}: "
        start = position + len(lead)
        spans.append((start, start + len(text)))
        parts.append(lead + text + "\n\n")
        position += len(parts[-1])
    return "".join(parts), spans


def _round(source: tuple) -> int | None:
    """Round 2 from ``PLANTED.fieldwork.round_two_from``, round 1 before; documents none."""
    if source[2] == "document":
        return None
    return 2 if source[3] >= PLANTED.fieldwork.round_two_from else 1


def _participants() -> dict[str, str]:
    """A pseudonym for each interviewee; a person re-interviewed keeps theirs."""
    again = {later: earlier for earlier, later in PLANTED.fieldwork.reinterviews}
    names: dict[str, str] = {}
    for source in SOURCES:
        if source[2] != "interview":
            continue
        if source[0] in again:
            names[source[0]] = names[again[source[0]]]
        else:
            names[source[0]] = f"P{len(set(names.values())) + 1:02d}"
    return names


def _second_coding(placed: dict[str, list], coder: str) -> list[tuple]:
    """The second coder's codings of the double-coded sources, disputing 1 in ``disputed_every``.

    The lead's (excerpt, code) pairs whose code belongs to a CMOC are counted in transcript
    order; on every ``disputed_every``-th the second coder leaves the code off and codes the
    CMOC's code of the kind in :data:`CONFUSED_WITH` instead (unless the lead already has it).
    """
    kinds = {c[0]: c[2] for c in CODES}
    ids = {c[1]: c[0] for c in CODES}
    by_kind = {
        c.cmoc_id: {kinds[ids[name]]: ids[name] for name in reversed(c.codes)}
        for c in PLANTED.cmocs
    }
    every, counted, rows = PLANTED.fieldwork.disputed_every, 0, []
    for source_id in PLANTED.fieldwork.double_coded:
        for (cmoc_id, excerpt, codes), (start, end) in placed[source_id]:
            mine = list(codes)
            for code in codes:
                if cmoc_id not in by_kind:
                    continue
                counted += 1
                if counted % every:
                    continue
                mine.remove(code)
                instead = by_kind[cmoc_id][CONFUSED_WITH[kinds[code]]]
                if instead not in codes:
                    mine.append(instead)
            rows += [(source_id, code, excerpt, coder, start, end) for code in mine]
    return rows


def make_qualitative(rng: np.random.Generator) -> dict[str, object]:
    """The qualitative tables of the demo evaluation.

    Parameters
    ----------
    rng : numpy.random.Generator
        Chooses templates and fills their blanks (the evidence plan itself is fixed).

    Returns
    -------
    dict
        ``sources``, ``codebook``, ``codings``, ``cmocs`` (DataFrames with the columns of
        docs/data-model.md) and ``transcripts`` (source_id -> text).

    Examples
    --------
    >>> qual = make_qualitative(np.random.default_rng(2))
    >>> row = qual["codings"].iloc[0]
    >>> qual["transcripts"][row["source_id"]][row["start"]:row["end"]] == row["text"]
    True
    """
    sources = pd.DataFrame(
        SOURCES,
        columns=["source_id", "name", "type", "date", "site", "stakeholder_group", "provider"],
    )
    sources["provider"] = sources["provider"].map(_PROVIDER)
    codebook = pd.DataFrame(CODES, columns=["code_id", "name", "kind", "parent_id", "description"])
    sources["round"] = [_round(s) for s in SOURCES]
    sources["participant"] = sources["source_id"].map(_participants())
    said = _excerpts(rng)
    lead, second = PLANTED.fieldwork.coders
    transcripts, rows, placed = {}, [], {}
    for source in SOURCES:
        text, spans = _transcript(source, said[source[0]], rng)
        transcripts[source[0]] = text
        placed[source[0]] = list(zip(said[source[0]], spans, strict=True))
        for (_, excerpt, codes), (start, end) in placed[source[0]]:
            rows += [(source[0], code, excerpt, lead, start, end) for code in codes]
    rows += _second_coding(placed, second)
    codings = pd.DataFrame(rows, columns=["source_id", "code_id", "text", "coder", "start", "end"])
    codings.insert(0, "coding_id", [f"K{i:04d}" for i in range(1, len(codings) + 1)])
    cmocs = pd.DataFrame(
        [
            {
                "cmoc_id": c.cmoc_id,
                "programme_theory": c.programme_theory,
                "context": c.context,
                "mechanism_resource": c.mechanism_resource,
                "mechanism_reasoning": c.mechanism_reasoning,
                "outcome": c.outcome,
                "codes": ";".join(c.codes),
                "status": "initial",
                "context_filter": c.context_filter,
                "outcome_measure": c.outcome_measure,
                "expected_direction": c.expected_direction,
                "memo": MEMOS[c.cmoc_id],
            }
            for c in PLANTED.cmocs
        ]
    )
    return {
        "sources": sources.replace({"": None}).astype(
            {c: "Int64" if c == "round" else "str" for c in sources.columns}
        ),
        "codebook": codebook.replace({"": None}).astype("str"),
        "codings": codings.astype(
            {c: "str" for c in ("coding_id", "source_id", "code_id", "text", "coder")}
        ),
        "cmocs": cmocs.astype("str"),
        "transcripts": transcripts,
    }
