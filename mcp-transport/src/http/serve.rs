//! Running the router as a standalone server with graceful shutdown.

use std::future::Future;
use std::io;

use tokio::net::TcpListener;

use super::HttpTransport;

pub(crate) async fn serve_until(
    transport: HttpTransport,
    listener: TcpListener,
    signal: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let config = &transport.config;
    if !local.ip().is_loopback() && config.hosts.is_loopback_only() {
        tracing::warn!(
            %local,
            "listening beyond loopback while only loopback Host names are allowed: requests that \
             name this server by another host will get 403; add names with HttpTransport::allow_host"
        );
    }
    let token = config.shutdown.clone();
    let grace = config.shutdown_grace;
    let app = transport.router();
    tracing::info!(%local, "serving MCP over streamable HTTP");

    let trigger = token.clone();
    let stopped = async move {
        tokio::select! {
            () = signal => {}
            () = trigger.cancelled() => {}
        }
        tracing::info!("shutting down: finishing requests in flight, closing streams");
        // Closes GET streams and refuses new sessions; POST streams end after their answer.
        trigger.cancel();
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(stopped).into_future();
    tokio::pin!(server);
    let deadline = async {
        token.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = &mut server => result,
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs_f64(), "shutdown grace period over; dropping connections");
            Ok(())
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM (what container runtimes send): the
/// signal [`HttpTransport::serve`](super::HttpTransport::serve) stops on, for callers of
/// [`serve_until`](super::HttpTransport::serve_until) that bind their own listener.
///
/// ```no_run
/// # async fn run(server: mcp_core::Server) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// eprintln!("listening on http://{}/mcp", listener.local_addr()?);
/// mcp_transport::http::HttpTransport::new(server)
///     .serve_until(listener, mcp_transport::http::shutdown_signal())
///     .await
/// # }
/// ```
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
