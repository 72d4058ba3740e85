# A Cloud Run service with the OpenTelemetry Collector as a sidecar. The app sends OTLP/gRPC to
# the sidecar on localhost:4317 (plaintext never leaves the instance); the sidecar forwards to
# Cloud Trace and Cloud Monitoring through the Telemetry API, authenticated as the service's own
# service account through the metadata server, so no key is stored anywhere.
#
#   terraform init && terraform apply -var project_id=my-project -var image=REGION-docker.pkg.dev/...
#
# The collector config is ../collector/cloud-run-sidecar.yaml, stored in Secret Manager and
# mounted into the sidecar (Cloud Run mounts secrets as files; it has no config maps).

terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0"
    }
  }
}

variable "project_id" {
  type        = string
  description = "The Google Cloud project of the service and of its telemetry."
}

variable "region" {
  type    = string
  default = "europe-west1"
}

variable "service_name" {
  type    = string
  default = "checkout"
}

variable "image" {
  type        = string
  description = "The service's container image (Artifact Registry)."
}

variable "collector_image" {
  type    = string
  default = "otel/opentelemetry-collector-contrib:0.147.0"
}

provider "google" {
  project = var.project_id
  region  = var.region
}

# The Telemetry API (OTLP ingestion) must be enabled, besides Trace, Monitoring and Logging.
resource "google_project_service" "apis" {
  for_each = toset([
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "telemetry.googleapis.com",
    "cloudtrace.googleapis.com",
    "monitoring.googleapis.com",
    "logging.googleapis.com",
  ])
  service            = each.value
  disable_on_destroy = false
}

# The service's own identity: only what it needs, not the Compute Engine default account.
resource "google_service_account" "service" {
  account_id   = "${var.service_name}-run"
  display_name = "Cloud Run service ${var.service_name}"
}

# Writes spans (cloudtrace.traces.patch, telemetry.traces.write).
resource "google_project_iam_member" "trace_agent" {
  project = var.project_id
  role    = "roles/cloudtrace.agent"
  member  = "serviceAccount:${google_service_account.service.email}"
}

# Writes metrics (monitoring.timeSeries.create, telemetry.metrics.write).
resource "google_project_iam_member" "metric_writer" {
  project = var.project_id
  role    = "roles/monitoring.metricWriter"
  member  = "serviceAccount:${google_service_account.service.email}"
}

# Writes log records (logging.logEntries.create), for services with logs export on.
resource "google_project_iam_member" "log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.service.email}"
}

# The Telemetry API is a consumer API: calls are billed to a project's quota, which takes
# serviceusage.services.use (Google's "migrate collector to OTLP exporters" guide lists it).
resource "google_project_iam_member" "service_usage_consumer" {
  project = var.project_id
  role    = "roles/serviceusage.serviceUsageConsumer"
  member  = "serviceAccount:${google_service_account.service.email}"
}

resource "google_secret_manager_secret" "collector_config" {
  secret_id = "${var.service_name}-otel-collector-config"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "collector_config" {
  secret      = google_secret_manager_secret.collector_config.id
  secret_data = file("${path.module}/../collector/cloud-run-sidecar.yaml")
}

resource "google_secret_manager_secret_iam_member" "collector_config" {
  secret_id = google_secret_manager_secret.collector_config.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.service.email}"
}

resource "google_cloud_run_v2_service" "service" {
  name     = var.service_name
  location = var.region
  ingress  = "INGRESS_TRAFFIC_ALL"

  template {
    service_account = google_service_account.service.email

    containers {
      name  = "app"
      image = var.image
      ports {
        container_port = 8080
      }
      # Starts once the collector's startup probe passes, so the first spans have a receiver.
      depends_on = ["otel-collector"]

      # The sidecar shares the instance's network: `http://` means plaintext, to localhost only.
      env {
        name  = "OTEL_EXPORTER_OTLP_ENDPOINT"
        value = "http://localhost:4317"
      }
      env {
        name  = "OTEL_SERVICE_NAME"
        value = var.service_name
      }
      env {
        name  = "APP_ENV"
        value = "production"
      }
      env {
        name  = "OTEL_TRACES_SAMPLER_ARG"
        value = "0.1"
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        # Exports run between requests (batches, the metrics interval): keep the CPU allocated
        # outside requests, or telemetry is delayed until the next request wakes the instance.
        cpu_idle = false
      }
    }

    containers {
      name  = "otel-collector"
      image = var.collector_image
      args  = ["--config=/etc/otelcol/config.yaml"]

      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project_id
      }

      startup_probe {
        http_get {
          path = "/"
          port = 13133
        }
        period_seconds    = 2
        failure_threshold = 15
      }

      volume_mounts {
        name       = "otel-collector-config"
        mount_path = "/etc/otelcol"
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        cpu_idle = false
      }
    }

    volumes {
      name = "otel-collector-config"
      secret {
        secret = google_secret_manager_secret.collector_config.secret_id
        items {
          version = "latest"
          path    = "config.yaml"
        }
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.trace_agent,
    google_project_iam_member.metric_writer,
    google_secret_manager_secret_iam_member.collector_config,
    google_secret_manager_secret_version.collector_config,
  ]
}

output "url" {
  value = google_cloud_run_v2_service.service.uri
}
