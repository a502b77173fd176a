# Log-based metrics, the notification channel and the alert policies, all from monitoring/*.yaml
# (through monitoring_config.tf).

resource "google_logging_metric" "pipeline" {
  for_each = local.log_metrics

  name             = each.key
  description      = each.value.description
  filter           = each.value.filter
  value_extractor  = each.value.value_extractor
  label_extractors = each.value.label_extractors

  metric_descriptor {
    metric_kind  = each.value.metric_kind
    value_type   = each.value.value_type
    unit         = each.value.unit
    display_name = each.value.display_name

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key         = labels.value.key
        value_type  = labels.value.value_type
        description = labels.value.description
      }
    }
  }

  dynamic "bucket_options" {
    for_each = length(concat(each.value.linear_buckets, each.value.exponential_buckets, each.value.explicit_buckets)) > 0 ? [1] : []
    content {
      dynamic "linear_buckets" {
        for_each = each.value.linear_buckets
        content {
          num_finite_buckets = linear_buckets.value.numFiniteBuckets
          width              = linear_buckets.value.width
          offset             = linear_buckets.value.offset
        }
      }
      dynamic "exponential_buckets" {
        for_each = each.value.exponential_buckets
        content {
          num_finite_buckets = exponential_buckets.value.numFiniteBuckets
          growth_factor      = exponential_buckets.value.growthFactor
          scale              = exponential_buckets.value.scale
        }
      }
      dynamic "explicit_buckets" {
        for_each = each.value.explicit_buckets
        content {
          bounds = explicit_buckets.value.bounds
        }
      }
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_notification_channel" "email" {
  display_name = "BlueprintPipeline on-call (email)"
  type         = "email"
  labels = {
    email_address = var.notification_email
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "pipeline" {
  for_each = local.alert_policies

  display_name          = each.value.display_name
  combiner              = each.value.combiner
  severity              = each.value.severity
  user_labels           = each.value.user_labels
  notification_channels = [google_monitoring_notification_channel.email.id]

  dynamic "conditions" {
    for_each = each.value.conditions
    content {
      display_name = conditions.value.display_name

      dynamic "condition_threshold" {
        for_each = conditions.value.threshold
        content {
          filter                  = condition_threshold.value.filter
          comparison              = condition_threshold.value.comparison
          threshold_value         = condition_threshold.value.threshold_value
          duration                = condition_threshold.value.duration
          evaluation_missing_data = condition_threshold.value.evaluation_missing_data

          dynamic "aggregations" {
            for_each = condition_threshold.value.aggregations
            content {
              alignment_period     = aggregations.value.alignment_period
              per_series_aligner   = aggregations.value.per_series_aligner
              cross_series_reducer = aggregations.value.cross_series_reducer
              group_by_fields      = aggregations.value.group_by_fields
            }
          }

          dynamic "trigger" {
            for_each = condition_threshold.value.trigger_count == null && condition_threshold.value.trigger_percent == null ? [] : [1]
            content {
              count   = condition_threshold.value.trigger_count
              percent = condition_threshold.value.trigger_percent
            }
          }
        }
      }

      dynamic "condition_matched_log" {
        for_each = conditions.value.matched_log
        content {
          filter           = condition_matched_log.value.filter
          label_extractors = condition_matched_log.value.label_extractors
        }
      }
    }
  }

  dynamic "alert_strategy" {
    for_each = each.value.auto_close == null && length(each.value.notification_rate_periods) == 0 ? [] : [1]
    content {
      auto_close = each.value.auto_close

      dynamic "notification_rate_limit" {
        for_each = each.value.notification_rate_periods
        content {
          period = notification_rate_limit.value
        }
      }
    }
  }

  documentation {
    content   = each.value.documentation.content
    mime_type = each.value.documentation.mime_type
    subject   = each.value.documentation.subject
  }

  # A policy on a log-based metric can only be created once the metric exists.
  depends_on = [google_logging_metric.pipeline]
}
