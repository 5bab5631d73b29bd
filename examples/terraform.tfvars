environment = "prod"

# "temporarily" opened so the partner's dashboard could fetch exports
customer_data_acl = "public-read"

# the vendor's support team needed to connect from home
db_client_cidrs = ["0.0.0.0/0"]
