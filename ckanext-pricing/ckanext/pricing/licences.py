"""The licence templates a seller chooses for an offer, with the text shown to buyers.
Pure data, no CKAN import."""

from __future__ import annotations

LICENCES: dict[str, dict[str, dict[str, str]]] = {
    "internal-use": {
        "en": {
            "title": "Internal use only",
            "text": "The buyer may use the data within its own organisation, for the use case "
            "agreed. The data may not be published, shared with third parties or resold. "
            "Results derived from the data (reports, models, aggregates that cannot be "
            "turned back into the data) may be shared.",
        },
        "da": {
            "title": "Kun intern brug",
            "text": "Køberen må bruge data i egen organisation til det aftalte formål. Data må "
            "ikke offentliggøres, deles med tredjeparter eller videresælges. Resultater "
            "afledt af data (rapporter, modeller, aggregater, der ikke kan føres tilbage "
            "til data) må gerne deles.",
        },
    },
    "commercial-reuse": {
        "en": {
            "title": "Commercial reuse",
            "text": "The buyer may use the data in its own products and services, including "
            "commercial ones, and show them to its customers. The raw data may not be "
            "resold or redistributed as a dataset.",
        },
        "da": {
            "title": "Kommerciel genbrug",
            "text": "Køberen må bruge data i egne produkter og tjenester, også kommercielle, og "
            "vise dem for sine kunder. Rådata må ikke videresælges eller videredistribueres "
            "som datasæt.",
        },
    },
    "no-resale": {
        "en": {
            "title": "Any use except resale",
            "text": "The buyer may use, combine and publish results from the data freely, but "
            "may not sell or license the data itself to others.",
        },
        "da": {
            "title": "Al brug undtagen videresalg",
            "text": "Køberen må frit bruge, kombinere og offentliggøre resultater af data, men "
            "må ikke sælge eller give licens til selve data til andre.",
        },
    },
}


def get(licence_id: str, language: str = "en") -> dict[str, str]:
    entry = LICENCES.get(licence_id)
    if entry is None:
        return {"title": licence_id, "text": ""}
    return dict(entry.get(language) or entry["en"], id=licence_id)
