"""Multilingual auxiliary groups from XQuAD: (question, paragraph) relevance in 12 languages."""

from __future__ import annotations

from dataclasses import dataclass

from toolrouter.registry.canonical import squash
from training.groups import Group, Inputs, SourceSplit, seeded
from training.mining import sample_texts

XQUAD_RANDOM_NEGATIVES = 11  # other articles' paragraphs, after the 4 same-article ones
HELD_OUT_XQUAD_ARTICLES = 4
XQUAD_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")


@dataclass
class XquadQuestion:
    """One question, parallel in every language, and where its paragraph is."""

    article: int
    paragraph: int
    text_by_language: dict[str, str]


def load_xquad(inputs: Inputs) -> tuple[dict[str, list[list[str]]], list[XquadQuestion], list[str]]:
    """(paragraphs[language][article][paragraph], parallel questions, article titles)."""
    documents = {lang: inputs.json(f"xquad/xquad.{lang}.json")["data"] for lang in XQUAD_LANGUAGES}
    paragraphs = {
        lang: [[squash(p["context"]) for p in article["paragraphs"]] for article in data]
        for lang, data in documents.items()
    }
    questions = []
    for a, article in enumerate(documents["en"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            for q, qa in enumerate(paragraph["qas"]):
                texts = {
                    lang: documents[lang][a]["paragraphs"][p]["qas"][q]["question"]
                    for lang in XQUAD_LANGUAGES
                }
                for lang in XQUAD_LANGUAGES:
                    if documents[lang][a]["paragraphs"][p]["qas"][q]["id"] != qa["id"]:
                        raise ValueError(f"XQuAD {lang} is not parallel to en at question {qa['id']}")
                questions.append(XquadQuestion(a, p, texts))
    return paragraphs, questions, [article["title"] for article in documents["en"]]


def xquad_groups(inputs: Inputs, seed: int) -> SourceSplit:
    """XQuAD: each question twice, against its paragraph in its own language and (question in a
    non-English language) against the English paragraph. Same-article paragraphs are the hard
    negatives. A few articles are held out, in every language."""
    paragraphs, questions, titles = load_xquad(inputs)
    rng = seeded(seed, "xquad")
    held = set(rng.sample(range(len(titles)), HELD_OUT_XQUAD_ARTICLES))
    split = SourceSplit(
        held_out={"xquad_articles": sorted(titles[a] for a in held)},
        blocked={text for lang in XQUAD_LANGUAGES for a in held for text in paragraphs[lang][a]},
    )
    non_english = [lang for lang in XQUAD_LANGUAGES if lang != "en"]
    for question in questions:
        is_dev = question.article in held
        same = rng.choice(XQUAD_LANGUAGES)
        cross = rng.choice(non_english)
        for query_lang, doc_lang, label in ((same, same, same), (cross, "en", f"{cross}-en")):
            articles = [a for a in range(len(titles)) if a != question.article and (is_dev or a not in held)]
            pool = [text for a in articles for text in paragraphs[doc_lang][a]]
            own = paragraphs[doc_lang][question.article]
            hard = [text for p, text in enumerate(own) if p != question.paragraph]
            easy = sample_texts(rng, pool, XQUAD_RANDOM_NEGATIVES, set(own))
            split.add(
                Group(
                    query=question.text_by_language[query_lang],
                    positives=[own[question.paragraph]],
                    negatives=hard + easy,
                    source="xquad",
                    kind="text",
                    lang=label,
                ),
                is_dev,
            )
    return split
