"""Named checks used from rules users write: each family proves its checks work from a user
rule folder (YAML only), and that its group-level questions stay linear."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from linter.config import RunConfig
from linter.engine import run
from linter.ruleset import RuleError, load_rules
from linter.values import on_off

ENDPOINT_RULE = """\
id: acme-eventgrid-open
title: Event Grid accepts events from every network
severity: high
description: Our own copy of the Event Grid rule, written in a user rule folder as YAML only.
remediation: Add inbound IP rules or turn public network access off.
references: [https://learn.microsoft.com/en-us/azure/event-grid/configure-firewall]
message: "{resource} takes events from anyone: {reason}"
check: public-endpoint
params:
  switch:
    - {settings: [public_network_access_enabled], default: true}
  allows:
    - {addresses: inbound_ip_rule, field: ip_mask}
  severity_by:
    - {setting: local_auth_enabled, equals: false, default: true, severity: low}
match:
  terraform:
    type: [azurerm_eventgrid_topic, azurerm_eventgrid_domain]
"""

FIREWALL_RULE = """\
id: acme-mariadb-azure-services
title: MariaDB admits every Azure-hosted address
severity: medium
description: Our own rule for the allow-Azure-services firewall rule of MariaDB servers.
remediation: Delete the 0.0.0.0 firewall rule and use a private endpoint.
references: [https://learn.microsoft.com/en-us/azure/mariadb/concepts-firewall-rules]
message: "{server} admits every Azure-hosted address through {rule}"
check: firewall-rule
params:
  label: MariaDB server
  server: [server_name]
  azure_services: true
  server_switch:
    - {settings: [public_network_access_enabled], default: true}
  report:
    azure_services: {}
match:
  terraform:
    type: azurerm_mariadb_firewall_rule
    related:
      server: [azurerm_mariadb_server]
"""

MARIADB = """\
resource "azurerm_mariadb_server" "blog" {
  name                = "mariadb-blog"
  resource_group_name = "rg-blog"
  location            = "westeurope"
  sku_name            = "B_Gen5_1"
  version             = "10.3"
}

resource "azurerm_mariadb_firewall_rule" "azure" {
  name                = "azure"
  resource_group_name = "rg-blog"
  server_name         = "mariadb-blog"
  start_ip_address    = "0.0.0.0"
  end_ip_address      = "0.0.0.0"
}

resource "azurerm_mariadb_server" "closed" {
  name                          = "mariadb-closed"
  resource_group_name           = "rg-blog"
  location                      = "westeurope"
  sku_name                      = "B_Gen5_1"
  version                       = "10.3"
  public_network_access_enabled = false
}

resource "azurerm_mariadb_firewall_rule" "closed" {
  name                = "azure"
  resource_group_name = "rg-blog"
  server_name         = azurerm_mariadb_server.closed.name
  start_ip_address    = "0.0.0.0"
  end_ip_address      = "0.0.0.0"
}
"""


def test_endpoint_checks_from_a_user_rule_folder(tmp_path: Path) -> None:
    """public-endpoint and firewall-rule, used by rules in a user folder: the same findings
    as the built-in Event Grid rule's fixture, graded by the user's own severities."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "acme-eventgrid-open.yaml").write_text(ENDPOINT_RULE)
    (folder / "acme-mariadb-azure-services.yaml").write_text(FIREWALL_RULE)
    rules = load_rules([str(folder)], builtin=False)
    assert {r.id: r.check for r in rules} == {"acme-eventgrid-open": "public-endpoint", "acme-mariadb-azure-services": "firewall-rule"}
    assert all(not r.builtin and r.companion is None for r in rules)

    topics = FIXTURES / "azure-eventgrid-public-network" / "fail" / "open_topics.tf"
    result = run(RunConfig(paths=[str(topics)], rule_dirs=[str(folder)], select=["acme-eventgrid-open"]))
    assert not result.errors
    got = sorted((f.span.line, str(f.severity)) for f in result.findings)
    assert got == [(2, "high"), (21, "low"), (31, "high")]
    assert all(f.message.startswith("azurerm_eventgrid_") and "takes events from anyone" in f.message for f in result.findings)

    project = tmp_path / "project"
    project.mkdir()
    (project / "main.tf").write_text(MARIADB)
    result = run(RunConfig(paths=[str(project)], rule_dirs=[str(folder)], select=["acme-mariadb-azure-services"]))
    assert not result.errors
    assert [(f.span.line, f.message) for f in result.findings] == [
        (13, "MariaDB server azurerm_mariadb_server.blog admits every Azure-hosted address through azurerm_mariadb_firewall_rule.azure")
    ]


def test_endpoint_params_are_checked_when_the_user_rule_loads(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "acme-eventgrid-open.yaml").write_text(ENDPOINT_RULE.replace("field: ip_mask", "feild: ip_mask"))
    with pytest.raises(RuleError) as err:
        load_rules([str(folder)], builtin=False)
    assert "acme-eventgrid-open.yaml" in str(err.value) and "public-endpoint" in str(err.value)


def test_firewall_rules_of_a_server_are_linked_once(tmp_path: Path) -> None:
    """Every firewall rule is judged with all the rules of its server through one index:
    the name lookups grow with the number of rules, not rules x rules or rules x servers."""

    def lookups(n: int) -> int:
        project = tmp_path / f"p{n}"
        project.mkdir()
        parts = []
        for i in range(n):
            parts.append(f'resource "azurerm_mssql_server" "s{i}" {{\n  name = "sql-{i}"\n}}\n')
            for half, (lo, hi) in enumerate((("1.0.0.0", "127.255.255.255"), ("128.0.0.0", "255.255.255.255"))):
                parts.append(
                    f'resource "azurerm_sql_firewall_rule" "r{i}_{half}" {{\n  server_name = "sql-{i}"\n'
                    f'  start_ip_address = "{lo}"\n  end_ip_address = "{hi}"\n}}\n'
                )
        (project / "main.tf").write_text("".join(parts))
        result = run(RunConfig(paths=[str(project)], select=["azure-sql-firewall-open", "azure-sql-server-public-network"]), keep_graph=True)
        assert len([f for f in result.findings if f.rule_id == "azure-sql-firewall-open"]) == 2 * n
        assert len([f for f in result.findings if f.rule_id == "azure-sql-server-public-network"]) == n
        assert result.graph is not None
        return result.graph.lookups

    small, large = lookups(10), lookups(40)
    assert large <= 4 * small + 8, (small, large)


def test_on_off_words() -> None:
    assert [on_off(v) for v in (True, "Enabled", " disabled ", "TRUE", "off", "AllowAll", None, 1)] == [True, True, False, True, False, None, None, None]


def test_reach_links_each_instance_subnet_and_group_once(tmp_path: Path) -> None:
    """internet-reach judges every instance through indexes built once per rule: the name
    lookups grow with the number of instances, subnets and groups, not with their product."""

    def lookups(n: int) -> int:
        project = tmp_path / f"p{n}"
        project.mkdir()
        parts = ['resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n', 'resource "aws_internet_gateway" "gw" {\n  vpc_id = aws_vpc.main.id\n}\n']
        parts.append('resource "aws_route_table" "public" {\n  vpc_id = aws_vpc.main.id\n  route {\n    cidr_block = "0.0.0.0/0"\n    gateway_id = aws_internet_gateway.gw.id\n  }\n}\n')
        for i in range(n):
            parts.append(f'resource "aws_subnet" "s{i}" {{\n  vpc_id = aws_vpc.main.id\n  map_public_ip_on_launch = true\n}}\n')
            parts.append(f'resource "aws_route_table_association" "a{i}" {{\n  subnet_id = aws_subnet.s{i}.id\n  route_table_id = aws_route_table.public.id\n}}\n')
            parts.append(f'resource "aws_security_group" "g{i}" {{\n  name = "g{i}"\n  vpc_id = aws_vpc.main.id\n}}\n')
            parts.append(
                f'resource "aws_security_group_rule" "r{i}" {{\n  type = "ingress"\n  security_group_id = "g{i}"\n  protocol = "tcp"\n'
                f'  from_port = 22\n  to_port = 22\n  cidr_blocks = ["0.0.0.0/0"]\n}}\n'
            )
            parts.append(f'resource "aws_instance" "i{i}" {{\n  subnet_id = aws_subnet.s{i}.id\n  security_groups = ["g{i}"]\n}}\n')
        (project / "main.tf").write_text("".join(parts))
        result = run(RunConfig(paths=[str(project)], select=["aws-instance-public-ip-open-ports"]), keep_graph=True)
        assert not result.errors
        assert len(result.findings) == n, [f.message for f in result.findings][:3]
        assert result.graph is not None
        return result.graph.lookups

    small, large = lookups(10), lookups(40)
    assert large <= 4 * small + 8, (small, large)


LIGHTSAIL_RULE = """\
id: acme-lightsail-admin-open
title: Our Lightsail firewalls must not open administration ports
severity: high
description: Our own copy of the Lightsail public ports rule, written in a user rule folder as YAML only.
remediation: Admit the office range only, or use the lightsail-connect alias.
references: [https://docs.aws.amazon.com/lightsail/latest/userguide/understanding-firewall-and-port-mappings-in-amazon-lightsail.html]
message: "{resource} opens {reached} to everyone ({why})"
check: internet-reach
params:
  what: Lightsail instance
  grades: {critical: high, high: none, medium: none}
  address: {always: a Lightsail instance always has a public IP address}
  own: {entries: port_info, sources: [cidrs, ipv6_cidrs], protocol: protocol, ports: {from: from_port, to: to_port}}
match:
  terraform:
    type: aws_lightsail_instance_public_ports
"""

SUBNET_RULE = """\
id: acme-public-subnet
title: Our subnets must not hand out public addresses
severity: medium
description: Our own rule for subnets that map public IPs and route the internet, as YAML only.
remediation: Turn map_public_ip_on_launch off.
references: [https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html]
check: public-subnet
match:
  terraform:
    type: aws_subnet
    related:
      network: [aws_vpc]
      association: [aws_route_table_association]
      route_table: [aws_route_table]
      route: [aws_route]
      gateway: [aws_internet_gateway]
"""


def test_reach_checks_from_a_user_rule_folder(tmp_path: Path) -> None:
    """internet-reach and public-subnet, used by rules in a user folder: the built-in
    Lightsail rule's fixture gives the same lines for the ports the user's grades keep, at
    the user's severity and with the user's message; the subnet rule finds the public
    subnet of the instance rule's fixture."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "acme-lightsail-admin-open.yaml").write_text(LIGHTSAIL_RULE)
    (folder / "acme-public-subnet.yaml").write_text(SUBNET_RULE)
    rules = load_rules([str(folder)], builtin=False)
    assert {r.id: r.check for r in rules} == {"acme-lightsail-admin-open": "internet-reach", "acme-public-subnet": "public-subnet"}
    assert all(not r.builtin and r.companion is None for r in rules)

    ports = FIXTURES / "aws-lightsail-instance-public-ports" / "fail" / "open_ports.tf"
    result = run(RunConfig(paths=[str(ports)], rule_dirs=[str(folder)], select=["acme-lightsail-admin-open"]))
    assert not result.errors
    assert [(f.span.line, str(f.severity), f.message) for f in result.findings] == [
        (23, "high", "aws_lightsail_instance_public_ports.blog opens port 22 to everyone (remote administration 22 (SSH))"),
        (30, "high", "aws_lightsail_instance_public_ports.blog opens port 3306 to everyone (database/admin API 3306 (MySQL))"),
    ]

    subnet = FIXTURES / "aws-instance-public-ip-open-ports" / "fail" / "ssh_cidr_from_tfvars"
    result = run(RunConfig(paths=[str(subnet)], rule_dirs=[str(folder)], select=["acme-public-subnet"]))
    assert not result.errors
    assert [(f.resource, f.span.line, str(f.severity)) for f in result.findings] == [("aws_subnet.public", 17, "medium")]
    assert any("aws_internet_gateway.main" in e.message for e in result.findings[0].evidence)


GROUP_USERS = """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.main.id
  map_public_ip_on_launch = true
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_subnet" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group" "ssh" {
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.main.id
}

resource "aws_instance" "web" {
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.ssh.id]
}

resource "aws_instance" "worker" {
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.ssh.id]
}

resource "aws_instance" "batch" {
  subnet_id = aws_subnet.private.id
}
"""


def test_reach_model_says_what_a_group_exposes(tmp_path: Path) -> None:
    """The questions issue 15 asks the model from another check: which resources use a
    group (by name, or as the default group of their configuration), and which of them
    have a public address."""
    from linter.checks import Context
    from linter.checks.reach import attached_to, public_address
    from linter.ruleset import load_rules as load

    (tmp_path / "main.tf").write_text(GROUP_USERS)
    result = run(RunConfig(paths=[str(tmp_path)], select=["aws-instance-public-ip-open-ports"]), keep_graph=True)
    assert not result.errors and result.graph is not None
    assert [f.resource for f in result.findings] == ["aws_instance.web"]
    graph = result.graph
    rule = load().get("aws-instance-public-ip-open-ports")
    assert rule is not None
    clause = next(c for c in rule.clauses if c.format == "terraform")
    ctx = Context(graph, rule, clause, clause.params)
    ssh = next(r for r in graph if r.address == "aws_security_group.ssh")
    default = next(r for r in graph if r.address == "aws_default_security_group.default")
    users = attached_to(ctx, ssh)
    assert sorted(u.address for u in users) == ["aws_instance.web", "aws_instance.worker"]
    assert {u.address: public_address(ctx, u).public for u in users} == {"aws_instance.web": True, "aws_instance.worker": False}
    assert [u.address for u in attached_to(ctx, default)] == ["aws_instance.batch"]
    [finding] = result.findings
    assert "aws_subnet.public sets map_public_ip_on_launch = true" in " ".join(e.message for e in finding.evidence)
