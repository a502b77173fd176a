# The orchestration: GCS object finalize in the scenes bucket -> Eventarc -> the workflow
# (../workflows/pipeline.yaml), which runs the jobs in order. Eventarc cannot start a Cloud Run
# job itself, and its Cloud Storage events filter on bucket only: the workflow ignores every
# object but scenes/<scene_id>/regen3d/.upload_complete.

resource "google_workflows_workflow" "pipeline" {
  name            = "blueprint-pipeline"
  region          = var.region
  description     = "Runs the BlueprintPipeline jobs on a scene once its regen3d upload is complete."
  service_account = google_service_account.workflow.id
  call_log_level  = "LOG_ERRORS_ONLY"
  source_contents = file("${path.module}/../workflows/pipeline.yaml")

  user_env_vars = {
    EPISODE_TASK_COUNT = tostring(var.episode_task_count)
  }

  depends_on = [google_project_service.enabled]
}

resource "google_eventarc_trigger" "regen3d_upload" {
  name = "blueprint-regen3d-upload"
  # A Cloud Storage trigger lives in the bucket's location (a region, a dual- or multi-region).
  location        = lower(data.google_storage_bucket.scenes.location)
  service_account = google_service_account.trigger.email

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.storage.object.v1.finalized"
  }
  matching_criteria {
    attribute = "bucket"
    value     = var.bucket
  }

  destination {
    workflow = google_workflows_workflow.pipeline.id
  }

  depends_on = [
    google_project_iam_member.gcs_agent_publishes_events,
    google_project_iam_member.trigger_receives_events,
    google_project_iam_member.trigger_invokes_workflow,
  ]
}
