# The job table (jobs.yaml) turned into one object per Cloud Run job. Pure data: no resources,
# so tests/monitoring/test_terraform_config.py can evaluate it with `terraform console`.
locals {
  job_list = yamldecode(file("${path.module}/jobs.yaml"))

  # Entry defaults, then the entry, then its variant for the chosen episode backend.
  jobs = {
    for job in local.job_list : job.name => merge(
      { image_suffix = "", launcher = "python", gpu = null },
      job,
      lookup(job.variants, var.episode_backend, {}),
    )
  }

  registry = "${var.region}-docker.pkg.dev/${var.project}/${var.artifact_repository}"

  job_images = {
    for name, job in local.jobs :
    name => "${local.registry}/${name}${job.image_suffix}:${lookup(var.image_tags, name, var.default_image_tag)}"
  }

  # Environment of every job; SCENE_ID (and TRACEPARENT) come with each execution.
  common_job_env = {
    BUCKET               = var.bucket
    GOOGLE_CLOUD_PROJECT = var.project
    STRUCTURED_LOGGING   = "true"
    PRODUCTION_MODE      = tostring(var.production_mode)
    OTEL_TRACES_EXPORTER = var.otel_traces_exporter
  }
}
