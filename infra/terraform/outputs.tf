output "image_registry" {
  description = "Push job images here as <registry>/<job name>[-isaacsim]:<tag>."
  value       = local.registry
}

output "job_images" {
  description = "Image each Cloud Run job runs."
  value       = local.job_images
}

output "workflow" {
  description = "Workflow to run by hand: gcloud workflows run <name> --location <region> --data ..."
  value       = google_workflows_workflow.pipeline.name
}

output "job_service_account" {
  description = "Identity of every Cloud Run job."
  value       = google_service_account.jobs.email
}
