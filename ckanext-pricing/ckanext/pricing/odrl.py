"""A dataset's terms as ODRL 2.2 policies. Pure rules, no CKAN import.

One place decides what a machine reader is offered; the DCAT profile (``dcat.py``),
the schema.org profile and the Dataspace Protocol catalog (``dataspace.py``) only
write it down:

- an open dataset: one free offer (permission to use) covering every distribution;
- a priced dataset: one offer per price plan (``offers``): permission to use, for the
  subscription's period where there is one, with a duty to compensate the seller the
  plan's amount in its currency; it covers the plan's locked files (all of them where
  the plan names none) and names the licence text;
- an on-request dataset: one offer whose duty is to obtain the seller's consent (the
  seller approves each buyer, in a deal room);
- a free sample of a priced or on-request dataset: a free offer on that distribution.

The seller (the publishing organisation) is every offer's assigner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ckanext.pricing import rules

ODRL = "http://www.w3.org/ns/odrl/2/"
CURRENCY = "http://publications.europa.eu/resource/authority/currency/"
SCHEMA = "http://schema.org/"  # as ckanext-dcat writes schema.org
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Payment:
    """What the buyer pays for an offer: ``amount`` in the currency's major units."""

    amount: Decimal
    currency: str
    vat_included: bool

    @property
    def currency_iri(self) -> str:
        return CURRENCY + self.currency


@dataclass(frozen=True)
class Policy:
    iri: str
    title: str
    assigner: str | None
    distributions: tuple[str, ...]  # resource ids the offer covers
    payment: Payment | None = None
    consent: bool = False  # the seller approves each buyer
    period_months: int | None = None
    licence: str | None = None  # IRI of the licence text
    licence_id: str | None = None  # its template's id (``licences.py``)
    offer_id: str | None = None  # the price plan's id, for a priced dataset

    @property
    def free(self) -> bool:
        return self.payment is None and not self.consent


def _resource_ids(resources: Sequence[Any]) -> list[str]:
    return [r["id"] for r in resources if isinstance(r, Mapping) and r.get("id")]


def policies(
    dataset: Mapping[str, Any],
    *,
    dataset_iri: str,
    assigner: str | None,
    licence_iri: Callable[[str], str],
    precision: Callable[[str], int],
) -> list[Policy]:
    """The dataset-level offers of a dataset dict (what the catalog offers for the
    dataset as a whole; samples are in ``sample_policies``)."""
    tier = dataset.get("access_tier") or rules.OPEN
    resources = [r for r in dataset.get("resources") or [] if isinstance(r, Mapping)]
    if tier == rules.OPEN:
        return [
            Policy(
                iri=f"{dataset_iri}#offer-open",
                title="Open data",
                assigner=assigner,
                distributions=tuple(_resource_ids(resources)),
            )
        ]
    locked = [r["id"] for r in resources if r.get("id") and rules.is_locked(tier, r)]
    if tier == rules.ON_REQUEST:
        return [
            Policy(
                iri=f"{dataset_iri}#offer-on-request",
                title="On request",
                assigner=assigner,
                distributions=tuple(locked),
                consent=True,
            )
        ]
    out = []
    for offer in dataset.get("offers") or []:
        if not isinstance(offer, Mapping) or not offer.get("id"):
            continue
        amount = offer.get("amount")
        currency = str(offer.get("currency") or "").upper()
        if not isinstance(amount, int) or isinstance(amount, bool) or not currency:
            continue
        named = [rid for rid in offer.get("resources") or [] if rid in locked]
        period = offer.get("period_months") if offer.get("kind") == "subscription" else None
        licence = offer.get("licence")
        out.append(
            Policy(
                iri=f"{dataset_iri}#offer-{offer['id']}",
                title=str(offer["id"]),
                offer_id=str(offer["id"]),
                assigner=assigner,
                distributions=tuple(named or locked),
                payment=Payment(
                    amount=Decimal(amount).scaleb(-precision(currency)),
                    currency=currency,
                    vat_included=bool(offer.get("vat_included", True)),
                ),
                period_months=period if isinstance(period, int) and period > 0 else None,
                licence=licence_iri(licence) if isinstance(licence, str) and licence else None,
                licence_id=licence if isinstance(licence, str) and licence else None,
            )
        )
    return out


def sample_policies(
    dataset: Mapping[str, Any], *, dataset_iri: str, assigner: str | None
) -> list[Policy]:
    """A free offer on each free sample of a priced or on-request dataset."""
    tier = dataset.get("access_tier") or rules.OPEN
    if tier == rules.OPEN:
        return []
    return [
        Policy(
            iri=f"{dataset_iri}#offer-sample-{r['id']}",
            title="Free sample",
            assigner=assigner,
            distributions=(r["id"],),
        )
        for r in dataset.get("resources") or []
        if isinstance(r, Mapping) and r.get("id") and not rules.is_locked(tier, r)
    ]


def combined_iri(dataset_iri: str, resource_id: str) -> str:
    """The one policy of a file that several offers cover (DCAT-AP allows a
    distribution one): it holds each offer's permission."""
    return f"{dataset_iri}#offers-{resource_id}"


def period(months: int) -> str:
    """An ``xsd:duration`` of whole months."""
    return f"P{months}M"


def decimal_text(amount: Decimal) -> str:
    """An ``xsd:decimal`` lexical form: plain digits, never an exponent."""
    return format(amount, "f")


def to_dsp(policy: Policy) -> dict[str, Any]:
    """The policy as a Dataspace Protocol 2025-1 ``Offer`` (compact JSON-LD in the
    protocol's context, whose ODRL part names only ``use``, ``eq`` and ``lteq``: other
    ODRL terms are written with the ``odrl:`` prefix it declares). The protocol's schema
    takes an action only as a string, so the amount to pay is a constraint of the
    compensate duty here, where the DCAT output refines the action with it."""
    permission: dict[str, Any] = {"action": "use"}
    if policy.period_months:
        permission["constraint"] = [
            {
                "leftOperand": "odrl:elapsedTime",
                "operator": "lteq",
                "rightOperand": {"@value": period(policy.period_months), "@type": "xsd:duration"},
            }
        ]
    duties: list[dict[str, Any]] = []
    if policy.payment is not None:
        duties.append(
            {
                "action": "odrl:compensate",
                "constraint": [
                    {
                        "leftOperand": "odrl:payAmount",
                        "operator": "eq",
                        "rightOperand": {
                            "@value": decimal_text(policy.payment.amount),
                            "@type": "xsd:decimal",
                        },
                        "odrl:unit": {"@id": policy.payment.currency_iri},
                    }
                ],
                SCHEMA + "valueAddedTaxIncluded": policy.payment.vat_included,
            }
        )
    if policy.consent:
        duties.append({"action": "odrl:obtainConsent"})
    if duties:
        permission["duty"] = duties
    out: dict[str, Any] = {"@id": policy.iri, "@type": "Offer", "permission": [permission]}
    if policy.assigner:
        out["assigner"] = policy.assigner
    if policy.licence:
        out["dct:license"] = {"@id": policy.licence}
    out["dct:title"] = policy.title
    return out
