resource "aws_db_subnet_group" "telemetry" {
  name       = "${local.name_prefix}-telemetry"
  subnet_ids = ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"]
}

resource "aws_security_group" "telemetry_db" {
  name   = "${local.name_prefix}-telemetry-db"
  vpc_id = var.vpc_id

  ingress {
    description = "PostgreSQL"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = var.db_client_cidrs
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_db_instance" "telemetry" {
  identifier             = "${local.name_prefix}-telemetry"
  engine                 = "postgres"
  engine_version         = "16.3"
  instance_class         = "db.r6g.large"
  allocated_storage      = 200
  username               = "telemetry"
  manage_master_user_password = true
  db_subnet_group_name   = aws_db_subnet_group.telemetry.name
  vpc_security_group_ids = [aws_security_group.telemetry_db.id]
  publicly_accessible    = true
  storage_encrypted      = true
  tags                   = local.common_tags
}
