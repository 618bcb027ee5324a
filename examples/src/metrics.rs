//! `GET /metrics` of the `orders` example: the framework's counters and gauges
//! (`auth_core::metrics` lists them) in the Prometheus text format, through
//! `metrics-exporter-prometheus` installed as the process's recorder.
//!
//! The route is public, as scrape targets usually are: its series carry no user, token, key
//! or address (the framework's labels are fixed words), so what it tells is rates and ages.
//! Keep it off the public internet at the network layer if even those are sensitive to you.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpResponse, get};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process's Prometheus recorder, installed on first use. When another recorder was
/// installed first, a detached one answers (empty): metrics go where the application chose.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
    })
}

/// `GET /metrics`: the Prometheus text exposition format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format")))]
#[get("/metrics")]
pub async fn metrics() -> HttpResponse {
    let handle = handle();
    // Histograms (none yet) need their upkeep; counters and gauges do not.
    handle.run_upkeep();
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(handle.render())
}
