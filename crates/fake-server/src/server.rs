//! Starting, inspecting and stopping a server.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::conn::{CuttableListener, Cutter};
use crate::record::RecordedRequest;
use crate::routes;
use crate::script::{Script, ScriptError};
use crate::state::AppState;

/// How long [`FakeServer::shutdown`] lets in-flight requests finish before cutting them off.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why a server could not start.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The script has out-of-range values.
    #[error("invalid script: {0}")]
    Script(#[from] ScriptError),
    /// The port could not be bound (already in use, or not permitted).
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address that was tried.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// A running fake OpenAI server on 127.0.0.1.
///
/// The server runs as a task on the current tokio runtime. It stops gracefully with
/// [`FakeServer::shutdown`]; dropping it signals the same shutdown without waiting.
#[derive(Debug)]
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts a server on a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// When the script is invalid (see [`Script::validate`]) or no port can be bound: this is
    /// a test fixture, and a test cannot go on without its server. Use
    /// [`FakeServer::start_on_port`] to handle those errors instead.
    pub async fn start(script: Script) -> FakeServer {
        match FakeServer::start_on_port(0, script).await {
            Ok(server) => server,
            Err(error) => panic!("the fake OpenAI server could not start: {error}"),
        }
    }

    /// Starts a server on `port` of 127.0.0.1 (0 picks a free port). The server never listens
    /// on other interfaces.
    pub async fn start_on_port(port: u16, script: Script) -> Result<FakeServer, ServerError> {
        script.validate()?;
        let requested = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener =
            TcpListener::bind(requested).await.map_err(|source| ServerError::Bind { addr: requested, source })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind { addr: requested, source })?;

        let state = Arc::new(AppState::new(script));
        let app = routes::router(Arc::clone(&state));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // Each request learns its connection's `Cutter`, so `Reply::Dropped` can close it
            // without an answer.
            let app = app.into_make_service_with_connect_info::<Cutter>();
            let serve = axum::serve(CuttableListener(listener), app).with_graceful_shutdown(async {
                // Either an explicit signal or the sender being dropped stops the server.
                let _ = stopped.await;
            });
            // Accept errors are retried inside axum; nothing useful is left to report here.
            let _ = serve.await;
        });
        Ok(FakeServer { addr, state, stop: Some(stop), task: Some(task) })
    }

    /// The socket address, always on 127.0.0.1.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server root, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OpenAI base URL clients are configured with, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// Every request received so far, in arrival order (CORS preflights included).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    /// Stops accepting connections, lets in-flight requests finish for up to
    /// [`SHUTDOWN_GRACE`], then cuts off whatever is left.
    pub async fn shutdown(mut self) {
        self.signal_stop();
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await.is_err() {
                task.abort();
            }
        }
    }

    fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The receiver is gone only when the server already stopped.
            let _ = stop.send(());
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.signal_stop();
    }
}
