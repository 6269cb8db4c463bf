"""Generate N FOCAL-shaped archive pages, deterministically, in a site-mirror layout.

    python benchmarks/generate.py 100000 /tmp/focal-100k [--seed 1]

Each page has the archive banner, a title, an author line, 4–12 body paragraphs, an
author bio and the comment footer, like the real archive. Words: about 45% function
words; the rest follow a Zipf distribution over real policy words and a long tail of
30,000 invented words; each page has one of 40 topics whose words and recurring
phrase ("smart border", "Mérida Initiative", "NORAD", "Summit of the Americas"...)
cluster in its pages, as subjects do in a real archive. About 15% of pages are
French and 10% Spanish. Files go to
``www.focal.ca/<lang>/publications/focalpoint/<n>-<month>-<year>-<slug>.txt``
(dates 1995–2011), so URLs and dates are recovered as for the real mirror.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

BANNER = (
    "Welcome to the FOCAL archive\n\n"
    "The Canadian Foundation for the Americas (FOCAL) is no longer in operation. This "
    "website documents FOCAL's activities and accomplishments throughout its existence. "
    "Thank you for your interest in the work of FOCAL.\n\n"
)
FOOTER = (
    "\n\nblog comments powered by Disqus\nComments Policy\n\n"
    "Comments displayed in the Disqus forum are not the opinion of FOCAL, but of the "
    "commenter. Personal attacks, offensive language, false claims, solicitation and spam "
    'are not permitted.\n\nClick "Flag" to report abuse to the moderator.\n\n'
    "disqus_logo Privacy Policy\n\naddthis AddThis Privacy Policy"
)

CONTENT = {
    "en": """security border trade migration policy canada mexico cuba haiti governance democracy
    election reform summit hemisphere agreement cooperation economy development rights police
    drug cartel initiative energy investment labour indigenous poverty health education
    government minister president congress parliament region countries relations program
    crisis violence justice military defence intelligence commerce exports imports tariffs
    market growth inflation debt bank finance aid donors reconstruction earthquake hurricane
    climate environment mining oil gas water agriculture farmers workers wages unions women
    youth children schools hospitals corruption transparency accountability institutions
    courts judges elections voters parties opposition protests media press freedom rights
    refugees asylum smuggling trafficking weapons gangs prisons reform decentralization
    municipal provinces federal bilateral multilateral organization americas caribbean
    andean venezuela colombia brazil argentina chile peru bolivia ecuador guatemala honduras""",
    "fr": """sécurité frontière commerce migration politique canada mexique cuba haïti gouvernance
    démocratie élection réforme sommet hémisphère accord coopération économie développement
    droits police drogue initiative énergie investissement travail autochtones pauvreté santé
    éducation gouvernement ministre président région pays relations programme crise violence
    justice militaire défense marché croissance dette banque aide donateurs reconstruction
    séisme climat environnement mines pétrole eau agriculture travailleurs salaires femmes""",
    "es": """seguridad frontera comercio migración política canadá méxico cuba haití gobernabilidad
    democracia elección reforma cumbre hemisferio acuerdo cooperación economía desarrollo
    derechos policía droga iniciativa energía inversión trabajo indígenas pobreza salud
    educación gobierno ministro presidente región países relaciones programa crisis violencia
    justicia militar defensa mercado crecimiento deuda banco ayuda donantes reconstrucción""",
}
FUNCTION = {
    "en": "the of and to in a is that for on as with by was it be are from at an this which "
    "have has not but its their they or were been also more than other into",
    "fr": "le la les de des du et à en un une est que pour dans sur par avec au aux plus "
    "qui ce ces son sa ses leur ont été",
    "es": "el la los las de del y a en un una es que para por con al se su sus más como "
    "pero ha han sido este esta",
}
PHRASES = {
    "en": [
        "smart border",
        "Mérida Initiative",
        "NORAD",
        "Summit of the Americas",
        "North American Free Trade Agreement",
        "human rights",
        "rule of law",
    ],
    "fr": ["frontière intelligente", "Initiative de Mérida", "Sommet des Amériques"],
    "es": ["frontera inteligente", "Iniciativa Mérida", "Cumbre de las Américas"],
}
MONTHS = {
    "en": "january february march april may june july august september october november december",
    "fr": "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
}
FIRST = "Ana Carlo Diego Jane John Laura Luc Marie Peter Raúl Sofía Tom Yasmine Kim Olga".split()
LAST = (
    "Dade Benítez Manaut Ayo Smith Roy Tremblay Pérez Lee Brown Costa Silva Haddad Moreno "
    "Nakamura Fraser Gómez Dubois"
).split()


SYLLABLES = (
    "ba be bi bo bu ca co cu da de di do fa fe fi fo ga go gu la le li lo lu ma me "
    "mi mo mu na ne ni no pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to "
    "tu va ve vi vo za zo tra tre tri pla ple pri pro bra bre cra cre"
).split()
TAIL_WORDS = 30_000  # invented words: the long tail of a real archive's vocabulary
TOPICS = 40  # each article has one; topical words and phrases cluster in its articles
TOPIC_WORDS = 12


class Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        tail_rng = random.Random(seed + 1)
        tail = sorted(
            {
                "".join(tail_rng.choices(SYLLABLES, k=tail_rng.randint(2, 4)))
                for _ in range(TAIL_WORDS * 2)
            }
        )[:TAIL_WORDS]
        tail_rng.shuffle(tail)
        self.words = {}
        self.topics = {}
        for lang in CONTENT:
            content = CONTENT[lang].split()
            self.rng.shuffle(content)
            vocab = content + tail  # by rank: real words first, then the long tail
            weights = [1 / (rank + 10) for rank in range(len(vocab))]
            self.words[lang] = (vocab, list(itertools.accumulate(weights)), FUNCTION[lang].split())
            self.topics[lang] = [
                (
                    self.rng.sample(content, TOPIC_WORDS),
                    self.rng.choice(PHRASES[lang]) if self.rng.random() < 0.3 else None,
                )
                for _ in range(TOPICS)
            ]

    def sentence(self, lang: str, topic: tuple[list[str], str | None]) -> str:
        vocab, cum, function = self.words[lang]
        topical, phrase = topic
        n = self.rng.randint(12, 28)
        words = []
        for kind in self.rng.choices(("function", "topic", "any"), weights=(45, 12, 43), k=n):
            if kind == "function":
                words.append(self.rng.choice(function))
            elif kind == "topic":
                words.append(self.rng.choice(topical))
            else:
                words.append(self.rng.choices(vocab, cum_weights=cum)[0])
        if phrase and self.rng.random() < 0.3:
            words.insert(self.rng.randrange(len(words)), phrase)
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def page(self, n: int) -> tuple[str, str]:
        rng = self.rng
        lang = rng.choices(["en", "fr", "es"], weights=[75, 15, 10])[0]
        year = rng.randint(1995, 2011)
        month = rng.choice(MONTHS[lang].split())
        authors = [
            f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.choice([1, 1, 1, 2]))
        ]
        topic = rng.choice(self.topics[lang])
        title_words = self.sentence(lang, topic).rstrip(".").split()[: rng.randint(4, 9)]
        title = " ".join(title_words)
        slug = "-".join(w.lower() for w in title_words[:4] if w.isalnum()) or "article"
        paragraphs = [
            " ".join(self.sentence(lang, topic) for _ in range(rng.randint(3, 6)))
            for _ in range(rng.randint(4, 12))
        ]
        paragraphs[-1] += "blue square"
        bio = (
            f"{authors[0]} is a researcher at FOCAL working on {rng.choice(CONTENT['en'].split())}."
        )
        text = (
            BANNER
            + title
            + "\n\n"
            + " and ".join(authors)
            + "\n\n"
            + "\n\n".join(paragraphs)
            + "\n\n"
            + bio
            + FOOTER
        )
        folder = "sp" if lang == "es" else lang
        path = f"www.focal.ca/{folder}/publications/focalpoint/{n}-{month}-{year}-{slug}.txt"
        return path, text


def generate(count: int, out: Path, seed: int = 1) -> int:
    """Write ``count`` pages under ``out``; returns the bytes written."""
    writer = Writer(seed)
    total = 0
    made: set[Path] = set()
    for n in range(1, count + 1):
        rel, text = writer.page(n)
        path = out / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        data = text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    size = generate(args.count, args.out, args.seed)
    print(
        f"{args.count} pages, {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
