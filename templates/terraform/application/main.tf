# The platform's application module. `platform create` calls it from a generated root module
# (STATE/workspaces/ENV/NAME/main.tf.json) with name, environment, domain, instance_type and
# replicas, plus any `--set KEY=VALUE` as a variable of the same name; this bundled module also
# gets tls (a module of your own is not passed it).
#
# This bundled version runs offline: it records the request in Terraform state (terraform_data)
# and reports the endpoint and sizing. Point `module_source` in the user config at your own module
# (e.g. git::https://example.com/infra.git//application?ref=v1) to provision real infrastructure;
# it must accept the same variables.

terraform {
  required_version = ">= 1.5"
}

variable "name" {
  type        = string
  description = "App name (a DNS label)."
}

variable "environment" {
  type        = string
  description = "Environment, also the Kubernetes namespace."
}

variable "domain" {
  type        = string
  description = "Base domain; the app lives at NAME.ENVIRONMENT.DOMAIN."
  default     = "example.com"
}

variable "instance_type" {
  type        = string
  description = "Instance type for the app's capacity."
  default     = "t3.medium"
}

variable "replicas" {
  type        = number
  description = "Number of pods the capacity is sized for."
  default     = 1
}

variable "tls" {
  type        = bool
  description = "Whether the app's Ingress terminates TLS (platform create passes it to this bundled module); the endpoint says https only then, as the CLI's URLs do."
  default     = false
}

variable "owner" {
  type        = string
  description = "Team that owns the app (--set owner=...)."
  default     = ""
}

variable "db_password" {
  type        = string
  description = "Database password (--set db_password=...); kept in state, never printed."
  default     = null
  sensitive   = true
}

locals {
  host = "${var.name}.${var.environment}.${var.domain}"
}

resource "terraform_data" "application" {
  input = {
    name          = var.name
    environment   = var.environment
    host          = local.host
    instance_type = var.instance_type
    replicas      = var.replicas
    owner         = var.owner
  }
}

resource "terraform_data" "database_credentials" {
  count = var.db_password == null ? 0 : 1
  input = sha256(var.db_password)
}

output "endpoint" {
  description = "Where the app is served."
  value       = "${var.tls ? "https" : "http"}://${local.host}"
}

output "instance_type" {
  value = var.instance_type
}

output "replicas" {
  value = var.replicas
}

output "id" {
  description = "Identifier of the application record."
  value       = terraform_data.application.id
}
