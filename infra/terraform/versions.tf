# Terraform and provider versions. State: pass a GCS backend at init time
# (docs/OPERATIONS.md, "Deploy"); nothing here assumes one.
terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region
}
