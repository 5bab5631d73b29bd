resource "aws_security_group" "bastion" {
  name        = "${local.name_prefix}-bastion"
  description = "Jump host"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "bastion_ssh" {
  security_group_id = aws_security_group.bastion.id
  description       = "SSH from anywhere"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "0.0.0.0/0"
}

# Correct: reachable only from inside the VPC.
resource "aws_security_group" "internal_api" {
  name   = "${local.name_prefix}-internal-api"
  vpc_id = var.vpc_id

  ingress {
    description = "API from the VPC"
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
}

# One step away: a public web load balancer on HTTPS is how websites work; shown as posture.
resource "aws_security_group" "web_lb" {
  name   = "${local.name_prefix}-web-lb"
  vpc_id = var.vpc_id

  ingress {
    from_port        = 443
    to_port          = 443
    protocol         = "tcp"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }
}

# The operators' admin host: SSH from var.admin_cidr, whose default is the whole internet
# and which terraform.tfvars does not set: public by default.
variable "admin_cidr" {
  description = "Where operators connect from over SSH"
  type        = string
  default     = "0.0.0.0/0"
}

resource "aws_security_group" "admin" {
  name   = "${local.name_prefix}-admin"
  vpc_id = var.vpc_id

  ingress {
    description = "SSH for operators"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.admin_cidr]
  }
}

resource "aws_instance" "admin" {
  ami                         = "ami-0a1b2c3d4e5f67890"
  instance_type               = "t3.micro"
  associate_public_ip_address = true
  vpc_security_group_ids      = [aws_security_group.admin.id]
}
