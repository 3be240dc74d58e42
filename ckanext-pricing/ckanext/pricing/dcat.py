"""Access in DCAT: a ckanext-dcat profile (``pricing``), listed after ``euro_dcat_ap_3``
and ``cityexchange`` in ``ckanext.dcat.rdf.profiles``.

- ``dct:accessRights`` with the EU access-right table's terms: PUBLIC for an open
  dataset, RESTRICTED for a priced or on-request one (``rules.access_right``); and the
  same per distribution: a free sample is public, a locked resource restricted;
- a priced or on-request dataset's free samples are also its ``adms:sample``;
- a distribution whose data is withheld from the public (locked, or held for review)
  is reached through its purchase link only: the DCAT output is the same for every
  reader, so the real URL, and a buyer's signed link, never appear in it, whoever asks.

- every offer (``odrl.py`` decides them) as an ODRL ``odrl:Offer``, reached by
  ``odrl:hasPolicy`` from the dataset and from each distribution it covers: permission
  to use (for the subscription's period), a duty to compensate the seller (the
  ``odrl:compensate`` action refined by ``odrl:payAmount`` and the currency as an EU
  currency IRI, as ODRL 2.2's information model writes it) or to obtain the seller's
  consent, the seller as assigner and the licence text's IRI
  (``/pricing/licences/<id>``);
- ``pricing_schemaorg``, for ``ckanext.dcat.structured_data.profiles`` after
  ``schemaorg``: ``schema:isAccessibleForFree`` and ``schema:offers`` in the schema.org
  output and the page's JSON-LD, and the same withholding of locked URLs.
"""

from __future__ import annotations

from typing import Any

from babel.numbers import get_currency_precision
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD
from rdflib.term import Node

from ckanext.dcat.profiles import ADMS, DCAT, SCHEMA, CleanedURIRef, RDFProfile
from ckanext.dcat.utils import dataset_uri, publisher_uri_organization_fallback, resource_uri
from ckanext.pricing import access, licences, odrl, redact, rules
from ckanext.pricing.rules import Viewer

ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
ODRL = Namespace(odrl.ODRL)
_PUBLIC_VIEWER = Viewer(user_id=None)


def licence_iri(licence_id: str) -> str:
    """The IRI of an offer licence's text: its page on the portal."""
    return f"{access.site_url()}/pricing/licences/{licence_id}"


def dataset_policies(dataset_dict: dict[str, Any]) -> tuple[list[odrl.Policy], list[odrl.Policy]]:
    """The dataset's offers and its samples' free offers, with the portal's IRIs."""
    iri = dataset_uri(dataset_dict)
    assigner = publisher_uri_organization_fallback(dataset_dict)
    return (
        odrl.policies(
            dataset_dict,
            dataset_iri=iri,
            assigner=assigner,
            licence_iri=licence_iri,
            precision=get_currency_precision,
        ),
        odrl.sample_policies(dataset_dict, dataset_iri=iri, assigner=assigner),
    )


def withheld_ids(dataset_dict: dict[str, Any]) -> set[str]:
    """The resources a reader who is not signed in may not download (locked, or held
    for review): the machine-readable outputs are the same for every reader."""
    return {
        rid
        for rid, level in access.package_levels(
            _PUBLIC_VIEWER, dataset_dict, [], access.holds_for(dataset_dict)
        ).items()
        if rules.withheld(level)
    }


def _access_right(code: str) -> URIRef:
    return URIRef(ACCESS_RIGHT + code)


class PricingProfile(RDFProfile):
    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> dict[str, Any]:
        # A harvested dataset is open data here: nothing of a source's access is read.
        return dataset_dict

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        g = self.g
        tier = dataset_dict.get("access_tier")
        self._set_access_right(dataset_ref, rules.access_right(tier))
        resources = [
            r for r in dataset_dict.get("resources") or [] if isinstance(r, dict) and r.get("id")
        ]
        withheld = withheld_ids(dataset_dict)
        secrets: dict[str, str] = {}
        distributions: dict[str, URIRef] = {}
        for resource in resources:
            distribution = CleanedURIRef(resource_uri(resource))
            if (dataset_ref, DCAT.distribution, distribution) not in g:
                continue
            rid = resource["id"]
            distributions[rid] = distribution
            code = rules.access_right(tier, resource)
            if rid in withheld:
                code = "RESTRICTED"
                placeholder = _withhold(
                    g, distribution, resource, secrets, (DCAT.accessURL, DCAT.downloadURL)
                )
                g.add((distribution, DCAT.accessURL, URIRef(placeholder)))
            self._set_access_right(distribution, code)
            if tier not in (None, "", rules.OPEN) and resource.get("access") == rules.SAMPLE:
                g.add((dataset_ref, ADMS.sample, distribution))
        offers, samples = dataset_policies(dataset_dict)
        covering: dict[str, list[tuple[URIRef, BNode]]] = {}
        for policy in offers + samples:
            targets = [distributions[rid] for rid in policy.distributions if rid in distributions]
            node, permission = self._policy(policy, targets)
            if policy in offers:
                g.add((dataset_ref, ODRL.hasPolicy, node))
            for rid in policy.distributions:
                covering.setdefault(rid, []).append((node, permission))
        for rid, found in covering.items():
            if rid in distributions:
                g.add((distributions[rid], ODRL.hasPolicy, self._one_policy(rid, found, offers)))
        if secrets:
            _scrub(g, secrets)

    def _one_policy(
        self, rid: str, found: list[tuple[URIRef, BNode]], offers: list[odrl.Policy]
    ) -> URIRef:
        """DCAT-AP gives a distribution one policy. Where several offers cover a file,
        it is an offer holding their permissions: in ODRL each permission of a policy
        stands alone, so any one of them, with its duties met, grants the use."""
        if len(found) == 1:
            return found[0][0]
        first = offers[0]
        node = URIRef(odrl.combined_iri(first.iri.split("#", 1)[0], rid))
        self._offer_node(node, "Offers", first.assigner)
        for _policy, permission in found:
            self.g.add((node, ODRL.permission, permission))
        return node

    def _offer_node(self, node: URIRef, title: str, assigner: str | None) -> None:
        g = self.g
        g.bind("odrl", ODRL)
        g.add((node, RDF.type, ODRL.Offer))
        g.add((node, RDF.type, ODRL.Policy))
        g.add((node, ODRL.uid, node))
        g.add((node, DCTERMS.title, Literal(title)))
        if assigner:
            g.add((node, ODRL.assigner, URIRef(assigner)))

    def _policy(self, policy: odrl.Policy, targets: list[URIRef]) -> tuple[URIRef, BNode]:
        """An offer, and its permission (to use the files in ``targets``)."""
        g = self.g
        node = URIRef(policy.iri)
        self._offer_node(node, policy.title, policy.assigner)
        if policy.licence and policy.licence_id:
            licence = URIRef(policy.licence)
            g.add((node, DCTERMS.license, licence))
            g.add((licence, RDF.type, DCTERMS.LicenseDocument))
            for language in ("en", "da"):
                title = licences.get(policy.licence_id, language)["title"]
                g.add((licence, DCTERMS.title, Literal(title, lang=language)))
        permission = BNode()
        g.add((node, ODRL.permission, permission))
        g.add((permission, RDF.type, ODRL.Permission))
        g.add((permission, ODRL.action, ODRL.use))
        for target in targets:
            g.add((permission, ODRL.target, target))
        if policy.period_months:
            self._constraint(
                permission,
                ODRL.elapsedTime,
                ODRL.lteq,
                Literal(odrl.period(policy.period_months), datatype=XSD.duration),
            )
        if policy.payment is not None:
            # ODRL 2.2's way to say what to pay: the compensate action refined by the
            # amount (odrl:payAmount) and its unit (the currency).
            action = BNode()
            duty = self._duty(permission, action)
            g.add((action, RDF.value, ODRL.compensate))
            refinement = BNode()
            g.add((action, ODRL.refinement, refinement))
            g.add((refinement, RDF.type, ODRL.Constraint))
            g.add((refinement, ODRL.leftOperand, ODRL.payAmount))
            g.add((refinement, ODRL.operator, ODRL.eq))
            amount = odrl.decimal_text(policy.payment.amount)
            g.add((refinement, ODRL.rightOperand, Literal(amount, datatype=XSD.decimal)))
            g.add((refinement, ODRL.unit, URIRef(policy.payment.currency_iri)))
            g.add((duty, SCHEMA.valueAddedTaxIncluded, Literal(policy.payment.vat_included)))
        if policy.consent:
            self._duty(permission, ODRL.obtainConsent)
        return node, permission

    def _duty(self, permission: Node, action: Node) -> BNode:
        duty = BNode()
        self.g.add((permission, ODRL.duty, duty))
        self.g.add((duty, RDF.type, ODRL.Duty))
        self.g.add((duty, ODRL.action, action))
        return duty

    def _constraint(self, rule: Node, left: URIRef, operator: URIRef, right: Literal) -> BNode:
        constraint = BNode()
        self.g.add((rule, ODRL.constraint, constraint))
        self.g.add((constraint, RDF.type, ODRL.Constraint))
        self.g.add((constraint, ODRL.leftOperand, left))
        self.g.add((constraint, ODRL.operator, operator))
        self.g.add((constraint, ODRL.rightOperand, right))
        return constraint

    def _set_access_right(self, subject: Node, code: str) -> None:
        g = self.g
        for old in list(g.objects(subject, DCTERMS.accessRights)):
            g.remove((subject, DCTERMS.accessRights, old))
        g.add((subject, DCTERMS.accessRights, _access_right(code)))
        g.add((_access_right(code), RDF.type, DCTERMS.RightsStatement))


def _withhold(
    g: Any,
    distribution: Node,
    resource: dict[str, Any],
    secrets: dict[str, str],
    predicates: tuple[URIRef, ...],
) -> str:
    """Take a withheld resource's URLs (``predicates``) off its distribution; note its
    real URL in ``secrets`` (scrubbed from the whole graph after); its purchase link."""
    rid = resource["id"]
    placeholder = redact.placeholder_url(access.site_url(), rid)
    url = resource.get("url")
    if isinstance(url, str) and url and not redact.is_substitute(url, rid):
        secrets[url] = placeholder
    for predicate in predicates:
        for old in list(g.objects(distribution, predicate)):
            g.remove((distribution, predicate, old))
    return placeholder


def _scrub(g: Any, secrets: dict[str, str]) -> None:
    """The dict held real URLs (a seller or sysadmin asked): none may remain in the
    graph, in any node or text."""
    for s, p, o in list(g):
        text = str(o)
        if not any(secret in text for secret in secrets):
            continue
        for secret, placeholder in secrets.items():
            text = text.replace(secret, placeholder)
        g.remove((s, p, o))
        if isinstance(o, Literal):
            g.add((s, p, Literal(text, lang=o.language, datatype=o.datatype)))
        else:
            g.add((s, p, URIRef(text)))
    for s, p, o in list(g):
        if any(secret in str(s) for secret in secrets):
            g.remove((s, p, o))


class PricingSchemaOrgProfile(RDFProfile):
    """The offers in schema.org terms, after ckanext-dcat's ``schemaorg`` profile."""

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        g = self.g
        tier = dataset_dict.get("access_tier") or rules.OPEN
        g.add((dataset_ref, SCHEMA.isAccessibleForFree, Literal(tier == rules.OPEN)))
        page = f"{access.site_url()}/dataset/{dataset_dict.get('name') or dataset_dict.get('id')}"
        offers, _samples = dataset_policies(dataset_dict)
        for policy in offers:
            if policy.payment is None:  # free, or on request: no price to state
                continue
            offer = BNode()
            g.add((dataset_ref, SCHEMA.offers, offer))
            g.add((offer, RDF.type, SCHEMA.Offer))
            g.add((offer, SCHEMA.identifier, Literal(policy.iri)))
            g.add((offer, SCHEMA.name, Literal(policy.title)))
            g.add((offer, SCHEMA.url, Literal(page)))
            if policy.assigner:
                g.add((offer, SCHEMA.seller, URIRef(policy.assigner)))
            if policy.licence:
                g.add((offer, SCHEMA.license, URIRef(policy.licence)))
            if policy.payment is not None:
                price = Literal(odrl.decimal_text(policy.payment.amount))
                g.add((offer, SCHEMA.price, price))
                g.add((offer, SCHEMA.priceCurrency, Literal(policy.payment.currency)))
                spec = BNode()
                g.add((offer, SCHEMA.priceSpecification, spec))
                g.add((spec, RDF.type, SCHEMA.UnitPriceSpecification))
                g.add((spec, SCHEMA.price, price))
                g.add((spec, SCHEMA.priceCurrency, Literal(policy.payment.currency)))
                g.add((spec, SCHEMA.valueAddedTaxIncluded, Literal(policy.payment.vat_included)))
            if policy.period_months:
                duration = BNode()
                g.add((offer, SCHEMA.eligibleDuration, duration))
                g.add((duration, RDF.type, SCHEMA.QuantitativeValue))
                g.add((duration, SCHEMA.value, Literal(policy.period_months)))
                g.add((duration, SCHEMA.unitCode, Literal("MON")))
        # A locked file's URL never appears, whoever asks (as in the DCAT output).
        withheld = withheld_ids(dataset_dict)
        secrets: dict[str, str] = {}
        for resource in dataset_dict.get("resources") or []:
            if not isinstance(resource, dict) or resource.get("id") not in withheld:
                continue
            distribution = CleanedURIRef(resource_uri(resource))
            placeholder = _withhold(
                g, distribution, resource, secrets, (SCHEMA.url, SCHEMA.contentUrl)
            )
            g.add((distribution, SCHEMA.url, Literal(placeholder)))
        if secrets:
            _scrub(g, secrets)
