"""Every YAML reader refuses an alias bomb, and a text without anchors is never walked."""

from __future__ import annotations

from pathlib import Path

import pytest

import linter.yamlsafe as yamlsafe
from linter.config import RunConfig
from linter.engine import run

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefg", "bcdefgh")
)


def test_readers_refuse_an_alias_bomb() -> None:
    with pytest.raises(yamlsafe.YamlBudgetError):
        yamlsafe.load_yaml_bounded(BOMB)
    with pytest.raises(yamlsafe.YamlBudgetError):
        yamlsafe.compose_all(BOMB)


def test_a_manifest_alias_bomb_is_an_error_at_its_line_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n" + "".join("  " + line + "\n" for line in BOMB.splitlines()))
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n  ports:\n    - port: 6379\n")
    result = run(RunConfig(paths=[str(tmp_path)], cache=False))
    assert [(Path(e.file).name, "through aliases" in e.message) for e in result.errors] == [("bomb.yaml", True)]
    assert any(f.span.file.endswith("svc.yaml") for f in result.findings)


def test_a_text_without_anchors_is_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[int] = []
    real = yamlsafe.expanded_size

    def counting(root: object, limit: int = yamlsafe.MAX_EXPANDED_NODES) -> int:
        walked.append(real(root, limit))
        return walked[-1]

    monkeypatch.setattr(yamlsafe, "expanded_size", counting)
    assert yamlsafe.load_yaml_bounded("a: [1, 2]\n") == {"a": [1, 2]}
    assert walked == []
    assert yamlsafe.load_yaml_bounded("a: &x [1]\nb: *x\n") == {"a": [1], "b": [1]}
    assert walked == [7]  # the mapping, two keys, the list twice (shared), its item twice


def test_a_kustomization_alias_bomb_is_an_error_and_the_run_goes_on(tmp_path: Path) -> None:
    """Planning reads a kustomization's paths by walking its values: it must refuse the bomb
    before walking (it used to expand it)."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources:\n  - svc.yaml\n" + BOMB)
    (overlay / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n  ports:\n    - port: 6379\n")
    result = run(RunConfig(paths=[str(tmp_path)], cache=False))
    assert any(e.file.endswith("kustomization.yaml") and "through aliases" in e.message for e in result.errors), result.errors
