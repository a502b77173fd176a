# monitoring/*.yaml (the one source of truth, in Cloud Monitoring / Logging REST field names)
# turned into the snake_case shapes monitoring.tf's blocks need. Pure data: no resources, so
# tests/monitoring/test_terraform_config.py evaluates it with `terraform console`.
# Every REST field the YAML uses must be read here: the test fails on one that is not.
locals {
  monitoring_dir = "${path.module}/../../monitoring"

  log_metrics = {
    for m in yamldecode(file("${local.monitoring_dir}/log_based_metrics.yaml")) : m.name => {
      description      = try(m.description, null)
      filter           = m.filter
      value_extractor  = try(m.valueExtractor, null)
      label_extractors = try(m.labelExtractors, null)
      metric_kind      = m.metricDescriptor.metricKind
      value_type       = m.metricDescriptor.valueType
      unit             = try(m.metricDescriptor.unit, null)
      display_name     = try(m.metricDescriptor.displayName, null)
      labels = [
        for label in try(m.metricDescriptor.labels, []) : {
          key         = label.key
          value_type  = try(label.valueType, "STRING")
          description = try(label.description, null)
        }
      ]
      linear_buckets      = try([m.bucketOptions.linearBuckets], [])
      exponential_buckets = try([m.bucketOptions.exponentialBuckets], [])
      explicit_buckets    = try([m.bucketOptions.explicitBuckets], [])
    }
  }

  alert_policies = {
    for p in yamldecode(file("${local.monitoring_dir}/alerting_policies.yaml")) : p.userLabels.alert => {
      display_name = p.displayName
      combiner     = p.combiner
      severity     = try(p.severity, null)
      user_labels  = try(p.userLabels, {})
      conditions = [
        for c in p.conditions : {
          display_name = c.displayName
          threshold = [
            for t in try([c.conditionThreshold], []) : {
              filter                  = t.filter
              comparison              = t.comparison
              threshold_value         = try(t.thresholdValue, null)
              duration                = t.duration
              evaluation_missing_data = try(t.evaluationMissingData, null)
              trigger_count           = try(t.trigger.count, null)
              trigger_percent         = try(t.trigger.percent, null)
              aggregations = [
                for a in try(t.aggregations, []) : {
                  alignment_period     = try(a.alignmentPeriod, null)
                  per_series_aligner   = try(a.perSeriesAligner, null)
                  cross_series_reducer = try(a.crossSeriesReducer, null)
                  group_by_fields      = try(a.groupByFields, null)
                }
              ]
            }
          ]
          matched_log = [
            for l in try([c.conditionMatchedLog], []) : {
              filter           = l.filter
              label_extractors = try(l.labelExtractors, null)
            }
          ]
        }
      ]
      auto_close                = try(p.alertStrategy.autoClose, null)
      notification_rate_periods = try([p.alertStrategy.notificationRateLimit.period], [])
      documentation = {
        content   = replace(p.documentation.content, "RUNBOOKS_URL", var.runbooks_url)
        mime_type = p.documentation.mimeType
        subject   = try(p.documentation.subject, null)
      }
    }
  }
}
