"""An imaginary fourth site, "saludqa" (Spanish), declared the way a deployment adds one: a label table for the
template parser and a Site declaration, registered on import (`-s QA_SITE_MODULES=tests.imaginary_site`), with
no module under qacrawler/. ``SaludQaMirror`` is its tiny sandbox: twelve articles and a sitemap."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

from qacrawler.page.sites.registry import register
from qacrawler.page.sites.site import Discovery, Site
from qacrawler.page.sites.template import Labels, TemplateParser

SPANISH = Labels(
    ask_date=("Fecha de consulta:",),
    reply_date=("Fecha de respuesta:",),
    share=("Compartir en:",),
    more_info="Más información",
    similar="Preguntas similares",
    related_faq="Preguntas frecuentes relacionadas",
    read_more="[Leer más]",
    not_found=("Artículo no encontrado",),
    age_part=r",\s*(?P<lo>[0-9]{1,3})\s*(?:~\s*(?P<hi>[0-9]{1,3})\s*)?años(?:\s+(?P<gender>[a-z]+))?",
    asker_end=r"\s*\.?",
    genders={"mujer": "female", "hombre": "male"},
    reply_header=r"^Respuesta del Dr\.\s*(?P<name>\S.*?)\s+-\s+(?P<department>\S.*)$",
    reply_frame=("Respuesta del Dr. ", " - ", ""),
    asker_form="{name}, {lo}~{hi} años {gender}.",
    gender_words={"male": "hombre", "female": "mujer"},
    title_word=r"^(?:Sr|Sra|Srta|Dr|Dra)\.$",
    sentence_end=r"[.!?:]$",
)
ARTICLE = r"^/pregunta/([0-9]+)$"

SALUDQA = register(Site(
    id="saludqa",
    language="es",
    base_url="https://saludqa.example",
    article=ARTICLE,
    article_template="/pregunta/{id}",
    parser=TemplateParser(labels=SPANISH, article=ARTICLE).parse,
    parser_version="1.0",
    description="an imaginary Spanish health Q&A site (tests only)",
    discovery=Discovery(sitemaps=("/sitemap.xml",), article_links=False),
    required_fields=("answer", "doctor.name"),
    gates={"coverage": {"reply_date": 0.9}},
))

DEPARTMENTS = ("Neurología", "Cardiología", "Pediatría")
NAMES = ("Ana", "Luis", "María José, la hija", "Sr. Gómez")


class SaludQaMirror:
    """Twelve articles (ids 101-112) rendered with the label table's own wording, and their ground truth."""

    ids = tuple(range(101, 113))

    def truth(self, number: int) -> dict[str, Any]:
        index = number - self.ids[0]
        asked = date(2023, 1, 1) + timedelta(days=7 * index)
        lo = 20 + 10 * (index % 4)
        return {
            "title": f"¿Por qué me duele la cabeza por la mañana? (caso {number})",
            "question": f"Desde hace {index + 2} semanas me despierto con dolor.\nNo tomo medicamentos.",
            "asker": {"name": NAMES[index % len(NAMES)], "age_min": lo, "age_max": lo + 9,
                      "gender": ("female", "male")[index % 2]},
            "ask_date": asked,
            "doctor": {"name": f"Pérez {index}"},
            "department": DEPARTMENTS[index % len(DEPARTMENTS)],
            "answer": f"Hola: le recomiendo consultar a un especialista.\nSaludos, Dr. Pérez {index}.",
            "reply_date": asked + timedelta(days=1),
        }

    def page(self, number: int) -> str:
        truth = self.truth(number)
        asker = SPANISH.asker_form.format(name=truth["asker"]["name"], lo=truth["asker"]["age_min"],
                                          hi=truth["asker"]["age_max"],
                                          gender=SPANISH.gender_words[truth["asker"]["gender"]])
        before, between, after = SPANISH.reply_frame
        paragraphs = [
            f"<h1>{escape(truth['title'])}</h1>",
            *(f"<p>{escape(line)}</p>" for line in truth["question"].split("\n")),
            f"<p>{escape(asker)} {SPANISH.ask_date[0]} {truth['ask_date']:%Y/%m/%d}</p>",
            f"<h2>{before}{escape(truth['doctor']['name'])}{between}{escape(truth['department'])}{after}</h2>",
            *(f"<p>{escape(line)}</p>" for line in truth["answer"].split("\n")),
            f"<p>{SPANISH.reply_date[0]} {truth['reply_date']:%Y/%m/%d}</p>",
        ]
        return f"<!doctype html><html lang=\"es\"><body><main>{''.join(paragraphs)}</main></body></html>"

    def render(self, path: str, query: dict[str, list[str]], *, base_url: str) -> tuple[int, dict[str, str], bytes]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base_url}{SALUDQA.article_path(number)}</loc></url>" for number in self.ids)
            body = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return 200, {"Content-Type": "application/xml"}, body.encode("utf-8")
        number = SALUDQA.source_id_from_url(path)
        if number is not None and int(number) in self.ids:
            return 200, html, self.page(int(number)).encode("utf-8")
        return 404, html, f"<html><body><p>{SPANISH.not_found[0]}</p></body></html>".encode()
