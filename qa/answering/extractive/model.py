"""The reader's learned parts: a sentence ranker, a span ranker, a confidence model, its
calibration and the abstention threshold.

The three models are LightGBM gradient-boosted trees (two lambdarank rankers and one
binary classifier), stored in LightGBM's own text format inside one JSON file with the
feature names they were trained on, the isotonic calibration of the confidence, and the
abstention threshold. The file shipped with the
package (``reader_model.json``) is written by ``python -m eval.train_reader``; nothing
in it is set by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from qa.answering.extractive.features import (
    CONFIDENCE_FEATURES,
    SENTENCE_FEATURES,
    SPAN_FEATURES,
    CharTables,
)

if TYPE_CHECKING:
    import lightgbm

__all__ = ["DEFAULT_MODEL_FILE", "MODEL_FORMAT", "ReaderModel", "default_model"]

MODEL_FORMAT = 2
DEFAULT_MODEL_FILE = "reader_model.json"


def _booster(text: str) -> lightgbm.Booster:
    try:
        import lightgbm
    except ImportError as err:  # pragma: no cover - lightgbm is a core dependency
        raise ImportError(
            "the extractive reader needs lightgbm: pip install lightgbm (or reinstall zhnews-qa)"
        ) from err
    return lightgbm.Booster(model_str=text)


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
    """

    sentence_model: str
    span_model: str
    confidence_model: str = ""
    calibration: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    threshold: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    tables: CharTables = field(default_factory=CharTables)
    second_margin: float | None = None

    @cached_property
    def _sentence(self) -> lightgbm.Booster:
        return _booster(self.sentence_model)

    @cached_property
    def _span(self) -> lightgbm.Booster:
        return _booster(self.span_model)

    @cached_property
    def _confidence(self) -> lightgbm.Booster | None:
        return _booster(self.confidence_model) if self.confidence_model else None

    def build_boosters(self) -> None:
        """Build the LightGBM boosters now rather than on the first question (the first
        also imports LightGBM, which imports scikit-learn: about 1.5 s)."""
        _ = self._sentence, self._span, self._confidence

    def sentence_score(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Ranking scores (higher is better) for rows of :data:`SENTENCE_FEATURES`."""
        if len(x) == 0:
            return np.empty(0, dtype=np.float32)
        return np.asarray(self._sentence.predict(x, num_threads=1), dtype=np.float32)

    def span_score(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Ranking scores (higher is better) for rows of :data:`SPAN_FEATURES`."""
        if len(x) == 0:
            return np.empty(0, dtype=np.float32)
        return np.asarray(self._span.predict(x, num_threads=1), dtype=np.float32)

    def raw_confidence(self, x: npt.NDArray[np.float32]) -> float:
        """The confidence model's output for one row of :data:`CONFIDENCE_FEATURES`
        (0.5 when the model has none)."""
        if self._confidence is None:
            return 0.5
        return float(self._confidence.predict(x.reshape(1, -1), num_threads=1)[0])

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
            },
            ensure_ascii=False,
        )

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
        if version != MODEL_FORMAT:
            raise ValueError(
                f"{where} has format {version}, this version reads {MODEL_FORMAT}; retrain "
                "it with `python -m eval.train_reader`"
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
