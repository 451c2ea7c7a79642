//! A fake of OpenAI's Files and Batches API on loopback, the one the tests use
//! (tests/it/common/batch_service.rs), answering every request through an OpenAI-compatible
//! server (a llama.cpp server on loopback), to try `retort batch` end to end without an account.
//! Its key is `sk-batch-0123456789abcdef`; a batch moves one step each time it is looked at.
//!
//!     cargo run --release --example fake_batch_service -- --upstream http://127.0.0.1:8080/v1 --port 8090

#[path = "../tests/it/common/fine_tuning.rs"]
mod fine_tuning;

#[path = "../tests/it/common/batch_service.rs"]
mod batch_service;

use batch_service::FakeBatches;

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut upstream, mut port) = (None, 0u16);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--upstream" => upstream = args.next(),
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or(0),
            _ => {
                eprintln!("usage: fake_batch_service --upstream URL [--port N]");
                std::process::exit(2);
            }
        }
    }
    let Some(upstream) = upstream else {
        eprintln!(
            "--upstream URL is needed: the OpenAI-compatible server that answers (e.g. a llama.cpp server's /v1)"
        );
        std::process::exit(2);
    };
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async move {
        let (server, _fake) = FakeBatches::start_on(listener, batch_service::upstream(&upstream)).await;
        println!("{}/v1", server.uri());
        let _ = tokio::signal::ctrl_c().await;
    });
}
