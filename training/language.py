"""Measure e5's language subspace: the directions the router resets in every request's vector.

multilingual-e5-small places a question partly by the language it is written in: the mean vector of
the same XQuAD questions differs from language to language by an offset that says nothing about
what is asked. The offsets of XQuAD's 12 parallel languages span an 11-dimensional subspace (after
the language centering of Libovický et al. 2020 and the language-information removal of Yang et
al. 2021). :class:`toolrouter.retrieve.LanguageSubspace` sets a query's coordinates there to the
English questions' mean, so a German or Chinese request meets English tool docs as its translation
would; item vectors stay as e5 computes and caches them. The file also keeps the mean of every
question's vector after that move (``query_mean``): the direction a request points to whatever it
asks, by which the router tells hub items (close to every request) from relevant ones.

Only the questions of XQuAD's training articles are used: the articles ``training/data.py`` holds
out (the quality benchmark's cross-lingual set is drawn from them) are left out::

    python -m training.language            # writes toolrouter/data/e5_language_subspace.safetensors

Query vectors are cached in ``--run`` (see :func:`training.adapter.query_vectors`), so a restart resumes.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from training.adapter import query_vectors
from training.data import DEFAULT_DATA
from training.groups import Inputs
from training.xquad_groups import XQUAD_LANGUAGES, load_xquad

logger = logging.getLogger("training")

# The language whose mean coordinates every query takes: tool and table texts are mostly English.
ANCHOR_LANGUAGE = "en"
# Singular values below this share of the largest are numerical rank deficiency, not a language.
RANK_TOLERANCE = 1e-3


def training_questions(data: Path, shared: Path) -> dict[str, list[str]]:
    """Per XQuAD language, the questions of every article that ``data``'s manifest does not hold
    out, in the same (parallel) order in every language (read by :func:`load_xquad`)."""
    held_out = set(json.loads((data / "manifest.json").read_text())["held_out"]["xquad_articles"])
    _, questions, titles = load_xquad(Inputs(shared))
    kept = [question for question in questions if titles[question.article] not in held_out]
    return {language: [question.text_by_language[language] for question in kept] for language in XQUAD_LANGUAGES}


def language_subspace(centroids: np.ndarray, anchor_row: int) -> tuple[np.ndarray, np.ndarray]:
    """The orthonormal basis spanning the differences between the languages' mean query vectors
    (``centroids``, one row per language), and the anchor language's mean projected onto it."""
    _, singular, rows = np.linalg.svd(centroids - centroids.mean(0), full_matrices=False)
    basis = rows[singular > RANK_TOLERANCE * singular[0]]
    anchor = basis.T @ (basis @ centroids[anchor_row])
    return basis.astype(np.float32), anchor.astype(np.float32)


def build(data: Path, shared: Path, run: Path, target: Path) -> dict[str, object]:
    """Embed the questions, compute the subspace and write it to ``target`` (safetensors ``basis``,
    ``anchor`` and ``query_mean``, with the e5 weights it was measured on as metadata)."""
    from safetensors.numpy import save_file

    from toolrouter.retrieve import embedder_id, move_language

    run.mkdir(parents=True, exist_ok=True)
    questions = training_questions(data, shared)
    # One pass over every language's questions: the query cache is read and written once.
    vectors = query_vectors([text for language in XQUAD_LANGUAGES for text in questions[language]],
                            run / "xquad_queries.npz")
    centroids = vectors.reshape(len(XQUAD_LANGUAGES), -1, vectors.shape[1]).mean(1)
    basis, anchor = language_subspace(centroids, XQUAD_LANGUAGES.index(ANCHOR_LANGUAGE))
    query_mean = move_language(vectors, basis, anchor).mean(axis=0, dtype=np.float32)
    summary = {"embedder": embedder_id(), "languages": ",".join(XQUAD_LANGUAGES), "anchor": ANCHOR_LANGUAGE,
               "questions_per_language": str(len(questions[ANCHOR_LANGUAGE])), "rank": str(len(basis))}
    save_file({"basis": basis, "anchor": anchor, "query_mean": query_mean}, str(target), metadata=summary)
    logger.info("wrote %s: %s", target, summary)
    return summary


def main() -> None:
    from toolrouter.retrieve import LANGUAGE_SUBSPACE_FILE

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("training/cache"))
    parser.add_argument("--shared", type=Path, default=DEFAULT_DATA, help="the shared/data folder")
    parser.add_argument("--run", type=Path, default=Path("training/runs/language"))
    parser.add_argument("--target", type=Path, default=LANGUAGE_SUBSPACE_FILE)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(build(args.data, args.shared, args.run, args.target), indent=1))


if __name__ == "__main__":
    main()
