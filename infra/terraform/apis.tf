# APIs the pipeline uses. disable_on_destroy = false: other workloads of the project may need them.
locals {
  services = [
    "artifactregistry.googleapis.com",
    "cloudtrace.googleapis.com",
    "eventarc.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    "workflowexecutions.googleapis.com",
    "workflows.googleapis.com",
  ]
}

resource "google_project_service" "enabled" {
  for_each = toset(local.services)

  service            = each.value
  disable_on_destroy = false
}

data "google_project" "current" {}

data "google_storage_bucket" "scenes" {
  name = var.bucket
}

resource "google_artifact_registry_repository" "images" {
  location      = var.region
  repository_id = var.artifact_repository
  format        = "DOCKER"
  description   = "BlueprintPipeline job images (one image per Cloud Run job)."

  depends_on = [google_project_service.enabled]
}
