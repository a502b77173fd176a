# One Cloud Run job per entry of jobs.yaml. Executions set SCENE_ID (and TRACEPARENT) through
# env overrides: the workflow does, and so does `gcloud run jobs execute --update-env-vars`.
resource "google_cloud_run_v2_job" "job" {
  for_each = local.jobs

  name                = each.key
  location            = var.region
  deletion_protection = var.deletion_protection
  labels = {
    service = "blueprint-pipeline"
    step    = each.value.step
  }

  template {
    task_count  = each.value.task_count
    parallelism = each.value.parallelism

    template {
      service_account = google_service_account.jobs.email
      timeout         = each.value.timeout
      max_retries     = each.value.max_retries

      containers {
        image   = local.job_images[each.key]
        command = [each.value.launcher, "-m", each.value.module]

        resources {
          limits = merge(
            { cpu = each.value.cpu, memory = each.value.memory },
            each.value.gpu == null ? {} : { "nvidia.com/gpu" = "1" },
          )
        }

        dynamic "env" {
          for_each = merge(local.common_job_env, each.value.env)
          content {
            name  = env.key
            value = env.value
          }
        }
      }

      dynamic "node_selector" {
        for_each = each.value.gpu == null ? [] : [each.value.gpu]
        content {
          accelerator = node_selector.value
        }
      }
      gpu_zonal_redundancy_disabled = each.value.gpu == null ? null : true
    }
  }

  depends_on = [google_project_service.enabled]
}
