"""The generated half of the search relevance set: a municipal catalog whose every
dataset is about one known subject in one known place, so that which datasets answer a
query is decided by the subject and place, once, in ``queries.json``.

Each dataset also says which of its subject's kinds it is about (the one its title
names and the one its description adds): a specific query ("cykelsti") is judged by
these, a broad one ("cykel") by the subject.

Titles are written as Danish portals write them: compounds ("Luftkvalitet",
"Bycykelture"), inflected forms ("Cykelstier", "Gadetræer"), place names in today's
and older spellings and typed without æ/ø/å ("København", "Kobenhavn", "Kjøbenhavn";
"Aarhus", "Århus"), and one dataset per subject in English. Descriptions mention other
subjects now and then, as real ones do. Deterministic: the same arguments give the
same catalog.

    python test-data/search/corpus.py > corpus.json
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

# subject -> Danish titles, English title, tags
SUBJECTS: dict[str, tuple[list[str], str, list[str]]] = {
    "air": (
        ["Luftkvalitet", "Luftforurening målt", "Luftmålinger af NO2"],
        "Air quality",
        ["miljø", "luftkvalitet"],
    ),
    "bike": (
        ["Cykeltællinger", "Bycykelture", "Cykelparkering ved stationer", "Cykelstier"],
        "Bicycle counts",
        ["cykling", "mobilitet"],
    ),
    "parking": (
        ["Parkeringszoner", "Parkeringspladser", "Parkeringsbelægning"],
        "Parking spaces",
        ["parkering", "trafik"],
    ),
    "traffic": (
        ["Trafiktællinger", "Trafikulykker", "Trafikmålinger på indfaldsveje"],
        "Traffic counts",
        ["trafik", "biler"],
    ),
    "trees": (
        ["Gadetræer", "Træregister", "Bytræer og deres arter"],
        "Street trees",
        ["træer", "natur"],
    ),
    "waste": (
        ["Affaldsspande", "Affaldsindsamling", "Husholdningsaffald pr. husstand"],
        "Waste collection",
        ["affald", "genbrug"],
    ),
    "noise": (
        ["Støjmålinger", "Vejstøj ved boliger", "Støjkort"],
        "Noise measurements",
        ["støj", "miljø"],
    ),
    "bathing": (
        ["Badevandskvalitet", "Badevandsmålinger ved strande", "Havnebadenes vandprøver"],
        "Bathing water quality",
        ["badevand", "strande"],
    ),
    "population": (
        ["Befolkningstal", "Befolkningsprognose", "Befolkningen efter alder og køn"],
        "Population figures",
        ["befolkning", "statistik"],
    ),
    "schools": (
        ["Skoledistrikter", "Folkeskolernes elevtal", "Skoler og deres adresser"],
        "School districts",
        ["skoler", "uddannelse"],
    ),
    "playgrounds": (
        ["Legepladser", "Legepladsinventar og tilsyn"],
        "Playgrounds",
        ["legepladser", "børn"],
    ),
    "toilets": (
        ["Offentlige toiletter", "Toiletbygninger og åbningstider"],
        "Public toilets",
        ["toiletter", "service"],
    ),
    "energy": (
        ["Energiforbrug i kommunale bygninger", "Elforbrug time for time", "Fjernvarmeforbrug"],
        "Energy consumption",
        ["energi", "klima"],
    ),
    "housing": (
        ["Boligbyggeri", "Almene boliger", "Boligpriser pr. kvadratmeter"],
        "Housing construction",
        ["boliger", "byggeri"],
    ),
    "buses": (
        ["Busstoppesteder", "Busruter og køreplaner", "Buspassagerer pr. linje"],
        "Bus stops",
        ["busser", "kollektiv trafik"],
    ),
    "weather": (
        ["Vejrstationer", "Nedbørsmålinger", "Vejrdata time for time"],
        "Weather stations",
        ["vejr", "klima"],
    ),
    "health": (
        ["Akutklinikker", "Sundhedshuse", "Lægevagter og skadestuer"],
        "Emergency clinics",
        ["sundhed", "hospitaler"],
    ),
    "budget": (
        ["Kommunens budget", "Budgetopfølgning", "Regnskab og budgettal"],
        "Municipal budget",
        ["økonomi", "budget"],
    ),
    "roadworks": (
        ["Vejarbejder", "Gravetilladelser og vejarbejde", "Vejbelysning"],
        "Road works",
        ["veje", "anlæg"],
    ),
    "harbour": (
        ["Havneområder", "Havnetrafik", "Havnens dybder og kajer"],
        "Harbour areas",
        ["havn", "skibe"],
    ),
    "elections": (
        ["Valgresultater", "Valgsteder", "Folketingsvalg pr. afstemningsområde"],
        "Election results",
        ["valg", "demokrati"],
    ),
    "libraries": (
        ["Biblioteksudlån", "Biblioteker og åbningstider"],
        "Library loans",
        ["biblioteker", "kultur"],
    ),
    "childcare": (
        ["Daginstitutioner", "Børnehaver og vuggestuer", "Pasningsgaranti og ventelister"],
        "Childcare institutions",
        ["børn", "dagtilbud"],
    ),
    "parks": (
        ["Grønne områder", "Parker og grønne arealer", "Grønne tage"],
        "Parks and green spaces",
        ["natur", "grønne områder"],
    ),
    "buildings": (
        ["Bygningsregister", "Fredede bygninger", "Bygningshøjder"],
        "Building register",
        ["bygninger", "byggeri"],
    ),
}
# place -> the spellings titles use
PLACES: dict[str, list[str]] = {
    "kobenhavn": ["København", "Kobenhavn", "Kjøbenhavn", "Københavns Kommune"],
    "aarhus": ["Aarhus", "Århus"],
    "aalborg": ["Aalborg", "Ålborg"],
    "odense": ["Odense"],
    "vejle": ["Vejle"],
    "frederiksberg": ["Frederiksberg"],
    "hovedstaden": ["Region Hovedstaden"],
}
PLACES_EN = {
    "kobenhavn": "Copenhagen",
    "aarhus": "Aarhus",
    "aalborg": "Aalborg",
    "odense": "Odense",
    "vejle": "Vejle",
    "frederiksberg": "Frederiksberg",
    "hovedstaden": "the Capital Region",
}
NOTES = [
    "Data om {what} i {place}, opdateret hver måned. Indeholder {other} som baggrund.",
    "{place} offentliggør {what} som åbne data. Se også data om {other}.",
    "Oversigt over {what} for hele {place}, med koordinater.",
]
PER_SUBJECT = 6


def datasets() -> list[dict[str, Any]]:
    rng = random.Random(11)
    places = list(PLACES)
    found = []
    for number, (subject, (titles, english, tags)) in enumerate(SUBJECTS.items()):
        for i in range(PER_SUBJECT):
            place = places[(number + i) % len(places)]
            spelling = PLACES[place][(number + i) % len(PLACES[place])]
            other = rng.choice([s for s in SUBJECTS if s != subject])
            # What the dataset is about, as a judge reading it would say: the kind its
            # title names and the one its description adds (the English title: the first).
            if i == PER_SUBJECT - 1:
                title = f"{english} in {PLACES_EN[place]}"
                notes = f"{english} for {PLACES_EN[place]}, published as open data."
                concepts = [titles[0]]
            else:
                title = f"{titles[i % len(titles)]} i {spelling}"
                notes = rng.choice(NOTES).format(
                    what=titles[(i + 1) % len(titles)].lower(),
                    place=spelling,
                    other=SUBJECTS[other][0][0].lower(),
                )
                concepts = [titles[i % len(titles)], titles[(i + 1) % len(titles)]]
            found.append(
                {
                    "name": f"gen-{subject}-{i}",
                    "title": title,
                    "notes": notes,
                    "tags": tags if i % 2 == 0 else [],
                    "subject": subject,
                    "concepts": sorted(set(concepts)),
                    "place": place,
                }
            )
    return found


if __name__ == "__main__":
    json.dump(datasets(), sys.stdout, ensure_ascii=False, indent=1)
