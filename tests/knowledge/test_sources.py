"""Every source a parent sees names the real publisher of the page it links to."""

import re
from urllib.parse import urlsplit

import pytest
import yaml

from common.paths import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "knowledge" / "content"
SOURCE_FILES = [CONTENT / "sources.yml", *sorted(CONTENT.glob("sources_*.yml"))]

# A label may name one of these bodies only on a page of the body's own domains
# (a subdomain counts), or, where journals are listed, when the label names one of
# the body's journals (first, or in brackets): that journal's papers may be read
# anywhere (PubMed, PMC, doi.org, a Scribd upload).
# (body, how a label names it, its domains, its journals)
BODIES = [
    ("NHS", r"\bNHS\b", ("nhs.uk", "nhs.wales"), ()),
    ("CDC", r"\bCDC\b|Centers for Disease Control", ("cdc.gov",), ()),
    (
        "AAPD",
        r"\bAAPD\b|American Academy of Pediatric Dentistry",
        ("aapd.org", "mychildrensteeth.org"),
        ("Pediatric Dentistry", "Journal of Dentistry for Children"),
    ),
    ("FDA", r"\bFDA\b|Food and Drug Administration", ("fda.gov",), ()),
    (
        "ADA",
        r"\bADA\b|American Dental Association",
        ("ada.org", "mouthhealthy.org"),
        ("JADA", "Journal of the American Dental Association"),
    ),
    ("Cleveland Clinic", r"Cleveland Clinic", ("clevelandclinic.org",), ()),
]


def load_entries():
    entries = []
    for path in SOURCE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        assert isinstance(data, dict), f"{path.name}: must map keys to entries"
        entries += [(f"{path.name}:{key}", entry) for key, entry in data.items()]
    return entries


ENTRIES = load_entries()
IDS = [name for name, _ in ENTRIES]


def host(url):
    return (urlsplit(str(url)).hostname or "").lower()


def on_domain(url, domains):
    name = host(url)
    return any(name == d or name.endswith("." + d) for d in domains)


def names_journal(label, journals):
    """True when the label names one of the journals first ("PMC / " aside) or in
    brackets: "Pediatric Dentistry (AAPD)", "AAOMR (Journal of the American Dental
    Association)"; not a practice called "... Pediatric Dentistry"."""
    name = re.sub(r"^PMC\s*/\s*", "", label)
    return any(name.startswith(j) or f"({j}" in name for j in journals)


def labels(entry):
    """What a parent may read as the source's name."""
    return [str(entry[field]) for field in ("publisher", "short") if entry.get(field)]


def test_the_sources_file_is_not_empty():
    assert len(ENTRIES) >= 100


@pytest.mark.parametrize("name,entry", ENTRIES, ids=IDS)
def test_entry_has_publisher_title_and_url(name, entry):
    assert isinstance(entry, dict), name
    for field in ("publisher", "title", "url"):
        value = entry.get(field)
        assert isinstance(value, str) and value.strip(), f"{name}: no {field}"
    assert re.match(r"https?://", entry["url"]), f"{name}: url is not a web address"


@pytest.mark.parametrize("name,entry", ENTRIES, ids=IDS)
def test_publisher_is_not_the_internal_fact_base(name, entry):
    for field in ("publisher", "title", "short"):
        assert "clinical-facts" not in str(entry.get(field, "")).lower(), f"{name}: {field}"


@pytest.mark.parametrize("name,entry", ENTRIES, ids=IDS)
def test_a_label_names_a_body_only_on_its_own_pages(name, entry):
    for label in labels(entry):
        for body, pattern, domains, journals in BODIES:
            if not re.search(pattern, label):
                continue
            allowed = on_domain(entry.get("url"), domains) or names_journal(label, journals)
            assert allowed, (
                f"{name}: '{label}' claims {body}, but {host(entry.get('url'))} "
                f"is not {' or '.join(domains)}"
            )


@pytest.mark.parametrize("name,entry", ENTRIES, ids=IDS)
def test_known_errors_give_a_reason(name, entry):
    if "known_errors" in entry:
        reason = entry["known_errors"]
        assert isinstance(reason, str) and reason.strip(), f"{name}: known_errors has no reason"


@pytest.mark.parametrize(
    "label,url,ok",
    [
        ("NHS abscess advice", "https://www.callowbrookdentalpractice.co.uk/general-1-1", False),
        ("Callow Brook Dental Practice", "https://www.callowbrookdentalpractice.co.uk/x", True),
        ("CDC", "https://teethfirstri.org/blog/x", False),
        ("Public Health Wales (NHS Wales)", "https://phw.nhs.wales/x", True),
        ("American Academy of Pediatric Dentistry", "https://www.aapd.org/x", True),
        ("AAPD periodicity guidance", "https://www.bloomingsmilesfl.com/resources", False),
        ("Pediatric Dentistry (AAPD)", "https://pubmed.ncbi.nlm.nih.gov/28292337/", True),
        ("TeethBuddies Pediatric Dentistry (AAPD member)", "https://www.teethbuddies.com/x", False),
        ("PMC / Journal of the American Dental Association", "https://pmc.ncbi.nih.gov/", True),
        ("AAOMR (Journal of the American Dental Association)", "https://doi.org/10.1/x", True),
        ("American Dental Association (MouthHealthy)", "https://www.mouthhealthy.org/x", True),
        ("FDA drug safety communication", "https://pubs.asahq.org/monitor/x", False),
        ("Cleveland Clinic", "https://my.clevelandclinic.org/health/x", True),
    ],
)
def test_the_body_rule_itself(label, url, ok):
    verdicts = [
        on_domain(url, domains) or names_journal(label, journals)
        for _, pattern, domains, journals in BODIES
        if re.search(pattern, label)
    ]
    assert all(verdicts) is ok
