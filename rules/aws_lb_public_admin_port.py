"""Internet-facing load balancers whose listeners publish administration or database ports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks import Hit
from linter.checks.aws_network import as_int, default_group_openings, group_openings, groups_at, is_cfn, opening_evidence, path_of, prop, targets, truth
from linter.checks.network import port_severity
from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.ruleset import Rule
from linter.values import Unknown

LB_TYPES = ("aws_lb", "aws_alb", "AWS::ElasticLoadBalancingV2::LoadBalancer")
TG_TYPES = ("aws_lb_target_group", "aws_alb_target_group", "AWS::ElasticLoadBalancingV2::TargetGroup")


def _critical(port: int | None) -> str | None:
    if port is None:
        return None
    graded = port_severity(port, port)
    return graded[1] if graded is not None and graded[0] is Severity.CRITICAL else None


def _internet_facing(lb: Resource) -> bool | None:
    if is_cfn(lb):
        scheme = prop(lb, "Scheme")
        if scheme is None:
            return True
        if isinstance(scheme, Unknown):
            return None
        return str(scheme).strip().lower() == "internet-facing"
    internal = lb.attrs.get("internal")
    if internal is None:
        return True
    t = truth(internal)
    return None if t is None else not t


def _lb_type(lb: Resource) -> str:
    value = prop(lb, "Type") if is_cfn(lb) else lb.attrs.get("load_balancer_type")
    return str(value).lower() if isinstance(value, str) else "application"


def _target_group_paths(listener: Resource) -> list[Path]:
    out: list[Path] = []
    if is_cfn(listener):
        actions = prop(listener, "DefaultActions")
        for i, action in enumerate(actions if isinstance(actions, list) else []):
            if not isinstance(action, dict):
                continue
            out.append(("Properties", "DefaultActions", i, "TargetGroupArn"))
            groups = value_at(action, ("ForwardConfig", "TargetGroups"))
            for j, _ in enumerate(groups if isinstance(groups, list) else []):
                out.append(("Properties", "DefaultActions", i, "ForwardConfig", "TargetGroups", j, "TargetGroupArn"))
    else:
        for i, action in enumerate(listener.attrs.get("default_action") or []):
            if not isinstance(action, dict):
                continue
            out.append(("default_action", i, "target_group_arn"))
            for k, fwd in enumerate(action.get("forward") or []):
                for j, _ in enumerate((fwd or {}).get("target_group") or []):
                    out.append(("default_action", i, "forward", k, "target_group", j, "arn"))
    return out


def _admitted(graph: ResourceGraph, lb: Resource, port: int) -> tuple[bool, list[Evidence]]:
    """Can the internet reach ``port`` through the load balancer's security groups?"""
    sg_path = path_of(lb, "SecurityGroups" if is_cfn(lb) else "security_groups")
    named = value_at(lb.attrs, sg_path)
    if not named:
        if lb.type in LB_TYPES and _lb_type(lb) == "application":
            # an Application Load Balancer without groups gets the VPC's default group
            evidence = [opening_evidence(sg, o) for sg, o in default_group_openings(graph, lb) if o.covers(port) is True]
            return bool(evidence), evidence
        return True, []  # a Network Load Balancer without security groups passes everything
    groups = groups_at(graph, lb, sg_path)
    if len(groups) < len(named if isinstance(named, list) else [named]):
        return True, []  # some groups are not in the code: assume the worst is possible
    evidence = [opening_evidence(sg, o) for sg, o in group_openings(graph, groups) if o.covers(port) is True]
    return bool(evidence), evidence


def _listener_hits(graph: ResourceGraph, listener: Resource) -> Iterator[Hit]:
    lb_path = path_of(listener, "LoadBalancerArn" if is_cfn(listener) else "load_balancer_arn")
    lbs = targets(graph, listener, lb_path, LB_TYPES)
    if len(lbs) != 1:
        return
    lb = lbs[0]
    if _internet_facing(lb) is not True or _lb_type(lb) == "gateway":
        return
    port_path = path_of(listener, "Port" if is_cfn(listener) else "port")
    port = as_int(value_at(listener.attrs, port_path))
    if port is None:
        return
    findings: list[tuple[str, list[Evidence]]] = []
    what = _critical(port)
    if what:
        findings.append((f"listens on port {port}: {what}", []))
    for tg_path in _target_group_paths(listener):
        for tg in targets(graph, listener, tg_path, TG_TYPES):
            tg_port_path = path_of(tg, "Port" if is_cfn(tg) else "port")
            tg_port = as_int(value_at(tg.attrs, tg_port_path))
            tg_what = _critical(tg_port)
            if tg_what and tg_port != port:
                findings.append((f"forwards port {port} to target group {tg.address} on port {tg_port}: {tg_what}", [Evidence(f"target group {tg.address} port {tg_port}", locate(tg, tg_port_path))]))
    if not findings:
        return
    admitted, sg_evidence = _admitted(graph, lb, port)
    if not admitted:
        return
    for text, extra in findings:
        yield Hit(
            listener,
            port_path,
            message=f"internet-facing load balancer {lb.address} {text}",
            evidence=[Evidence(f"{lb.address} is internet-facing", lb.span)] + extra + sg_evidence[:2],
            severity=Severity.CRITICAL,
            value=port,
        )


def _classic_hits(graph: ResourceGraph, elb: Resource) -> Iterator[Hit]:
    if _internet_facing(elb) is not True:
        return
    if is_cfn(elb):
        listeners: Any = prop(elb, "Listeners")
        keys = ("LoadBalancerPort", "InstancePort")
        base: Path = ("Properties", "Listeners")
    else:
        listeners = elb.attrs.get("listener")
        keys = ("lb_port", "instance_port")
        base = ("listener",)
    for i, listener in enumerate(listeners if isinstance(listeners, list) else []):
        if not isinstance(listener, dict):
            continue
        port = as_int(listener.get(keys[0]))
        backend = as_int(listener.get(keys[1]))
        if port is None:
            continue
        what = _critical(port) or (_critical(backend) if backend is not None else None)
        if not what:
            continue
        admitted, sg_evidence = _admitted(graph, elb, port)
        if not admitted:
            continue
        text = f"listens on port {port}" + (f" and forwards to instance port {backend}" if backend not in (None, port) else "")
        yield Hit(
            elb,
            base + (i, keys[0]),
            message=f"internet-facing classic load balancer {elb.address} {text}: {what}",
            evidence=sg_evidence[:2],
            severity=Severity.CRITICAL,
            value=port,
        )


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    for listener in graph.of_type("aws_lb_listener", "aws_alb_listener", "AWS::ElasticLoadBalancingV2::Listener"):
        yield from _listener_hits(graph, listener)
    for elb in graph.of_type("aws_elb", "AWS::ElasticLoadBalancing::LoadBalancer"):
        yield from _classic_hits(graph, elb)
