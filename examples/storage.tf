# Vehicle data of every customer: location history, VINs, contact details.
resource "aws_s3_bucket" "customer_data" {
  bucket = "${local.name_prefix}-vehicle-customer-data"
  tags   = local.common_tags
}

resource "aws_s3_bucket_ownership_controls" "customer_data" {
  bucket = aws_s3_bucket.customer_data.id
  rule {
    object_ownership = "ObjectWriter"
  }
}

# Someone turned the protections off to make the ACL below "work".
resource "aws_s3_bucket_public_access_block" "customer_data" {
  bucket                  = aws_s3_bucket.customer_data.id
  block_public_acls       = false
  ignore_public_acls      = false
  block_public_policy     = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_acl" "customer_data" {
  bucket = aws_s3_bucket.customer_data.id
  acl    = var.customer_data_acl
}

resource "aws_s3_bucket_policy" "customer_data" {
  bucket = aws_s3_bucket.customer_data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "PartnerDashboard"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["s3:GetObject", "s3:ListBucket"]
        Resource = [
          aws_s3_bucket.customer_data.arn,
          "${aws_s3_bucket.customer_data.arn}/*",
        ]
      },
    ]
  })
}

# Correct: a private bucket, fully blocked, readable only by the analytics role.
resource "aws_s3_bucket" "reports" {
  bucket = "${local.name_prefix}-reports"
  tags   = local.common_tags
}

resource "aws_s3_bucket_public_access_block" "reports" {
  bucket                  = aws_s3_bucket.reports.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "reports_read" {
  statement {
    sid     = "AnalyticsRead"
    actions = ["s3:GetObject"]
    principals {
      type        = "AWS"
      identifiers = [var.analytics_role_arn]
    }
    resources = ["${aws_s3_bucket.reports.arn}/*"]
  }
}

resource "aws_s3_bucket_policy" "reports" {
  bucket = aws_s3_bucket.reports.id
  policy = data.aws_iam_policy_document.reports_read.json
}

# Debug exports for the support team: the bucket always exists, its public policy only
# while a feature flag kept in SSM is on (not known when the code is read): public if.
data "aws_ssm_parameter" "debug_exports" {
  name = "/connected-car/debug-exports"
}

resource "aws_s3_bucket" "debug_exports" {
  bucket = "${local.name_prefix}-debug-exports"
}

resource "aws_s3_bucket_policy" "debug_exports" {
  count  = data.aws_ssm_parameter.debug_exports.value == "on" ? 1 : 0
  bucket = aws_s3_bucket.debug_exports.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.debug_exports.arn}/*"
      }
    ]
  })
}
