//! The engines a driver runs models on, as one value it owns and hands to `execute`: the HTTP
//! client (its connections, the model ids it discovered) and the in-process engine (its
//! inference thread and loaded models). Which one a profile uses is its `profile::Engine`,
//! matched in `run::execute`.

use super::client::HttpEngine;
use super::embedded::EmbeddedEngine;
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Engines {
    pub http: Arc<HttpEngine>,
    pub embedded: EmbeddedEngine,
}

impl Engines {
    pub fn new() -> Engines {
        Engines::default()
    }
}
