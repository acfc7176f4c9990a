"""The reader's stages, in the order :func:`~qa.answering.extractive.reader.read` runs
them; each stage's features live in its own module.

1. :mod:`.question`: the question's weighted terms (its analysis is
   :mod:`qa.analysis.question`'s);
2. :mod:`.shortlist`: the sentences the rankers see;
3. :mod:`.sentence_features`: the sentence ranker's features;
4. :mod:`.span_candidates`: where in the chosen sentence the answer may be;
5. :mod:`.span_features`: the span ranker's features;
6. :mod:`.confidence`: the confidence model's features.

The alignment of the question to a sentence, which stages 3 to 5 read, is
:mod:`qa.answering.extractive.alignment`; the checks beside the confidence are
:mod:`qa.answering.checks`; the word lists are :mod:`qa.lexicon`'s.
"""
