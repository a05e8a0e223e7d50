"""Suggesting a record's technical field from the platform's labelled records.

A field's score for a text adds three similarities: to the mean vector of the records labelled
with it (per multilingual model), to the field's own name (so a field with few records still
scores), and to its lexical profile (a TF-IDF centroid, so that a cold web process without a
model still suggests). Weights and the confidence temperature were chosen by 5-fold
cross-validation on csl-dev's 67 disciplines (`bench/results/analysis-csl-dev.json`); on that data
nearest neighbours over the same vectors reach 0.43 top-1 and centroids alone 0.52.

The confidence is a softmax over the scores; its temperature is fitted on the labelled records
themselves (temperature scaling, Guo et al. 2017): each record scored with its own vector taken out
of its field's centroid, the temperature that gives the true fields the highest likelihood. So a
shown 60 % is right about 60 % of the time on records like the platform's."""

import base64
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

NAME_WEIGHT = 0.75
LEXICAL_WEIGHT = 0.15
TEMPERATURE = 0.02  # until fitted: softmax over scores whose spread between fields is a few hundredths
TEMPERATURES = np.geomspace(0.002, 1.0, 55)
MIN_CALIBRATION_RECORDS = 20
PROFILE_TERMS = 400


def _pack(matrix: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(matrix, dtype=np.float32).tobytes()).decode()


def _unpack(text: str, rows: int) -> np.ndarray:
    flat = np.frombuffer(base64.b64decode(text), dtype=np.float32)
    return flat.reshape(rows, -1) if rows else flat.reshape(0, 0)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


@dataclass
class FieldModel:
    codes: list[str]
    counts: list[int]
    centroids: dict[str, np.ndarray]  # model -> fields x dim, unit rows (zero for a field without records)
    names: dict[str, np.ndarray]  # model -> fields x dim: the field names encoded as passages
    profiles: list[dict[str, float]]  # per field: term -> weight (unit length)
    idf: dict[str, float]
    temperature: float = TEMPERATURE

    @classmethod
    def fit(cls, codes, name_vectors: dict[str, np.ndarray], records) -> "FieldModel":
        """`records`: (field code, tokens, {model: vector}) of the labelled records; `codes` all
        fields in display order; `name_vectors` their names encoded per model."""
        index = {code: i for i, code in enumerate(codes)}
        counts = [0] * len(codes)
        sums: dict[str, np.ndarray] = {}
        documents = []
        for code, tokens, vectors in records:
            if code not in index:
                continue
            i = index[code]
            counts[i] += 1
            for model, vector in vectors.items():
                total = sums.setdefault(model, np.zeros((len(codes), len(vector)), dtype=np.float64))
                if total.shape[1] == len(vector):
                    total[i] += vector
            documents.append((i, Counter(tokens)))
        df: Counter = Counter()
        for _, counted in documents:
            df.update(counted.keys())
        n = max(len(documents), 1)
        idf = {term: math.log((n + 1) / (count + 0.5)) for term, count in df.items()}
        accumulated: list[Counter] = [Counter() for _ in codes]
        owns = []  # each document's share of its field's profile, to take it out again
        for i, counted in documents:
            weights = {t: (1 + math.log(c)) * idf[t] for t, c in counted.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            owns.append({t: w / norm for t, w in weights.items()})
            for term, weight in weights.items():
                accumulated[i][term] += weight / norm
        profiles, raw_tops = [], []
        for counter in accumulated:
            top = dict(counter.most_common(PROFILE_TERMS))
            raw_tops.append(top)
            norm = math.sqrt(sum(w * w for w in top.values())) or 1.0
            profiles.append({t: round(w / norm, 5) for t, w in top.items()})
        kept_terms = {t for profile in profiles for t in profile}
        model = cls(
            list(codes),
            counts,
            {model: _unit_rows(total) for model, total in sums.items()},
            {model: _unit_rows(np.asarray(v, dtype=np.float64)) for model, v in name_vectors.items()},
            profiles,
            {t: round(w, 4) for t, w in idf.items() if t in kept_terms},
        )
        kept = [r for r in records if r[0] in index]
        model.temperature = model._fitted_temperature(kept, index, sums, owns, raw_tops)
        return model

    def _lexical_without(self, tokens, field: int, own: dict, raw_top: dict) -> float:
        """The lexical part of `scores` for the field's profile with this record's share taken out
        (the profile's terms kept; a record barely moves which 400 terms lead)."""
        counted = Counter(tokens)
        weights = {t: (1 + math.log(c)) * self.idf[t] for t, c in counted.items() if t in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        full = sum(self.profiles[field].get(t, 0.0) * w for t, w in weights.items()) / norm
        shared = {t: v for t, v in own.items() if t in raw_top}
        squared = sum(v * v for v in raw_top.values())
        squared += -2 * sum(raw_top[t] * v for t, v in shared.items()) + sum(v * v for v in shared.values())
        rest_norm = math.sqrt(max(squared, 0.0))
        if rest_norm < 1e-9:
            return -full
        rest = sum((raw_top.get(t, 0.0) - shared.get(t, 0.0)) * w for t, w in weights.items())
        return rest / rest_norm / norm - full

    def _fitted_temperature(self, records, index: dict, sums: dict, owns: list, raw_tops: list) -> float:
        """The temperature under which the records' own fields are likeliest, each record scored
        as if it were new (its vector out of its field's centroid, its words out of its field's
        profile)."""
        if len(records) < MIN_CALIBRATION_RECORDS:
            return TEMPERATURE
        rows, truth = [], []
        usable = self._usable(None)
        for (code, tokens, vectors), own in zip(records, owns, strict=True):
            i = index[code]
            scores = self.scores(tokens, vectors)
            scores[i] += LEXICAL_WEIGHT * self._lexical_without(tokens, i, own, raw_tops[i])
            used = [m for m in vectors if m in self.centroids or m in self.names]
            for model in used:
                if model not in sums or sums[model].shape[1] != len(vectors[model]):
                    continue
                vector = np.asarray(vectors[model], dtype=np.float64)
                rest = sums[model][i] - vector
                norm = float(np.linalg.norm(rest))
                without = float(rest @ vector) / norm if norm > 1e-9 else 0.0
                scores[i] += (without - float(self.centroids[model][i] @ vector)) / len(used)
            rows.append(np.where(usable, scores, -np.inf))
            truth.append(i)
        matrix, truth = np.asarray(rows), np.asarray(truth)
        best, best_loss = TEMPERATURE, math.inf
        for temperature in TEMPERATURES:
            z = (matrix - matrix.max(axis=1, keepdims=True)) / temperature
            log_likelihood = z[np.arange(len(truth)), truth] - np.log(np.exp(z).sum(axis=1))
            loss = -float(log_likelihood.mean())
            if loss < best_loss:
                best, best_loss = float(temperature), loss
        return round(best, 5)

    def _usable(self, vectors) -> np.ndarray:
        """Fields that can be suggested: those with labelled records, or all when names are encoded
        (for the models of `vectors`; None: any model)."""
        named = bool(self.names) and (vectors is None or any(m in self.names for m in vectors))
        return np.array([c > 0 for c in self.counts]) | named

    def scores(self, tokens, vectors: dict[str, np.ndarray]) -> np.ndarray:
        total = np.zeros(len(self.codes))
        used = 0
        for model, vector in vectors.items():
            if model not in self.centroids and model not in self.names:
                continue
            query = np.asarray(vector, dtype=np.float64)
            part = np.zeros(len(self.codes))
            if model in self.centroids and self.centroids[model].shape[1] == len(query):
                part += self.centroids[model] @ query
            if model in self.names and self.names[model].shape[1] == len(query):
                part += NAME_WEIGHT * (self.names[model] @ query)
            total += part
            used += 1
        if used:
            total /= used
        counted = Counter(tokens)
        weights = {t: (1 + math.log(c)) * self.idf[t] for t, c in counted.items() if t in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        lexical = np.array([sum(p.get(t, 0.0) * w for t, w in weights.items()) / norm for p in self.profiles])
        return total + LEXICAL_WEIGHT * lexical

    def suggest(self, tokens, vectors, *, limit: int = 3) -> list[tuple[str, float]]:
        """(field code, confidence) best first, among fields that have labelled records or a name
        vector; the confidences of all fields sum to one."""
        if not self.codes:
            return []
        scores = self.scores(tokens, vectors)
        usable = self._usable(vectors)
        if not usable.any():
            return []
        scores = np.where(usable, scores, -np.inf)
        shifted = np.exp((scores - scores.max()) / self.temperature)
        confidence = shifted / shifted.sum()
        order = np.argsort(-confidence, kind="stable")[:limit]
        return [(self.codes[i], round(float(confidence[i]), 4)) for i in order if np.isfinite(scores[i])]

    def to_dict(self) -> dict:
        return {
            "codes": self.codes,
            "counts": self.counts,
            "centroids": {m: _pack(v) for m, v in self.centroids.items()},
            "names": {m: _pack(v) for m, v in self.names.items()},
            "profiles": self.profiles,
            "idf": self.idf,
            "temperature": self.temperature,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "FieldModel":
        rows = len(data["codes"])
        return cls(
            list(data["codes"]),
            list(data["counts"]),
            {m: _unpack(v, rows).astype(np.float64) for m, v in data["centroids"].items()},
            {m: _unpack(v, rows).astype(np.float64) for m, v in data["names"].items()},
            list(data["profiles"]),
            dict(data["idf"]),
            float(data.get("temperature", TEMPERATURE)),
        )
