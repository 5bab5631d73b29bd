"""How linter/checks/controlplane.py reads a component's command line: every flag spelling,
the last occurrence winning (or adding up for list flags), wrappers and shell scripts,
Kubernetes' ``$(VAR)`` references, and where a setting is written."""

from __future__ import annotations

from typing import Any

import pytest

from linter.checks.controlplane import Invocation, Token, _flag_values, _typed, _words, image_name, invocations
from linter.values import Unknown


def words(*texts: str) -> list[Token]:
    return [Token(t, ("command", i)) for i, t in enumerate(texts)]


def values(texts: list[str], name: str, kind: str) -> list[Any]:
    return [raw for raw, _, _ in _flag_values(Invocation("", (), flags=words(*texts)), [name], kind)]


@pytest.mark.parametrize(
    ("texts", "name", "kind", "want"),
    [
        (["--port=8080"], "port", "int", ["8080"]),
        (["--port", "8080"], "port", "int", ["8080"]),
        (["-port", "8080"], "port", "int", ["8080"]),  # Go accepts one dash too
        (["--port=1", "--port", "2", "--port=3"], "port", "int", ["1", "2", "3"]),
        (["--anonymous-auth"], "anonymous-auth", "bool", ["true"]),
        # a boolean takes a value only after "=": the next word is an argument
        (["--anonymous-auth", "false"], "anonymous-auth", "bool", ["true"]),
        (["--anonymous-auth=false"], "anonymous-auth", "bool", ["false"]),
        (["--", "--port=1"], "port", "int", []),  # after "--" nothing is a flag
        (["--portal=1", "--ports=2"], "port", "int", []),
    ],
)
def test_flag_spellings(texts: list[str], name: str, kind: str, want: list[str]) -> None:
    assert values(texts, name, kind) == want


def test_a_flag_without_its_value_is_refused_not_guessed() -> None:
    (raw,) = values(["--port"], "port", "int")
    assert isinstance(raw, Unknown)


def test_values_are_read_as_the_component_reads_them() -> None:
    assert _typed("bool", "T") is True and _typed("bool", "0") is False
    assert isinstance(_typed("bool", "yes"), Unknown)  # Go's strconv.ParseBool refuses it
    assert _typed("int", "0x10") == 16
    assert _typed("list", "Node, RBAC,") == ["Node", "RBAC"]


@pytest.mark.parametrize(
    ("command", "found"),
    [
        (["kube-apiserver", "--a=1"], ["--a=1"]),
        (["/usr/local/bin/kube-apiserver", "--a=1"], ["--a=1"]),
        (["go-runner", "--log-file=x", "kube-apiserver", "--a=1"], ["--a=1"]),
        (["env", "A=1", "kube-apiserver", "--a=1"], ["--a=1"]),
        (["/hyperkube", "kube-apiserver", "--a=1"], ["--a=1"]),
        (["sh", "-c", "set -e; exec kube-apiserver --a=1 \\\n  --b=2 && echo done"], ["--a=1", "--b=2"]),
        (["bash", "-ec", "kube-apiserver --a=1 | tee log"], ["--a=1"]),
        # a comment ends at its line: the next line still starts the component
        (["sh", "-c", "echo start # the API server\nexec kube-apiserver --a=1 # --b=2"], ["--a=1"]),
        (["sh", "-c", "# kube-apiserver --a=1\necho no"], None),
        (["kubectl", "--a=1"], None),
        # args given to an image's own entrypoint: an option is never the program
        (["--kubelet-service=kube-system/kube-apiserver", "--a=1"], None),
        (["kube-apiserver-proxy", "--a=1"], None),
        (["hyperkube", "kubelet", "--a=1"], None),
    ],
)
def test_where_a_command_starts_the_component(command: list[str], found: list[str] | None) -> None:
    binaries = [["kube-apiserver"], ["hyperkube", "kube-apiserver"]]
    starts = list(invocations(words(*command), binaries))
    if found is None:
        assert starts == []
    else:
        ((_, flags),) = starts
        assert [t.text for t in flags] == found


def test_kubernetes_variable_references_expand_from_the_environment() -> None:
    env: dict[str, tuple[Any, Any]] = {"MODE": ("AlwaysAllow", ("env", 0, "value")), "SECRET": (Unknown("from a secret"), ("env", 1))}
    got = _words(["--authorization-mode=$(MODE)", "$$(MODE)", "--x=$(SECRET)", "--y=$(UNSET)"], ("args",), env)
    assert got[0].text == "--authorization-mode=AlwaysAllow"
    assert got[1].text == "$(MODE)"
    # the flag is set, to a value not known (not absent: absent would mean the default)
    assert got[2].text == "--x=" and isinstance(got[2].unknown, Unknown)
    assert got[3].text == "--y=$(UNSET)"


def test_image_versions() -> None:
    assert image_name("registry.k8s.io/kube-apiserver:v1.29.2") == ("kube-apiserver", (1, 29))
    assert image_name("registry.k8s.io/etcd:3.5.12-0") == ("etcd", None)  # not a Kubernetes version
    assert image_name("example.com/apiserver:2.3") == ("apiserver", None)
    assert image_name("example.com:5000/k8s/dashboard@sha256:abc") == ("dashboard", None)
