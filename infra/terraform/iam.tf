# Service accounts and the least privilege each needs.
#
#   bp-jobs      runs every Cloud Run job: reads and writes objects in the scenes bucket, writes
#                traces, reads the listed secrets. No project-wide storage or Run roles.
#   bp-workflow  runs the workflow: starts the pipeline's jobs with overrides (granted per job),
#                polls their operations, writes the workflow failure marker, writes its logs.
#   bp-trigger   the Eventarc trigger's identity: receives events, starts the workflow.
# Cloud Storage's service agent publishes the bucket's events to Pub/Sub for Eventarc.

resource "google_service_account" "jobs" {
  account_id   = "bp-jobs"
  display_name = "BlueprintPipeline Cloud Run jobs"

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "workflow" {
  account_id   = "bp-workflow"
  display_name = "BlueprintPipeline workflow"

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "trigger" {
  account_id   = "bp-trigger"
  display_name = "BlueprintPipeline Eventarc trigger"

  depends_on = [google_project_service.enabled]
}

# --- jobs ---------------------------------------------------------------------------------

# Read, create, overwrite and delete objects (completion markers are replaced and removed).
resource "google_storage_bucket_iam_member" "jobs_objects" {
  bucket = var.bucket
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.jobs.email}"
}

# Span export when OTEL_TRACES_EXPORTER is gcp_trace or otlp to Google's endpoint.
resource "google_project_iam_member" "jobs_traces" {
  project = var.project
  role    = "roles/cloudtrace.agent"
  member  = "serviceAccount:${google_service_account.jobs.email}"
}

resource "google_secret_manager_secret_iam_member" "jobs_secrets" {
  for_each = toset(var.secret_ids)

  secret_id = "projects/${var.project}/secrets/${each.value}"
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.jobs.email}"
}

# --- workflow -----------------------------------------------------------------------------

# jobs.run with env and task-count overrides, on the pipeline's jobs only.
resource "google_cloud_run_v2_job_iam_member" "workflow_runs_job" {
  for_each = local.jobs

  name     = google_cloud_run_v2_job.job[each.key].name
  location = var.region
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = "serviceAccount:${google_service_account.workflow.email}"
}

# The jobs.run connector waits for the execution by polling its long-running operation.
resource "google_project_iam_custom_role" "run_operation_reader" {
  role_id     = "bpRunOperationReader"
  title       = "BlueprintPipeline Cloud Run operation reader"
  description = "Poll Cloud Run operations and executions started by the pipeline workflow."
  permissions = ["run.operations.get", "run.executions.get"]
}

resource "google_project_iam_member" "workflow_run_operations" {
  project = var.project
  role    = google_project_iam_custom_role.run_operation_reader.id
  member  = "serviceAccount:${google_service_account.workflow.email}"
}

# Failure marker scenes/<id>/.markers/workflow.failed-<execution>.json (create only).
resource "google_storage_bucket_iam_member" "workflow_markers" {
  bucket = var.bucket
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.workflow.email}"
}

resource "google_project_iam_member" "workflow_logs" {
  project = var.project
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.workflow.email}"
}

# --- trigger ------------------------------------------------------------------------------

resource "google_project_iam_member" "trigger_receives_events" {
  project = var.project
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.trigger.email}"
}

resource "google_project_iam_member" "trigger_invokes_workflow" {
  project = var.project
  role    = "roles/workflows.invoker"
  member  = "serviceAccount:${google_service_account.trigger.email}"
}

data "google_storage_project_service_account" "gcs_agent" {}

resource "google_project_iam_member" "gcs_agent_publishes_events" {
  project = var.project
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs_agent.email_address}"
}
