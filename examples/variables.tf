variable "region" {
  type    = string
  default = "eu-central-1"
}

variable "company" {
  type    = string
  default = "acme"
}

variable "environment" {
  type = string
}

variable "customer_data_acl" {
  description = "Canned ACL of the customer data bucket"
  type        = string
  default     = "private"
}

variable "vpc_id" {
  type    = string
  default = "vpc-0a1b2c3d4e5f67890"
}

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "db_client_cidrs" {
  description = "Who may connect to the telemetry database"
  type        = list(string)
  default     = ["10.20.0.0/16"]
}

variable "analytics_role_arn" {
  type    = string
  default = "arn:aws:iam::123456789012:role/analytics"
}
