import Foundation

/// Terraform modules the end-to-end tests point `module_source` at.
enum TestModules {
    /// Initialises (built-ins only) but fails in apply: a precondition on `replicas`, with Terraform's own error message.
    static let refusesToApply = """
    variable "name" { type = string }
    variable "environment" { type = string }
    variable "domain" { type = string }
    variable "instance_type" { type = string }
    variable "replicas" { type = number }
    resource "terraform_data" "x" {
      input = var.name
      lifecycle {
        precondition {
          condition     = var.replicas > 5
          error_message = "This module needs more than 5 replicas."
        }
      }
    }
    """
}
