//! `--metrics ADDR`: serves the count at `http://ADDR/metrics` for Prometheus, read from the map
//! at each scrape: `OpenMetrics` text to a scraper that asks for it (Prometheus does), else the
//! Prometheus text format (what `curl` and `promtool check metrics` get).

use std::{fmt, net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse as _, Response},
    routing::get,
};
use aya::maps::Map;
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric as _, prometheus_text, text},
    metrics::counter::ConstCounter,
    registry::Registry,
};
use tokio::net::TcpListener;

use crate::map;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(clap::Args)]
pub struct MetricsArgs {
    /// While counting, serve the count at `http://ADDR/metrics` for Prometheus (e.g.
    /// 127.0.0.1:9775); the total is then printed each minute, not each second
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["check", "runs"])]
    pub metrics: Option<SocketAddr>,
}

/// The counter, read from its map at each scrape: `<crate>_events_total`.
#[derive(Debug)]
struct Events {
    map: Arc<Map>,
    help: String,
}

impl Collector for Events {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        // A failed read fails the scrape (500): Prometheus marks the target down, and records no
        // wrong value.
        let total = map::total(&self.map).map_err(|_| fmt::Error)?;
        let counter = ConstCounter::new(total);
        let name = env!("CARGO_PKG_NAME").replace('-', "_") + "_events";
        let metric = encoder.encode_descriptor(&name, &self.help, None, counter.metric_type())?;
        counter.encode(metric)
    }
}

/// Listens on `addr` (failing there ends the loader before it counts), then serves the count
/// from a task of its own.
pub async fn serve(addr: SocketAddr, map: Arc<Map>, attached: &str) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await;
    let listener = listener.with_context(|| format!("cannot serve metrics on {addr}"))?;
    let mut registry = Registry::default();
    let help = format!("Events counted by the eBPF program: {attached}");
    registry.register_collector(Box::new(Events { map, help }));
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(Arc::new(registry));
    println!("metrics: http://{}/metrics", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(())
}

async fn metrics(State(registry): State<Arc<Registry>>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let openmetrics = accept.is_some_and(|accept| accept.contains("application/openmetrics-text"));
    let mut body = String::new();
    let (encoded, content_type) = if openmetrics {
        (text::encode(&mut body, &registry), OPENMETRICS)
    } else {
        let encoded = prometheus_text::encode(&mut body, &registry);
        (encoded, prometheus_text::CONTENT_TYPE)
    };
    if encoded.is_err() {
        let status = StatusCode::INTERNAL_SERVER_ERROR;
        return (status, "cannot read the counter\n").into_response();
    }
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}
