"""The works a report cites: a BibTeX entry for LaTeX and one line for every other format.

A report cites the methodology (Bommasani et al., Patterson et al., Li et al.), the sources of
its equivalences, and the sources its assumptions name (matched by keywords in their
``source`` text: an SCC preset, a PUE survey, codecarbon's grid data, embodied figures).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reference:
    key: str
    text: str
    """One line: authors (year). Title. Venue. Link."""
    bibtex: str
    keywords: tuple[str, ...] = ()
    """Lower-case words that, found in an assumption's source, make the report cite this."""

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text}


REFERENCES: tuple[Reference, ...] = (
    Reference(
        "bommasani2021",
        "Bommasani, R. et al. (2021). On the Opportunities and Risks of Foundation Models, "
        "§5.3 Environment. arXiv:2108.07258.",
        "@misc{bommasani2021,\n  author = {Bommasani, Rishi and others},\n"
        "  title = {On the Opportunities and Risks of Foundation Models},\n"
        "  year = {2021},\n  eprint = {2108.07258},\n  archivePrefix = {arXiv},\n"
        "  note = {Section 5.3, Environment}\n}",
    ),
    Reference(
        "patterson2021",
        "Patterson, D. et al. (2021). Carbon Emissions and Large Neural Network Training. "
        "arXiv:2104.10350.",
        "@misc{patterson2021,\n  author = {Patterson, David and Gonzalez, Joseph and Le, Quoc "
        "and Liang, Chen and Munguia, Lluis-Miquel and Rothchild, Daniel and So, David and "
        "Texier, Maud and Dean, Jeff},\n"
        "  title = {Carbon Emissions and Large Neural Network Training},\n  year = {2021},\n"
        "  eprint = {2104.10350},\n  archivePrefix = {arXiv}\n}",
    ),
    Reference(
        "li2023water",
        "Li, P., Yang, J., Islam, M. A. and Ren, S. (2023). Making AI Less Thirsty: Uncovering "
        "and Addressing the Secret Water Footprint of AI Models. arXiv:2304.03271.",
        "@misc{li2023water,\n  author = {Li, Pengfei and Yang, Jianyi and Islam, Mohammad A. "
        "and Ren, Shaolei},\n  title = {Making {AI} Less Thirsty: Uncovering and Addressing "
        "the Secret Water Footprint of {AI} Models},\n  year = {2023},\n"
        "  eprint = {2304.03271},\n  archivePrefix = {arXiv}\n}",
        ("li et al", "li 2023", "wue", "ewif", "water"),
    ),
    Reference(
        "luccioni2023",
        "Luccioni, A. S., Viguier, S. and Ligozat, A.-L. (2023). Estimating the Carbon "
        "Footprint of BLOOM, a 176B Parameter Language Model. JMLR 24(253).",
        "@article{luccioni2023,\n  author = {Luccioni, Alexandra Sasha and Viguier, Sylvain "
        "and Ligozat, Anne-Laure},\n  title = {Estimating the Carbon Footprint of {BLOOM}, a "
        "176{B} Parameter Language Model},\n  journal = {Journal of Machine Learning "
        "Research},\n  volume = {24},\n  number = {253},\n  year = {2023}\n}",
        ("luccioni", "bloom"),
    ),
    Reference(
        "epa2023scc",
        "U.S. Environmental Protection Agency (2023). Report on the Social Cost of Greenhouse "
        "Gases: Estimates Incorporating Recent Scientific Advances.",
        "@techreport{epa2023scc,\n  author = {{U.S. Environmental Protection Agency}},\n"
        "  title = {Report on the Social Cost of Greenhouse Gases: Estimates Incorporating "
        "Recent Scientific Advances},\n  institution = {U.S. EPA},\n  year = {2023}\n}",
        ("epa 2023", "epa-2023", "epa (2023)", "social cost of greenhouse"),
    ),
    Reference(
        "iwg2021",
        "Interagency Working Group on Social Cost of Greenhouse Gases (2021). Technical Support "
        "Document: Social Cost of Carbon, Methane, and Nitrous Oxide. Interim Estimates under "
        "Executive Order 13990.",
        "@techreport{iwg2021,\n  author = {{Interagency Working Group on Social Cost of "
        "Greenhouse Gases}},\n  title = {Technical Support Document: Social Cost of Carbon, "
        "Methane, and Nitrous Oxide. Interim Estimates under Executive Order 13990},\n"
        "  institution = {United States Government},\n  year = {2021}\n}",
        ("iwg", "interagency"),
    ),
    Reference(
        "rennert2022",
        "Rennert, K. et al. (2022). Comprehensive evidence implies a higher social cost of CO2. "
        "Nature 610, 687–692.",
        "@article{rennert2022,\n  author = {Rennert, Kevin and others},\n"
        "  title = {Comprehensive evidence implies a higher social cost of {CO}$_2$},\n"
        "  journal = {Nature},\n  volume = {610},\n  pages = {687--692},\n  year = {2022}\n}",
        ("rennert",),
    ),
    Reference(
        "uptime2023",
        "Uptime Institute (2023). Global Data Center Survey 2023.",
        "@techreport{uptime2023,\n  author = {{Uptime Institute}},\n"
        "  title = {Global Data Center Survey 2023},\n  institution = {Uptime Institute},\n"
        "  year = {2023}\n}",
        ("uptime",),
    ),
    Reference(
        "codecarbon",
        "Courty, B. et al. CodeCarbon: estimate and track carbon emissions from machine "
        "learning computing (software; its grid carbon-intensity data). "
        "https://github.com/mlco2/codecarbon.",
        "@misc{codecarbon,\n  author = {Courty, Beno{\\^i}t and others},\n"
        "  title = {{CodeCarbon}: estimate and track carbon emissions from machine learning "
        "computing},\n  howpublished = {\\url{https://github.com/mlco2/codecarbon}},\n"
        "  note = {Software and grid carbon-intensity data}\n}",
        ("codecarbon",),
    ),
    Reference(
        "nvidia2023hgx",
        "NVIDIA (2023). Product Carbon Footprint Summary for NVIDIA HGX H100.",
        "@techreport{nvidia2023hgx,\n  author = {{NVIDIA}},\n  title = {Product Carbon "
        "Footprint Summary for {NVIDIA} {HGX} {H100}},\n  institution = {NVIDIA},\n"
        "  year = {2023}\n}",
        ("nvidia", "hgx"),
    ),
    Reference(
        "strubell2019",
        "Strubell, E., Ganesh, A. and McCallum, A. (2019). Energy and Policy Considerations for "
        "Deep Learning in NLP. Proceedings of ACL 2019, 3645–3650.",
        "@inproceedings{strubell2019,\n  author = {Strubell, Emma and Ganesh, Ananya and "
        "McCallum, Andrew},\n  title = {Energy and Policy Considerations for Deep Learning in "
        "{NLP}},\n  booktitle = {Proceedings of the 57th Annual Meeting of the Association for "
        "Computational Linguistics},\n  pages = {3645--3650},\n  year = {2019}\n}",
    ),
    Reference(
        "epa2023vehicle",
        "U.S. Environmental Protection Agency (2023). Greenhouse Gas Emissions from a Typical "
        "Passenger Vehicle. https://www.epa.gov/greenhouse-gas-emissions-typical-passenger-vehicle.",
        "@misc{epa2023vehicle,\n  author = {{U.S. Environmental Protection Agency}},\n"
        "  title = {Greenhouse Gas Emissions from a Typical Passenger Vehicle},\n"
        "  year = {2023},\n  howpublished = {\\url{https://www.epa.gov/"
        "greenhouse-gas-emissions-typical-passenger-vehicle}}\n}",
    ),
)
ALWAYS = ("bommasani2021", "patterson2021", "li2023water")
_BY_KEY = {reference.key: reference for reference in REFERENCES}


def reference(key: str) -> Reference:
    return _BY_KEY[key]


def cited(assumption_sources: Iterable[str], extra: Iterable[str] = ()) -> tuple[Reference, ...]:
    """The references a report cites, in the order of :data:`REFERENCES`."""
    keys = set(ALWAYS) | set(extra)
    text = " ".join(source.lower() for source in assumption_sources)
    for ref in REFERENCES:
        if any(word in text for word in ref.keywords):
            keys.add(ref.key)
    return tuple(ref for ref in REFERENCES if ref.key in keys)


def bibtex(references: Iterable[Reference]) -> str:
    return "\n\n".join(ref.bibtex for ref in references) + "\n"
