//! The llama.cpp side of the embedded engine: one inference thread that owns the backend and
//! the loaded model and takes generation jobs from a channel (decoded together by
//! `scheduler`), and the per-token pieces: the prompt's text, the next token, its probability.

use super::EmbeddedCall;
use crate::llm::client::Reply;
use crate::llm::error::LlmError;
use crate::llm::prompt::Prompt;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use std::sync::OnceLock;
use std::sync::mpsc::{Sender, channel};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

pub(super) struct Job {
    pub(super) call: EmbeddedCall,
    pub(super) pieces: Option<UnboundedSender<String>>,
    pub(super) cancel: CancellationToken,
    pub(super) reply: oneshot::Sender<Result<Reply, LlmError>>,
}

/// llama.cpp's backend is one per process (its modules loaded, then initialised once); every
/// engine value's thread shares it.
static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();

pub(super) fn backend() -> Result<&'static LlamaBackend, String> {
    BACKEND
        .get_or_init(|| {
            super::backends::ensure_loaded()
                .map_err(|e| e.to_string())
                .and_then(|_| LlamaBackend::init().map_err(|e| e.to_string()))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The way to an engine's inference thread; the thread ends when the last one is dropped.
pub(super) type Worker = Sender<Job>;

/// Starts an inference thread: it owns the models it loads and their contexts.
pub(super) fn start() -> Worker {
    let (tx, rx) = channel::<Job>();
    std::thread::Builder::new()
        .name("retort-inference".into())
        .spawn(move || super::scheduler::run(rx, backend()))
        .expect("spawning the inference thread");
    tx
}

pub(super) async fn submit(
    worker: &Worker,
    call: EmbeddedCall,
    pieces: Option<UnboundedSender<String>>,
    cancel: CancellationToken,
) -> Result<Reply, LlmError> {
    let (reply, result) = oneshot::channel();
    worker
        .send(Job {
            call,
            pieces,
            cancel,
            reply,
        })
        .map_err(|_| LlmError::EngineStopped { during_run: false })?;
    result.await.map_err(|_| LlmError::EngineStopped { during_run: true })?
}

/// A failed step of llama.cpp, named.
pub(super) fn llama(step: &'static str, error: impl std::fmt::Display) -> LlmError {
    LlmError::Llama {
        step,
        detail: error.to_string(),
    }
}

pub(super) fn load_error(path: &std::path::Path) -> LlmError {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let arch = llama_cpp_2::gguf::GgufContext::from_file(path).and_then(|g| {
        let index = g.find_key("general.architecture");
        (index >= 0).then(|| g.val_str(index).map(String::from)).flatten()
    });
    let path = path.display().to_string();
    match arch {
        None => LlmError::ModelCorrupt { path, size },
        Some(architecture) => LlmError::ModelUnknown {
            path,
            size,
            architecture,
        },
    }
}

pub(super) fn prompt_text(model: &LlamaModel, prompt: &Prompt) -> Result<String, LlmError> {
    match prompt {
        Prompt::Completion { text } => Ok(text.clone()),
        Prompt::Chat { messages } => {
            let chat: Vec<LlamaChatMessage> = messages
                .iter()
                .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
                .collect::<Result<_, _>>()
                .map_err(|e| llama("chat message", e))?;
            let template = chat_template(model).ok_or(LlmError::NoChatTemplate)?;
            model
                .apply_chat_template(&template, &chat, true)
                .map_err(|e| llama("chat template", e))
        }
    }
}

/// Architectures whose pretrained bases ship without a chat template, and the llama.cpp
/// built-in template of their instruction-tuned siblings.
const BUILT_IN_TEMPLATES: &[(&str, &str)] = &[("gemma", "gemma")];

/// The model's chat template, or for a GGUF that has none (a pretrained base such as Gemma 3
/// 270M) llama.cpp's built-in one for its family: serving and training (`tokens.rs`) use the
/// same, so a model fine-tuned here answers in the turns it learned.
pub(super) fn chat_template(model: &LlamaModel) -> Option<LlamaChatTemplate> {
    if let Ok(template) = model.chat_template(None) {
        return Some(template);
    }
    let architecture = model.meta_val_str("general.architecture").ok()?;
    let (_, name) = BUILT_IN_TEMPLATES
        .iter()
        .find(|(family, _)| architecture.starts_with(family))?;
    LlamaChatTemplate::new(name).ok()
}

/// The model's own log-probability of `token` (softmax over the raw logits, before any grammar
/// or sampler): what the value confidences are made of.
pub(super) fn token_logprob(logits: &[f32], token: LlamaToken) -> f64 {
    let Some(&chosen) = logits.get(token.0 as usize) else {
        return f64::NEG_INFINITY;
    };
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|l| f64::from(l - max).exp()).sum();
    f64::from(chosen - max) - sum.ln()
}

/// What else decides whether a token may come next (strict grounding's copy rule); `None`
/// allows every token the grammar allows.
pub(super) type Allowed<'a> = Option<&'a dyn Fn(LlamaToken) -> bool>;

/// The next token. With a grammar or a copy rule, the greedy choice is checked first, then the
/// best `SHORTLIST` tokens, and the whole vocabulary is filtered only when they are all refused:
/// filtering 49k candidates through a grammar costs 4-9 ms, the shortlist 0.2-0.6 ms
/// (measured). The result is the same as filtering first: the best allowed token; `None` when
/// nothing is allowed.
pub(super) fn next_token(
    ctx: &llama_cpp_2::context::LlamaContext,
    index: i32,
    grammar: Option<&mut LlamaSampler>,
    sampler: Option<&mut LlamaSampler>,
    allowed: Allowed<'_>,
) -> Option<LlamaToken> {
    if let Some(sampler) = sampler {
        let mut candidates = ctx.token_data_array_ith(index);
        if let Some(g) = grammar {
            candidates.apply_sampler(g);
        }
        if let Some(allowed) = allowed {
            for d in candidates.data.iter_mut().filter(|d| d.logit().is_finite()) {
                if !allowed(d.id()) {
                    d.set_logit(f32::NEG_INFINITY);
                }
            }
        }
        if !candidates.data.iter().any(|d| d.logit().is_finite()) {
            return None;
        }
        candidates.apply_sampler(sampler);
        return Some(
            candidates
                .selected_token()
                .unwrap_or_else(|| candidates.sample_token_greedy()),
        );
    }
    let logits = ctx.get_logits_ith(index);
    let best = logits.iter().enumerate().fold(
        (0usize, f32::NEG_INFINITY),
        |acc, (i, l)| if *l > acc.1 { (i, *l) } else { acc },
    );
    let greedy = LlamaToken::new(best.0 as i32);
    let permits = |t: LlamaToken| allowed.is_none_or(|a| a(t));
    if grammar.is_none() && allowed.is_none() {
        return Some(greedy);
    }
    let mut grammar = grammar;
    if permits(greedy) {
        let single = vec![LlamaTokenData::new(greedy, best.1, 0.0)];
        match grammar.as_deref_mut() {
            None => return Some(greedy),
            Some(g) => {
                if let Some(token) = best_allowed(single, g) {
                    return Some(token);
                }
            }
        }
    }
    let short: Vec<LlamaTokenData> = shortlist(logits).into_iter().filter(|d| permits(d.id())).collect();
    let chosen = match grammar.as_deref_mut() {
        Some(g) => best_allowed(short, g),
        None => short
            .iter()
            .max_by(|a, b| a.logit().total_cmp(&b.logit()))
            .map(|d| d.id()),
    };
    if chosen.is_some() {
        return chosen;
    }
    let mut all = ctx.token_data_array_ith(index);
    if let Some(g) = grammar {
        all.apply_sampler(g);
    }
    all.data
        .iter()
        .filter(|d| d.logit().is_finite() && permits(d.id()))
        .max_by(|a, b| a.logit().total_cmp(&b.logit()))
        .map(|d| d.id())
}

const SHORTLIST: usize = 64;

/// The `SHORTLIST` highest-scoring tokens, in no particular order.
fn shortlist(logits: &[f32]) -> Vec<LlamaTokenData> {
    let mut scored: Vec<(usize, f32)> = logits.iter().copied().enumerate().collect();
    let k = SHORTLIST.min(scored.len());
    if k < scored.len() {
        scored.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(k);
    }
    scored
        .into_iter()
        .map(|(i, logit)| LlamaTokenData::new(LlamaToken::new(i as i32), logit, 0.0))
        .collect()
}

/// The highest-scoring candidate the grammar allows, if any.
fn best_allowed(candidates: Vec<LlamaTokenData>, grammar: &mut LlamaSampler) -> Option<LlamaToken> {
    let mut array = LlamaTokenDataArray::new(candidates, false);
    array.apply_sampler(grammar);
    array
        .data
        .iter()
        .filter(|d| d.logit().is_finite())
        .max_by(|a, b| a.logit().total_cmp(&b.logit()))
        .map(|d| d.id())
}

/// The longest valid UTF-8 prefix of `pending`, leaving an incomplete character for the next token.
pub(super) fn take_utf8(pending: &mut Vec<u8>) -> String {
    let valid = match std::str::from_utf8(pending) {
        Ok(_) => pending.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(e) => e.valid_up_to() + e.error_len().unwrap_or(1),
    };
    let piece = String::from_utf8_lossy(&pending[..valid]).into_owned();
    pending.drain(..valid);
    piece
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_logprob_is_its_softmax_share() {
        let logits = [0.0f32, 3f32.ln(), f32::NEG_INFINITY];
        assert!((token_logprob(&logits, LlamaToken::new(1)) - 0.75f64.ln()).abs() < 1e-6);
        assert!((token_logprob(&logits, LlamaToken::new(0)) - 0.25f64.ln()).abs() < 1e-6);
        assert_eq!(token_logprob(&logits, LlamaToken::new(9)), f64::NEG_INFINITY);
    }

    #[test]
    fn the_shortlist_holds_the_best_tokens() {
        let logits: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 1000) as f32).collect();
        let list = shortlist(&logits);
        assert_eq!(list.len(), SHORTLIST);
        let lowest_kept = list.iter().map(|d| d.logit()).fold(f32::INFINITY, f32::min);
        assert_eq!(lowest_kept, (1000 - SHORTLIST) as f32);
        for d in &list {
            assert_eq!(logits[d.id().0 as usize], d.logit());
        }
        assert_eq!(shortlist(&logits[..10]).len(), 10);
    }

    #[test]
    fn utf8_split_across_tokens_waits_for_the_rest() {
        let mut pending = "é".as_bytes()[..1].to_vec();
        assert_eq!(take_utf8(&mut pending), "");
        pending.push("é".as_bytes()[1]);
        assert_eq!(take_utf8(&mut pending), "é");
        assert!(pending.is_empty());
    }
}
