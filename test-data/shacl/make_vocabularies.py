"""Make the EU vocabulary subsets in ``vocabularies/`` from copies of the published tables.

    python test-data/shacl/make_vocabularies.py SOURCE_DIR

SOURCE_DIR holds the files named in ``SOURCES`` (README.md says where each comes from,
with its repository and commit). Each subset keeps, of every concept it lists, only what
the DCAT-AP 3.0.1 shapes read: ``skos:inScheme``, and where the table gives them its
``rdf:type skos:Concept`` and its English and Danish ``skos:prefLabel``. The concept
schemes themselves are left out (they are reference data, not the output under test).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

HERE = Path(__file__).resolve().parent
AUTHORITY = "http://publications.europa.eu/resource/authority/"

# The 24 official languages of the EU, and the Nordic languages a Danish portal meets.
LANGUAGES = (
    "BUL CES DAN DEU ELL ENG EST FIN FRA GLE HRV HUN ITA LAV LIT MLT NLD POL POR RON "
    "SLK SLV SPA SWE NOR NOB NNO ISL FAO KAL SME MUL"
).split()
# The EU licence IRIs that config/licenses.json's ids map to (ckanext-cityexchange's
# ckanext/cityexchange/dcat_rules.py, LICENCES).
LICENCES = "CC0 CC_BY_4_0 CC_BYSA_4_0 CC_BYNC_2_0 ODC_BY ODC_BL ODC_PDDL OGL_3_0".split()


@dataclass(frozen=True)
class Source:
    file: str  # in SOURCE_DIR
    scheme: str  # the concept scheme's IRI
    out: str  # in vocabularies/
    origin: str  # for the subset's header
    keep: tuple[str, ...] | None = None  # concept codes; None: all of the table
    add_type: bool = False  # the source omits rdf:type skos:Concept (see README.md)
    fmt: str = "xml"


SE = "diggsweden/DCAT-AP-SE-Processor d387fc35 (branch feature/61-rdf-validator), src/main/resources/shapes/vocabularies/"
FDK = "Informasjonsforvaltning/fdk-reference-data, src/test/resources/"
SOURCES = (
    Source("file-type.rdf", AUTHORITY + "file-type", "file-type.ttl", SE + "file-type.rdf"),
    Source("frequency.rdf", AUTHORITY + "frequency", "frequency.ttl", SE + "frequency.rdf"),
    Source(
        "language.rdf",
        AUTHORITY + "language",
        "language.ttl",
        SE + "language.rdf",
        keep=tuple(LANGUAGES),
    ),
    Source(
        "access-right-skos.rdf",
        AUTHORITY + "access-right",
        "access-right.ttl",
        SE + "access-right-skos.rdf",
    ),
    Source(
        "data-theme-skos.rdf", AUTHORITY + "data-theme", "data-theme.ttl", SE + "data-theme-skos.rdf"
    ),
    Source(
        "distribution-status-skos.rdf",
        AUTHORITY + "distribution-status",
        "distribution-status.ttl",
        SE + "distribution-status-skos.rdf",
    ),
    Source(
        "planned-availability-sparql-result.ttl",
        AUTHORITY + "planned-availability",
        "planned-availability.ttl",
        FDK + "planned-availability-sparql-result.ttl (02c1169a)",
        add_type=True,
        fmt="turtle",
    ),
    Source(
        "licences-sparql-result.ttl",
        AUTHORITY + "licence",
        "licence.ttl",
        FDK + "licences-sparql-result.ttl (6717fa06)",
        keep=tuple(LICENCES),
        fmt="turtle",
    ),
    Source(
        "ADMS_SKOS_v1.00.rdf",
        "http://purl.org/adms/licencetype/1.0",
        "adms-licencetype.ttl",
        "SEMICeu/ADMS-AP 82bbdb53, purl.org/ADMS_SKOS_v1.00.rdf",
    ),
)


def subset(source: Source, folder: Path) -> Graph:
    full = Graph()
    full.parse(folder / source.file, format=source.fmt)
    scheme = URIRef(source.scheme)
    out = Graph()
    out.bind("skos", SKOS)
    concepts = sorted(set(full.subjects(SKOS.inScheme, scheme)))
    if source.keep is not None:
        wanted = {f"{source.scheme}/{code}" for code in source.keep}
        concepts = [c for c in concepts if str(c) in wanted]
        missing = wanted - {str(c) for c in concepts}
        if missing:
            raise SystemExit(f"{source.file}: not in the table: {sorted(missing)}")
    for concept in concepts:
        out.add((concept, SKOS.inScheme, scheme))
        if source.add_type or (concept, RDF.type, SKOS.Concept) in full:
            out.add((concept, RDF.type, SKOS.Concept))
        for label in full.objects(concept, SKOS.prefLabel):
            if isinstance(label, Literal) and label.language in ("en", "da"):
                out.add((concept, SKOS.prefLabel, label))
    return out


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    folder = Path(sys.argv[1])
    target = HERE / "vocabularies"
    target.mkdir(exist_ok=True)
    for source in SOURCES:
        graph = subset(source, folder)
        version = next(
            (
                str(v)
                for v in Graph()
                .parse(folder / source.file, format=source.fmt)
                .objects(URIRef(source.scheme), OWL.versionInfo)
            ),
            "not stated",
        )
        header = (
            f"# Subset of {source.scheme} (version {version}), made by\n"
            f"# test-data/shacl/make_vocabularies.py from {source.origin}\n"
        )
        body = graph.serialize(format="turtle")
        (target / source.out).write_text(header + body, encoding="utf-8")
        print(f"{source.out}: {len(set(graph.subjects()))} concepts, {len(graph)} triples")


if __name__ == "__main__":
    main()
