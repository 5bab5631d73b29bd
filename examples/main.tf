# Connected-car telemetry platform: the classic mistakes seawall exists to catch.
# `seawall scan examples/` reports each of them; the resources marked "correct" stay silent.
# Most are public now; one is public by default (network.tf), one public if a flag is on
# (storage.tf), and one is a step away from public (cluster.tf).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

locals {
  name_prefix = "${var.company}-${var.environment}"
  common_tags = {
    Project            = "connected-car"
    Environment        = var.environment
    data_classification = "confidential"
  }
}
