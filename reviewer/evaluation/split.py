"""The split of a labelled pool into a dev part (for tuning and fitting) and a frozen test part
(the only figures that claim accuracy), stratified by artifact type and level and seeded, so
the same pool and seed always give the same split. Each case is split once."""

from __future__ import annotations

import json
import random
import shutil
from collections import defaultdict
from pathlib import Path

from reviewer.evaluation.cases import CaseError, LoadedCase, load_cases


def assign(cases: list[tuple[str, str, int]], test_share: float, seed: int) -> dict[str, str]:
    """(id, artifact type, level) -> "dev" or "test". Within each (type, level) stratum the
    ids are shuffled by a seeded generator and the first round(n x test_share) go to test, the
    remainder carried over strata so the total is round(N x test_share)."""
    if not 0 < test_share < 1:
        raise ValueError("the test share must be between 0 and 1, e.g. 0.33")
    strata: dict[tuple[str, int], list[str]] = defaultdict(list)
    for case_id, kind, level in cases:
        strata[kind, level].append(case_id)
    out, carry = {}, 0.0
    for key in sorted(strata):
        ids = sorted(strata[key])
        random.Random(f"{seed}:{key[0]}:{key[1]}").shuffle(ids)
        wanted = len(ids) * test_share + carry
        n_test = min(len(ids), int(wanted + 0.5))
        carry = wanted - n_test
        out |= {i: "test" for i in ids[:n_test]} | {i: "dev" for i in ids[n_test:]}
    return out


def _moves(loaded: LoadedCase, pool: Path, target: Path) -> list[tuple[Path, Path]]:
    """The case file and its artifact file, each with where it goes (same path below `target`)."""
    files = [loaded.path]
    if loaded.case.artifact_file:
        files.append((loaded.path.parent / loaded.case.artifact_file).resolve())
    return [(f, target / f.relative_to(pool)) for f in files]


def split_pool(pool: Path, dev: Path, test: Path, *, test_share: float, seed: int) -> dict:
    """Move every case of `pool` (with its artifact file) into `dev` or `test` and record the
    batch in `split.json` beside them. A case is split once: cases already in dev or test never
    move, so a later batch (cases added to the pool since) is split on its own, stratified
    likewise, and the test part of earlier batches stays frozen."""
    pool, dev, test = pool.resolve(), dev.resolve(), test.resolve()
    if not any(pool.rglob("*.yaml")):
        raise CaseError(f"{pool} holds no cases: every case is split once, and those in {dev.name}/ and "
                        f"{test.name}/ stay where they are")
    cases = load_cases(pool)
    record_path = test.parent / "split.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {"batches": []}
    done = {i for b in record["batches"] for i in b["dev"] + b["test"]}
    again = sorted(c.id for c in cases if c.id in done)
    if again:
        raise CaseError(f"already split: {', '.join(again[:5])}: a case is split once (the test part stays frozen)")
    kinds = {c.id: c.case.artifact_type or "unknown" for c in cases}
    side = assign([(c.id, kinds[c.id], c.case.expected.level) for c in cases], test_share, seed)
    for c in cases:
        for source, target in _moves(c, pool, dev if side[c.id] == "dev" else test):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
    batch = {"seed": seed, "test_share": test_share,
             "by_stratum": {f"{k}/{lv}": {s: sum(1 for c in cases if kinds[c.id] == k and c.case.expected.level == lv
                                                 and side[c.id] == s) for s in ("dev", "test")}
                            for k, lv in sorted({(kinds[c.id], c.case.expected.level) for c in cases})},
             "test": sorted(i for i, s in side.items() if s == "test"),
             "dev": sorted(i for i, s in side.items() if s == "dev")}
    record["batches"].append(batch)
    record["counts"] = {s: sum(len(b[s]) for b in record["batches"]) for s in ("dev", "test")}
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    return batch | {"counts": {s: len(batch[s]) for s in ("dev", "test")}}


def frozen_test_ids(folder: Path) -> set[str]:
    """Ids of the frozen test split, from the split.json at or above `folder`."""
    for parent in [folder.resolve(), *folder.resolve().parents]:
        record = parent / "split.json"
        if record.exists():
            return {i for b in json.loads(record.read_text()).get("batches", []) for i in b["test"]}
    return set()


def load_unfrozen(folder: Path) -> list[LoadedCase]:
    """The cases of `folder`, refusing any that belongs to the frozen test split: nothing is
    fitted, tuned or anchored on it."""
    cases = load_cases(folder)
    frozen = sorted({c.id for c in cases} & frozen_test_ids(folder))
    if frozen:
        raise CaseError(f"{folder} holds cases of the frozen test split ({', '.join(frozen[:3])}): "
                        "never fit, tune or anchor on them")
    return cases
