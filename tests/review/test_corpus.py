"""Precision and recall of `surgeon review --all` over the planted corpus (tests/review/)."""

import json

from tests.review.corpus_eval import EXPECTED, materialise, score


def test_corpus_has_enough_planted_findings_of_each_family():
    planted = json.loads(EXPECTED.read_text())["findings"]
    assert len(planted) >= 40
    families = {item["rule"].split(".")[0] for item in planted}
    assert families == {"secret", "origin", "timeout", "risky"}
    providers = {item["rule"] for item in planted if item["rule"].startswith("secret.")}
    assert {"secret.aws", "secret.github", "secret.slack", "secret.stripe", "secret.private-key",
            "secret.openai", "secret.anthropic", "secret.url-password"} <= providers


def test_precision_and_recall(tmp_path):
    result = score(materialise(tmp_path / "corpus"))
    print(f"precision {result.precision:.3f} recall {result.recall:.3f} "
          f"false positives {sorted(result.false_positives)} missed {sorted(result.false_negatives)}")
    assert result.recall >= 0.95, sorted(result.false_negatives)
    assert result.precision >= 0.95, sorted(result.false_positives)


def test_the_corpus_in_this_repository_holds_no_scannable_secret(tmp_path):
    """The split marks keep real-looking keys out of this repository (and out of surgeon's own hook)."""
    from surgeon.review.checks import secrets
    from surgeon.review.scope import SourceFile
    from surgeon.review.settings import ReviewSettings
    from tests.review.corpus_eval import CORPUS

    for path in CORPUS.rglob("*"):
        if path.is_file():
            file = SourceFile(path.relative_to(CORPUS).as_posix(), path.read_text())
            found = [f for f in secrets.check(file, ReviewSettings()) if f.rule != "secret.password"
                     and f.rule != "secret.url-password"]
            assert found == [], (path, found)
