//! The llama.cpp side of the embedded engine: one inference thread that owns the backend and
//! the loaded model, and takes generation jobs from a channel.

use super::EmbeddedCall;
use crate::llm::client::Reply;
use crate::llm::error::LlmError;
use crate::llm::finish::FinishReason;
use crate::llm::logprobs::TokenProb;
use crate::llm::prompt::Prompt;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::mpsc::{Sender, channel};
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

struct Job {
    call: EmbeddedCall,
    pieces: Option<UnboundedSender<String>>,
    cancel: CancellationToken,
    reply: oneshot::Sender<Result<Reply, LlmError>>,
}

static WORKER: OnceLock<Sender<Job>> = OnceLock::new();

fn worker() -> &'static Sender<Job> {
    WORKER.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        std::thread::Builder::new()
            .name("retort-inference".into())
            .spawn(move || {
                let backend = super::backends::ensure_loaded()
                    .map_err(|e| e.to_string())
                    .and_then(|_| LlamaBackend::init().map_err(|e| e.to_string()));
                let mut cache = Cache::default();
                for job in rx {
                    let result = match &backend {
                        Ok(backend) => run_job(backend, &mut cache, &job),
                        Err(e) => Err(LlmError::Other(format!("the embedded engine could not start: {e}"))),
                    };
                    let _ = job.reply.send(result);
                }
            })
            .expect("spawning the inference thread");
        tx
    })
}

pub async fn submit(
    call: EmbeddedCall,
    pieces: Option<UnboundedSender<String>>,
    cancel: CancellationToken,
) -> Result<Reply, LlmError> {
    let (reply, result) = oneshot::channel();
    worker()
        .send(Job {
            call,
            pieces,
            cancel,
            reply,
        })
        .map_err(|_| LlmError::Other("the inference thread has stopped".into()))?;
    result
        .await
        .map_err(|_| LlmError::Other("the inference thread stopped during the run".into()))?
}

/// The loaded model and a context for it, kept between runs. Models live for the rest of the
/// process once loaded (a context borrows its model); switching models is rare, and an unused
/// model costs only its memory.
#[derive(Default)]
struct Cache {
    model: Option<(PathBuf, u32, &'static LlamaModel)>,
    context: Option<((u32, u32), LlamaContext<'static>)>,
}

fn run_job(backend: &LlamaBackend, cache: &mut Cache, job: &Job) -> Result<Reply, LlmError> {
    let call = &job.call;
    let reusable = cache
        .model
        .as_ref()
        .is_some_and(|(path, layers, _)| *path == call.path && *layers == call.gpu_layers);
    if !reusable {
        cache.context = None;
        cache.model = None;
        let started = Instant::now();
        let params = LlamaModelParams::default().with_n_gpu_layers(call.gpu_layers);
        let model = LlamaModel::load_from_file(backend, &call.path, &params).map_err(|_| load_error(&call.path))?;
        tracing::info!(
            "loaded {} in {:.0} ms",
            call.path.display(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        cache.model = Some((call.path.clone(), call.gpu_layers, Box::leak(Box::new(model))));
    }
    let (_, _, model) = cache.model.as_ref().expect("model loaded above");
    let model: &'static LlamaModel = model;
    let key = (call.context, call.threads.max(1));
    if cache.context.as_ref().is_none_or(|(k, _)| *k != key) {
        cache.context = None;
        let threads = key.1 as i32;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(call.context))
            .with_n_batch(batch_size(call) as u32)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = model
            .new_context(backend, params)
            .map_err(|e| LlmError::Other(format!("llama.cpp context: {e}")))?;
        cache.context = Some((key, ctx));
    }
    let (_, ctx) = cache.context.as_mut().expect("context made above");
    ctx.clear_kv_cache();
    generate(model, ctx, job)
}

fn load_error(path: &std::path::Path) -> LlmError {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let arch = llama_cpp_2::gguf::GgufContext::from_file(path).and_then(|g| {
        let index = g.find_key("general.architecture");
        (index >= 0).then(|| g.val_str(index).map(String::from)).flatten()
    });
    match arch {
        None => LlmError::Other(format!(
            "llama.cpp could not read {} ({size} bytes): the file is truncated or corrupt; download it again",
            path.display()
        )),
        Some(arch) => LlmError::Other(format!(
            "llama.cpp could not load {} ({size} bytes, architecture {arch:?}): the file is truncated, or this llama.cpp does not know the architecture; download it again or use a newer retort",
            path.display()
        )),
    }
}

fn prompt_text(model: &LlamaModel, prompt: &Prompt) -> Result<String, LlmError> {
    match prompt {
        Prompt::Completion { text } => Ok(text.clone()),
        Prompt::Chat { messages } => {
            let chat: Vec<LlamaChatMessage> = messages
                .iter()
                .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
                .collect::<Result<_, _>>()
                .map_err(|e| LlmError::Other(format!("a message could not be passed to llama.cpp: {e}")))?;
            let template = model.chat_template(None).map_err(|_| {
                LlmError::Other(
                    "the model has no chat template in its GGUF metadata; use a fine-tuned completion profile".into(),
                )
            })?;
            model
                .apply_chat_template(&template, &chat, true)
                .map_err(|e| LlmError::Other(format!("applying the chat template failed: {e}")))
        }
    }
}

fn generate(model: &LlamaModel, ctx: &mut LlamaContext, job: &Job) -> Result<Reply, LlmError> {
    let call = &job.call;
    let started = Instant::now();
    let vocab = model.vocab();
    let text = prompt_text(model, &call.prompt)?;
    let tokens = vocab.tokenize(text.as_bytes(), true, true);
    let needed = tokens.len() as u32 + call.max_tokens;
    if needed > call.context {
        return Err(LlmError::ContextTooLong {
            message: format!(
                "the prompt has {} tokens and up to {} may be generated, more than the context of {}; raise `context` (or lower `max_tokens`) in the profile",
                tokens.len(),
                call.max_tokens,
                call.context
            ),
        });
    }
    let size = batch_size(call);
    let mut batch = LlamaBatch::new(size, 1);
    let last = tokens.len().saturating_sub(1);
    for (chunk_index, chunk) in tokens.chunks(size).enumerate() {
        batch.clear();
        for (offset, token) in chunk.iter().enumerate() {
            let i = chunk_index * size + offset;
            add(&mut batch, *token, i, i == last)?;
        }
        decode(ctx, &mut batch)?;
    }
    let mut grammar = match &call.grammar {
        Some(g) => Some(
            LlamaSampler::grammar(model, g, "root")
                .map_err(|e| LlmError::Other(format!("the schema's grammar: {e}")))?,
        ),
        None => None,
    };
    let mut sampler = if call.temperature > 0.0 {
        Some(LlamaSampler::chain_simple([
            LlamaSampler::temp(call.temperature as f32),
            LlamaSampler::dist(1234),
        ]))
    } else {
        None
    };
    let mut reply = Reply {
        prompt_tokens: Some(tokens.len() as u64),
        attempts: 1,
        ..Reply::default()
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut position = tokens.len();
    let mut logits_index = batch.n_tokens() - 1;
    let mut generated = 0u32;
    reply.finish_reason = Some(FinishReason::Length);
    while generated < call.max_tokens {
        if job.cancel.is_cancelled() {
            return Err(LlmError::Cancelled { partial: reply.text });
        }
        let token = next_token(ctx, logits_index, grammar.as_mut(), sampler.as_mut());
        let logprob = token_logprob(ctx.get_logits_ith(logits_index), token);
        if let Some(g) = grammar.as_mut() {
            g.accept(token);
        }
        if vocab.is_eog(token) {
            reply.finish_reason = Some(FinishReason::Stop);
            break;
        }
        generated += 1;
        let bytes = vocab.token_to_piece(token, false, None);
        reply.tokens.push(TokenProb {
            bytes: bytes.clone(),
            logprob,
        });
        pending.extend(bytes);
        let piece = take_utf8(&mut pending);
        if !piece.is_empty() {
            reply.time_to_first_token.get_or_insert_with(|| started.elapsed());
            reply.text.push_str(&piece);
            reply.pieces += 1;
            if let Some(tx) = &job.pieces {
                let _ = tx.send(piece);
            }
        }
        if let Some(at) = call
            .stop
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| reply.text.find(s.as_str()))
            .min()
        {
            reply.text.truncate(at);
            reply.finish_reason = Some(FinishReason::Stop);
            break;
        }
        batch.clear();
        add(&mut batch, token, position, true)?;
        position += 1;
        decode(ctx, &mut batch)?;
        logits_index = batch.n_tokens() - 1;
    }
    reply.completion_tokens = Some(u64::from(generated));
    Ok(reply)
}

/// The model's own log-probability of `token` (softmax over the raw logits, before any grammar
/// or sampler): what the value confidences are made of.
fn token_logprob(logits: &[f32], token: LlamaToken) -> f64 {
    let Some(&chosen) = logits.get(token.0 as usize) else {
        return f64::NEG_INFINITY;
    };
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|l| f64::from(l - max).exp()).sum();
    f64::from(chosen - max) - sum.ln()
}

fn add(batch: &mut LlamaBatch, token: LlamaToken, position: usize, logits: bool) -> Result<(), LlmError> {
    batch
        .add(token, position as i32, &[0], logits)
        .map_err(|e| LlmError::Other(format!("batch: {e}")))
}

fn decode(ctx: &mut LlamaContext, batch: &mut LlamaBatch) -> Result<(), LlmError> {
    ctx.decode(batch)
        .map_err(|e| LlmError::Other(format!("llama.cpp decode: {e}")))
}

fn batch_size(call: &EmbeddedCall) -> usize {
    call.context.min(2048) as usize
}

/// The next token. With a grammar, the greedy choice is checked first, then the best
/// `SHORTLIST` tokens, and the whole vocabulary is filtered only when the grammar rejects them
/// all: filtering 49k candidates costs 4-9 ms, the shortlist 0.2-0.6 ms (measured). The result is
/// the same as filtering first: the best allowed token.
fn next_token(
    ctx: &llama_cpp_2::context::LlamaContext,
    index: i32,
    grammar: Option<&mut LlamaSampler>,
    sampler: Option<&mut LlamaSampler>,
) -> LlamaToken {
    if let Some(sampler) = sampler {
        let mut candidates = ctx.token_data_array_ith(index);
        if let Some(g) = grammar {
            candidates.apply_sampler(g);
        }
        candidates.apply_sampler(sampler);
        return candidates
            .selected_token()
            .unwrap_or_else(|| candidates.sample_token_greedy());
    }
    let logits = ctx.get_logits_ith(index);
    let best = logits.iter().enumerate().fold(
        (0usize, f32::NEG_INFINITY),
        |acc, (i, l)| if *l > acc.1 { (i, *l) } else { acc },
    );
    let greedy = LlamaToken::new(best.0 as i32);
    let Some(g) = grammar else { return greedy };
    let single = vec![LlamaTokenData::new(greedy, best.1, 0.0)];
    if let Some(token) = best_allowed(single, g) {
        return token;
    }
    if let Some(token) = best_allowed(shortlist(logits), g) {
        return token;
    }
    let mut all = ctx.token_data_array_ith(index);
    all.apply_sampler(g);
    all.sample_token_greedy()
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
fn take_utf8(pending: &mut Vec<u8>) -> String {
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
