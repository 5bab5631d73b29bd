"""Website hosting on buckets that the code uses for logs, audit trails, exports or tagged data."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linter.checks import Hit
from linter.checks.aws_network import is_cfn, path_of, targets
from linter.checks.aws_policy import public_grants
from linter.checks.s3 import BUCKET_TYPES, PUBLIC_CANNED_ACLS, bucket_name, buckets_of, neutralised_by, protection, satellites
from linter.graph import Resource, ResourceGraph
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.ruleset import Rule
from linter.sensitivity import SensitivityPolicy
from linter.tags import resource_tags

# (resource type, path of the bucket it writes to, what the bucket then holds)
DATA_WRITERS: tuple[tuple[str, Path, str], ...] = (
    ("aws_s3_bucket_logging", ("target_bucket",), "server access logs"),
    ("aws_s3_bucket", ("logging", 0, "target_bucket"), "server access logs"),
    ("AWS::S3::Bucket", ("Properties", "LoggingConfiguration", "DestinationBucketName"), "server access logs"),
    ("aws_cloudtrail", ("s3_bucket_name",), "CloudTrail audit logs"),
    ("AWS::CloudTrail::Trail", ("Properties", "S3BucketName"), "CloudTrail audit logs"),
    ("aws_config_delivery_channel", ("s3_bucket_name",), "AWS Config snapshots"),
    ("AWS::Config::DeliveryChannel", ("Properties", "S3BucketName"), "AWS Config snapshots"),
    ("aws_flow_log", ("log_destination",), "VPC flow logs"),
    ("AWS::EC2::FlowLog", ("Properties", "LogDestination"), "VPC flow logs"),
    ("aws_lb", ("access_logs", 0, "bucket"), "load balancer access logs"),
    ("aws_alb", ("access_logs", 0, "bucket"), "load balancer access logs"),
    ("aws_elb", ("access_logs", 0, "bucket"), "load balancer access logs"),
    ("aws_cloudfront_distribution", ("logging_config", 0, "bucket"), "CloudFront access logs"),
    ("aws_s3_bucket_inventory", ("destination", 0, "bucket", 0, "bucket_arn"), "S3 inventory reports"),
    ("aws_s3_bucket_analytics_configuration", ("storage_class_analysis", 0, "data_export", 0, "destination", 0, "s3_bucket_destination", 0, "bucket_arn"), "S3 analytics exports"),
)
# CloudFormation lists on the bucket resource: (list path, path inside an entry)
CFN_EXPORTS: tuple[tuple[Path, Path, str], ...] = (
    (("Properties", "InventoryConfigurations"), ("Destination", "BucketArn"), "S3 inventory reports"),
    (("Properties", "AnalyticsConfigurations"), ("StorageClassAnalysis", "DataExport", "Destination", "BucketArn"), "S3 analytics exports"),
)
_BUCKET_TEXT = re.compile(r"^(?:arn:aws[a-z-]*:s3:::)?([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:\.s3[.\-][a-z0-9.\-]*amazonaws\.com)?(?:/.*)?$")


def _buckets_at(graph: ResourceGraph, res: Resource, path: Path) -> list[Resource]:
    """Buckets a value points at: a reference, or a literal name, ARN or domain name."""
    found = targets(graph, res, path, BUCKET_TYPES)
    if found:
        return found
    value = value_at(res.attrs, path)
    if not isinstance(value, str):
        return []
    m = _BUCKET_TEXT.match(value.strip())
    if not m:
        return []
    name = m.group(1)
    root = res.id.split("::", 1)[0]
    return [b for b in graph.of_type(*BUCKET_TYPES) if b.id.split("::", 1)[0] == root and bucket_name(b) == name]


def _signals(graph: ResourceGraph) -> dict[str, list[Evidence]]:
    """Bucket id -> why it holds data."""
    out: dict[str, list[Evidence]] = {}
    for rtype, path, what in DATA_WRITERS:
        for res in graph.of_type(rtype):
            for bucket in _buckets_at(graph, res, path):
                if bucket is res:
                    continue
                out.setdefault(bucket.id, []).append(Evidence(f"it receives {what} from {res.address}", locate(res, path)))
    for res in graph.of_type("AWS::S3::Bucket"):
        for list_path, inner, what in CFN_EXPORTS:
            entries = value_at(res.attrs, list_path)
            for i, _ in enumerate(entries if isinstance(entries, list) else []):
                path = list_path + (i,) + inner
                for bucket in _buckets_at(graph, res, path):
                    out.setdefault(bucket.id, []).append(Evidence(f"it receives {what} from {res.address}", locate(res, path)))
    policy = SensitivityPolicy()
    keys = {k.lower() for k in policy.keys}
    values = {v.lower() for v in policy.values}
    for bucket in graph.of_type(*BUCKET_TYPES):
        for key, (value, span) in sorted(resource_tags(bucket).items()):
            if key.lower() in keys and str(value).strip().lower() in values:
                out.setdefault(bucket.id, []).append(Evidence(f"it is tagged {key} = {value}", span))
    return out


def _website(graph: ResourceGraph, bucket: Resource) -> tuple[Resource, Path] | None:
    if is_cfn(bucket):
        if value_at(bucket.attrs, ("Properties", "WebsiteConfiguration")) is not None:
            return bucket, ("Properties", "WebsiteConfiguration")
        return None
    blocks = bucket.attrs.get("website")
    if isinstance(blocks, list) and any(isinstance(b, dict) and b for b in blocks):
        return bucket, ("website",)
    for site in satellites(graph, bucket, "aws_s3_bucket_website_configuration"):
        return site, ()
    return None


def _publicly_readable(graph: ResourceGraph, bucket: Resource) -> list[Evidence]:
    """Evidence that anyone can read the bucket's objects today (policy or ACL, not neutralised)."""
    p = protection(graph, bucket)
    out: list[Evidence] = []
    if not neutralised_by(p, "restrict_public_buckets"):
        holders: list[tuple[Resource, Path]] = []
        if is_cfn(bucket):
            holders = [(pol, ("Properties", "PolicyDocument")) for pol in graph.of_type("AWS::S3::BucketPolicy") if bucket in buckets_of(graph, pol)]
        else:
            if bucket.attrs.get("policy") is not None:
                holders.append((bucket, ("policy",)))
            holders.extend((pol, ("policy",)) for pol in satellites(graph, bucket, "aws_s3_bucket_policy"))
        for holder, path in holders:
            for grant in public_grants(value_at(holder.attrs, path), frozenset({"s3:GetObject"})):
                out.append(Evidence(f"{holder.address} lets anyone read objects ({grant.reason})", locate(holder, path + grant.path)))
    if not neutralised_by(p, "ignore_public_acls"):
        acls: list[tuple[Resource, Path]] = [(bucket, path_of(bucket, "AccessControl" if is_cfn(bucket) else "acl"))]
        acls.extend((a, ("acl",)) for a in satellites(graph, bucket, "aws_s3_bucket_acl"))
        for holder, path in acls:
            value = value_at(holder.attrs, path)
            canned = {"PublicRead": "public-read", "PublicReadWrite": "public-read-write"}.get(value, value) if isinstance(value, str) else None
            if canned in ("public-read", "public-read-write"):
                out.append(Evidence(f"{holder.address} sets the ACL {value}: {PUBLIC_CANNED_ACLS[canned]}", locate(holder, path)))
    return out


def check(graph: ResourceGraph, rule: Rule) -> Iterator[Hit]:
    signals = _signals(graph)
    for bucket in graph.of_type(*BUCKET_TYPES):
        why = signals.get(bucket.id)
        if not why:
            continue
        site = _website(graph, bucket)
        if site is None:
            continue
        holder, path = site
        readable = _publicly_readable(graph, bucket)
        severity = Severity.HIGH if readable else Severity.MEDIUM
        reasons = "; ".join(dict.fromkeys(e.message for e in why[:3]))
        message = f"S3 bucket {bucket.address} holds data ({reasons}) but has static website hosting turned on"
        if readable:
            message += ", and anyone can already read its objects"
        yield Hit(
            holder,
            path,
            subject=bucket,
            message=message,
            evidence=why[:3] + readable[:2],
            severity=severity,
        )
