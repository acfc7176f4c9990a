"""The reader's learned parts: a sentence ranker, a span ranker, a confidence model, its
calibration and the abstention threshold.

The three models are LightGBM gradient-boosted trees (two lambdarank rankers and one
binary classifier), stored in LightGBM's own text format inside one JSON file with the
feature names they were trained on, the isotonic calibration of the confidence (a table
of points, read with ``np.interp``), and the abstention threshold. The file shipped with
the package (``reader_model.json``) is written by ``python -m eval.train_reader``;
nothing in it is set by hand.

Answering needs neither LightGBM nor scikit-learn: the trees are evaluated with numpy
(:class:`~qa.answering.extractive.trees.TreeEnsemble`, LightGBM's scores to the last
bit); only training needs them (the ``train`` extra). Since format 3 the file also holds
each model's trees as arrays (:func:`~qa.answering.extractive.trees.compile_lightgbm_text`),
so loading parses no text; a format 2 file (text only) still loads, and
``python scripts/upgrade_reader_model.py FILE`` rewrites it as format 3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from qa.answering.extractive.stages.confidence import CONFIDENCE_FEATURES
from qa.answering.extractive.stages.sentence_features import SENTENCE_FEATURES
from qa.answering.extractive.stages.span_features import SPAN_FEATURES, CharTables
from qa.answering.extractive.trees import TreeEnsemble, compile_lightgbm_text

__all__ = ["DEFAULT_MODEL_FILE", "MODEL_FORMAT", "ReaderModel", "default_model"]

MODEL_FORMAT = 3
READABLE_FORMATS = (2, 3)
"""Format 2 has no compiled trees (they are parsed from the LightGBM text on load)."""
_PARTS = ("sentence", "span", "confidence")
DEFAULT_MODEL_FILE = "reader_model.json"


@dataclass(frozen=True, slots=False)
class ReaderModel:
    """The trained reader.

    Attributes:
        sentence_model: LightGBM text model ranking candidate sentences.
        span_model: LightGBM text model ranking candidate spans within a sentence.
        confidence_model: LightGBM text model: P(answer right) from a reading's
            :data:`CONFIDENCE_FEATURES` ("" before it is trained).
        calibration: ``(x, y)`` points of the isotonic map from the confidence model's
            output to the observed share of right answers (empty: identity).
        threshold: answers whose calibrated confidence is below this abstain.
        meta: how the model was trained (data, folds, measured figures).
        tables: the first/last-character tables of the span features.
        second_margin: when the sentence ranker's best score beats the next sentence's
            by less than this, the answer quotes both sentences (None: never).
        compiled: the models' trees as arrays, by part (``sentence``, ``span``,
            ``confidence``), as the file holds them; a part missing, or compiled from
            another text, is parsed from its text. Written afresh by :meth:`to_json`.
    """

    sentence_model: str
    span_model: str
    confidence_model: str = ""
    calibration: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    threshold: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    tables: CharTables = field(default_factory=CharTables)
    second_margin: float | None = None
    compiled: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _trees(self, part: str) -> TreeEnsemble:
        text = getattr(self, f"{part}_model")
        compiled = self.compiled.get(part)
        if compiled is not None:
            try:
                return TreeEnsemble.from_compiled(compiled, text)
            except ValueError:
                pass  # damaged arrays: the text is the model
        return TreeEnsemble.from_lightgbm_text(text)

    @cached_property
    def _sentence(self) -> TreeEnsemble:
        return self._trees("sentence")

    @cached_property
    def _span(self) -> TreeEnsemble:
        return self._trees("span")

    @cached_property
    def _confidence(self) -> TreeEnsemble | None:
        return self._trees("confidence") if self.confidence_model else None

    def build_boosters(self) -> None:
        """Build the three tree ensembles now rather than on the first question (a few
        milliseconds from a format 3 file)."""
        _ = self._sentence, self._span, self._confidence

    def sentence_score(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Ranking scores (higher is better) for rows of :data:`SENTENCE_FEATURES`."""
        if len(x) == 0:
            return np.empty(0, dtype=np.float32)
        return self._sentence.predict(x).astype(np.float32)

    def span_score(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Ranking scores (higher is better) for rows of :data:`SPAN_FEATURES`."""
        if len(x) == 0:
            return np.empty(0, dtype=np.float32)
        return self._span.predict(x).astype(np.float32)

    def raw_confidence(self, x: npt.NDArray[np.float32]) -> float:
        """The confidence model's output for one row of :data:`CONFIDENCE_FEATURES`
        (0.5 when the model has none)."""
        if self._confidence is None:
            return 0.5
        return float(self._confidence.predict(x.reshape(1, -1))[0])

    def confidence(self, x: npt.NDArray[np.float32]) -> float:
        """The calibrated probability that the answer is right."""
        raw = self.raw_confidence(x)
        xs, ys = self.calibration
        if not xs:
            return raw
        return float(np.interp(raw, xs, ys))

    def to_json(self) -> str:
        """The model file's content."""
        return json.dumps(
            {
                "format": MODEL_FORMAT,
                "sentence_features": list(SENTENCE_FEATURES),
                "span_features": list(SPAN_FEATURES),
                "confidence_features": list(CONFIDENCE_FEATURES),
                "sentence_model": self.sentence_model,
                "span_model": self.span_model,
                "confidence_model": self.confidence_model,
                "calibration": [list(self.calibration[0]), list(self.calibration[1])],
                "threshold": self.threshold,
                "second_margin": self.second_margin,
                "tables": {"first": self.tables.first, "last": self.tables.last},
                "meta": self.meta,
                "compiled": self._compile(),
            },
            # ASCII (the tables' characters escaped): Python reads an ASCII file of 3 MB
            # in about 1 ms and parses it in 4, against 26 and 6 for the same in UTF-8.
            ensure_ascii=True,
        )

    def _compile(self) -> dict[str, Any]:
        """Each model's trees as arrays (a text the evaluator cannot read is left to
        fail where it is used, as before)."""
        compiled: dict[str, Any] = {}
        for part in _PARTS:
            text = getattr(self, f"{part}_model")
            if text:
                try:
                    compiled[part] = compile_lightgbm_text(text)
                except ValueError:
                    continue
        return compiled

    def save(self, path: str | Path) -> None:
        """Write the model file."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def from_json(cls, text: str, where: str = "the reader model") -> ReaderModel:
        """Read a model file's content.

        Raises:
            ValueError: when it is not a reader model of this version, or was trained on
                other features (retrain with ``python -m eval.train_reader``).
        """
        try:
            data = json.loads(text)
            version = int(data["format"])
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{where} is not a reader model file: {err}") from err
        if version not in READABLE_FORMATS:
            raise ValueError(
                f"{where} has format {version}, this version reads "
                f"{' and '.join(map(str, READABLE_FORMATS))}; retrain it with "
                "`python -m eval.train_reader`"
            )
        if (
            tuple(data["sentence_features"]) != SENTENCE_FEATURES
            or tuple(data["span_features"]) != SPAN_FEATURES
            or tuple(data["confidence_features"]) != CONFIDENCE_FEATURES
        ):
            raise ValueError(
                f"{where} was trained on other features than this version computes; "
                "retrain it with `python -m eval.train_reader`"
            )
        xs, ys = data["calibration"]
        return cls(
            sentence_model=str(data["sentence_model"]),
            span_model=str(data["span_model"]),
            confidence_model=str(data["confidence_model"]),
            calibration=(tuple(float(x) for x in xs), tuple(float(y) for y in ys)),
            threshold=float(data["threshold"]),
            second_margin=_optional_float(data.get("second_margin")),
            meta=dict(data.get("meta", {})),
            tables=CharTables(
                {t: dict(v) for t, v in data["tables"]["first"].items()},
                {t: dict(v) for t, v in data["tables"]["last"].items()},
            ),
            compiled=dict(data.get("compiled", {})),
        )

    @classmethod
    def load(cls, path: str | Path) -> ReaderModel:
        """Read a model file.

        Raises:
            FileNotFoundError: when there is no such file.
            ValueError: when it is not a usable reader model.
        """
        return cls.from_json(Path(path).read_text(encoding="utf-8"), str(path))


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


@lru_cache(maxsize=1)
def default_model() -> ReaderModel:
    """The model shipped with the package (read once per process, like OpenCC's tables).

    Raises:
        ValueError: when the shipped file does not fit this version (a packaging error).
    """
    text = resources.files(__package__).joinpath(DEFAULT_MODEL_FILE).read_text("utf-8")
    return ReaderModel.from_json(text, f"the shipped {DEFAULT_MODEL_FILE}")
