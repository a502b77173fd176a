# Inputs of the BlueprintPipeline deployment. Example values: terraform.tfvars.example.

variable "project" {
  description = "Google Cloud project id that runs the pipeline."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run jobs, the workflow and Artifact Registry (e.g. us-central1)."
  type        = string
}

variable "bucket" {
  description = "Existing GCS bucket holding scenes/<scene_id>/ (not created here)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be a GCS bucket name (tools/config.py BUCKET_PATTERN)."
  }
}

variable "notification_email" {
  description = "Address the alert policies notify."
  type        = string
}

variable "artifact_repository" {
  description = "Artifact Registry Docker repository (created here) holding the job images."
  type        = string
  default     = "blueprint-pipeline"
}

variable "default_image_tag" {
  description = "Image tag used for every job without an entry in image_tags."
  type        = string
  default     = "latest"
}

variable "image_tags" {
  description = "Image tag per Cloud Run job name, e.g. { \"simready-job\" = \"2026-11-02-ab12cd3\" }."
  type        = map(string)
  default     = {}
}

variable "episode_backend" {
  description = "Episode physics backend: mujoco (CPU image) or isaacsim (Isaac Sim image on an L4 GPU; needs driver R570.169+, which the job checks at start, see docs/ISAAC_SIM_SETUP.md)."
  type        = string
  default     = "mujoco"

  validation {
    condition     = contains(["mujoco", "isaacsim"], var.episode_backend)
    error_message = "episode_backend must be mujoco or isaacsim."
  }
}

variable "episode_task_count" {
  description = "Tasks the workflow shards the episode job over (taskCount override per execution)."
  type        = number
  default     = 10

  validation {
    condition     = var.episode_task_count >= 1 && var.episode_task_count <= 10000
    error_message = "episode_task_count must be between 1 and 10000."
  }
}

variable "production_mode" {
  description = "PRODUCTION_MODE of every job: refuse local fallbacks (embedded engines, env secrets)."
  type        = bool
  default     = true
}

variable "otel_traces_exporter" {
  description = "OTEL_TRACES_EXPORTER of every job: none, console, otlp or gcp_trace (tools/tracing.py)."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "console", "otlp", "gcp_trace"], var.otel_traces_exporter)
    error_message = "otel_traces_exporter must be none, console, otlp or gcp_trace."
  }
}

variable "secret_ids" {
  description = "Secret Manager secret ids (same project) the jobs may read; each gets secretAccessor for the job service account."
  type        = list(string)
  default     = []
}

variable "runbooks_url" {
  description = "Address of docs/RUNBOOKS.md (e.g. its page in your Git host); alert notifications link its sections."
  type        = string
  default     = "docs/RUNBOOKS.md"
}

variable "deletion_protection" {
  description = "Refuse to delete the Cloud Run jobs on destroy."
  type        = bool
  default     = true
}
