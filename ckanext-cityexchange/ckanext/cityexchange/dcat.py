"""The portal's DCAT-AP 3 output: a ckanext-dcat profile (``cityexchange``), listed after
``euro_dcat_ap_3`` in ``ckanext.dcat.rdf.profiles``. It turns what the EU profile writes
from CKAN's plain values into the terms DCAT-AP 3.0.1 requires (``vocab.py`` holds the
rules), and fills in what the catalog and every dataset must have:

- datasets: languages as EU language IRIs, the update frequency as an EU frequency, a
  description (the title where a dataset has none), a contact point (the publishing
  organisation where the dataset names none);
- distributions: ``dct:format`` as an EU file type and ``dcat:mediaType`` as an IANA
  media type (the plain text CKAN keeps is dropped: an unknown format is left unsaid),
  the dataset's licence from the licence register (EU licence IRIs where the EU table
  has the licence), ``dcatap:availability`` and an access URL (the resource's page where
  the resource has none);
- the catalog: its publisher, languages (the locales the portal offers), licence,
  homepage and the EU data-theme vocabulary as its theme taxonomy.

Access rights and locked resources are ckanext-pricing's profile (``pricing``); the
GDPR checklist is ckanext-gdprcheck's (``gdprcheck``).
"""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS
from rdflib.term import Node

from ckanext.cityexchange import vocab
from ckanext.dcat.profiles import DCAT, DCATAP, VCARD, CleanedURIRef, RDFProfile
from ckanext.dcat.utils import resource_uri

DCT = DCTERMS
DCT_FORMAT = URIRef("http://purl.org/dc/terms/format")  # DCTERMS.format is a builtin's name
# Where no distribution says otherwise: planned to be available for some time (the
# portal cannot promise more for its publishers; see README).
DEFAULT_AVAILABILITY = URIRef(vocab.PLANNED_AVAILABILITY + "AVAILABLE")


def _site_url() -> str:
    return str(tk.config.get("ckan.site_url") or "").rstrip("/")


def _values(value: Any) -> list[str]:
    """A list field as CKAN may hold it: a list, a JSON list or comma-separated text."""
    if isinstance(value, list):
        return [str(v) for v in value if v]
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                loaded = None
            if isinstance(loaded, list):
                return [str(v) for v in loaded if v]
        return [v.strip() for v in text.split(",") if v.strip()]
    return []


class CityexchangeProfile(RDFProfile):
    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> dict[str, Any]:
        # Reading a source's DCAT is ckanext-dcat's EU profile's and ckanext-cityharvest's
        # mapping's work (formats, languages and licences to this portal's values).
        return dataset_dict

    # --- datasets ----------------------------------------------------------------------

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        g = self.g
        g.bind("dcatap", DCATAP)
        if (dataset_ref, DCT.description, None) not in g and dataset_dict.get("title"):
            # Mandatory in DCAT-AP: a dataset without a description is described by its title.
            g.add((dataset_ref, DCT.description, Literal(dataset_dict["title"])))
        self._languages(dataset_ref, _values(self._get_dataset_value(dataset_dict, "language")))
        frequency = vocab.frequency_iri(dataset_dict.get("update_frequency"))
        if frequency and (dataset_ref, DCT.accrualPeriodicity, None) not in g:
            g.add((dataset_ref, DCT.accrualPeriodicity, URIRef(frequency)))
            g.add((URIRef(frequency), RDF.type, DCT.Frequency))
        self._contact_point(dataset_dict, dataset_ref)
        licence = self._licence(dataset_dict)
        for resource in dataset_dict.get("resources") or []:
            if not isinstance(resource, dict) or not resource.get("id"):
                continue
            distribution = CleanedURIRef(resource_uri(resource))
            if (dataset_ref, DCAT.distribution, distribution) not in g:
                continue
            self._format(distribution, resource)
            if licence is not None and (distribution, DCT.license, None) not in g:
                g.add((distribution, DCT.license, licence))
            if (distribution, DCATAP.availability, None) not in g:
                g.add((distribution, DCATAP.availability, DEFAULT_AVAILABILITY))
            if (distribution, DCAT.accessURL, None) not in g:
                # Mandatory in DCAT-AP: a resource without a URL is reached through its page.
                page = f"{_site_url()}/dataset/{dataset_dict.get('id')}/resource/{resource['id']}"
                g.add((distribution, DCAT.accessURL, URIRef(page)))

    def _languages(self, subject: Node, values: list[str]) -> None:
        g = self.g
        for old in list(g.objects(subject, DCT.language)):
            if not isinstance(old, URIRef) or vocab.language_iri(str(old)) != str(old):
                g.remove((subject, DCT.language, old))
        for value in values:
            iri = vocab.language_iri(value)
            if iri:
                g.add((subject, DCT.language, URIRef(iri)))
                g.add((URIRef(iri), RDF.type, DCT.LinguisticSystem))

    def _contact_point(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        g = self.g
        contacts = list(g.objects(dataset_ref, DCAT.contactPoint))
        if not contacts:
            organization = dataset_dict.get("organization") or {}
            if not organization.get("name"):
                return
            # The publishing organisation is the contact: its page lists its people and
            # is where a buyer asks for data (a deal room).
            contact = BNode()
            g.add((dataset_ref, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, VCARD.fn, Literal(organization.get("title") or organization["name"])))
            page = f"{_site_url()}/organization/{organization['name']}"
            g.add((contact, VCARD.hasURL, URIRef(page)))
            contacts = [contact]
        for contact in contacts:
            # vCard's Organization is a Kind; said outright for validators that do not
            # read the vCard ontology.
            g.add((contact, RDF.type, VCARD.Kind))

    def _licence(self, dataset_dict: dict[str, Any]) -> Node | None:
        licence = vocab.licence(dataset_dict.get("license_id"))
        if licence is None:
            return None
        g = self.g
        url = str(dataset_dict.get("license_url") or "")
        node: Node
        if licence.iri:
            node = URIRef(licence.iri)
        elif url.startswith(("http://", "https://")):
            node = CleanedURIRef(url)
        else:
            # The portal's page for the licence: an IRI, never a blank node, which
            # rdflib's RDF/XML writer leaves out when datasets share it.
            node = URIRef(f"{_site_url()}/licences/{dataset_dict.get('license_id')}")
        g.add((node, RDF.type, DCT.LicenseDocument))
        g.add((node, DCT.type, URIRef(licence.licence_type_iri)))
        title = dataset_dict.get("license_title")
        if title and not licence.iri:
            g.add((node, RDFS.label, Literal(title)))
        return node

    def _format(self, distribution: URIRef, resource: dict[str, Any]) -> None:
        g = self.g
        fmt, mimetype = resource.get("format"), resource.get("mimetype")
        for predicate in (DCT_FORMAT, DCAT.mediaType):
            for old in list(g.objects(distribution, predicate)):
                g.remove((distribution, predicate, old))
        known = vocab.resource_format(fmt, mimetype)
        if known is not None:
            file_type = URIRef(known.file_type_iri)
            g.add((distribution, DCT_FORMAT, file_type))
            g.add((file_type, RDF.type, DCT.MediaTypeOrExtent))
        media_type = vocab.media_type_iri(fmt, mimetype)
        if media_type:
            g.add((distribution, DCAT.mediaType, URIRef(media_type)))
            g.add((URIRef(media_type), RDF.type, DCT.MediaType))

    # --- the catalog -------------------------------------------------------------------

    def graph_from_catalog(self, catalog_dict: dict[str, Any] | None, catalog_ref: URIRef) -> None:
        g = self.g
        config = tk.config
        locales = [config.get("ckan.locale_default") or "en", *config.get("ckan.locales_offered")]
        self._languages(catalog_ref, vocab.catalog_languages([str(v) for v in locales]))

        # The portal's front page; not the catalog's own IRI (ckanext-dcat's catalog_uri,
        # the site URL without a slash), which is a catalog and not a document.
        homepage = config.get("ckanext.cityexchange.dcat.catalog_homepage") or f"{_site_url()}/"
        for old in list(g.objects(catalog_ref, FOAF.homepage)):
            g.remove((catalog_ref, FOAF.homepage, old))
        g.add((catalog_ref, FOAF.homepage, CleanedURIRef(homepage)))
        g.add((CleanedURIRef(homepage), RDF.type, FOAF.Document))

        licence = config.get("ckanext.cityexchange.dcat.catalog_licence")
        if licence and (catalog_ref, DCT.license, None) not in g:
            node = CleanedURIRef(licence)
            g.add((catalog_ref, DCT.license, node))
            g.add((node, RDF.type, DCT.LicenseDocument))
            g.add((node, DCT.type, URIRef(vocab.licence_for_iri(licence).licence_type_iri)))

        if (catalog_ref, DCT.publisher, None) not in g:
            self._catalog_publisher(catalog_ref)

        # The groups of this portal are the EU data themes (ckanext-cityharvest).
        themes = URIRef(vocab.DATA_THEME)
        g.add((catalog_ref, DCAT.themeTaxonomy, themes))
        g.add((themes, RDF.type, SKOS.ConceptScheme))
        g.add((themes, DCT.title, Literal("Data theme", lang="en")))

    def _catalog_publisher(self, catalog_ref: URIRef) -> None:
        g, config = self.g, tk.config
        name = config.get("ckanext.cityexchange.dcat.publisher_name") or config.get(
            "ckan.site_title"
        )
        uri = config.get("ckanext.cityexchange.dcat.publisher_uri")
        publisher: Node = CleanedURIRef(uri) if uri else BNode()
        g.add((catalog_ref, DCT.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, FOAF.name, Literal(name)))
        email = config.get("ckanext.cityexchange.dcat.publisher_email")
        if email:
            g.add((publisher, FOAF.mbox, URIRef(f"mailto:{email.removeprefix('mailto:')}")))
        url = config.get("ckanext.cityexchange.dcat.publisher_url")
        if url:
            g.add((publisher, FOAF.homepage, CleanedURIRef(url)))
            g.add((CleanedURIRef(url), RDF.type, FOAF.Document))
