//! Continuous batching on the inference thread: up to `slots` sequences decode together in one
//! llama.cpp context (one `decode` per step carries one token of each), each with its own
//! grammar, stop strings, token budget and cancellation; a finished sequence's slot takes the
//! next waiting job at once. A lone run is the same loop with one sequence.

use super::EmbeddedCall;
use super::engine::{Job, load_error, next_token, prompt_text, take_utf8, token_logprob};
use crate::llm::client::Reply;
use crate::llm::error::LlmError;
use crate::llm::finish::FinishReason;
use crate::llm::logprobs::TokenProb;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Instant;

/// What a context was made for: jobs that share it can decode together.
#[derive(Debug, Clone, PartialEq)]
struct ContextKey {
    path: PathBuf,
    gpu_layers: u32,
    /// Tokens per sequence.
    context: u32,
    threads: u32,
    slots: u32,
}

impl ContextKey {
    fn of(call: &EmbeddedCall) -> ContextKey {
        ContextKey {
            path: call.path.clone(),
            gpu_layers: call.gpu_layers,
            context: call.context,
            threads: call.threads.max(1),
            slots: call.slots.max(1),
        }
    }

    /// Whether a job can run in a context made for `self` (it may ask for fewer slots).
    fn serves(&self, call: &EmbeddedCall) -> bool {
        let other = ContextKey::of(call);
        other.path == self.path
            && other.gpu_layers == self.gpu_layers
            && other.context == self.context
            && other.threads == self.threads
            && other.slots <= self.slots
    }
}

/// The loaded model (kept for the life of the process: a context borrows it) and a context.
#[derive(Default)]
struct Loaded {
    model: Option<(PathBuf, u32, &'static LlamaModel)>,
    context: Option<(ContextKey, LlamaContext<'static>)>,
}

/// One sequence being generated.
struct Sequence {
    job: Job,
    seq: i32,
    position: usize,
    /// The token sampled last, to feed in the next step.
    next: Option<LlamaToken>,
    batch_index: i32,
    generated: u32,
    pending: Vec<u8>,
    grammar: Option<LlamaSampler>,
    sampler: Option<LlamaSampler>,
    reply: Reply,
    started: Instant,
    finished: Option<Result<(), LlmError>>,
}

/// The inference thread's loop: jobs in, replies out, until the channel closes.
pub(super) fn run(jobs: Receiver<Job>, backend: Result<&'static LlamaBackend, String>) {
    let mut loaded = Loaded::default();
    let mut waiting: VecDeque<Job> = VecDeque::new();
    let mut active: Vec<Sequence> = Vec::new();
    loop {
        if active.is_empty() && waiting.is_empty() {
            match jobs.recv() {
                Ok(job) => waiting.push_back(job),
                Err(_) => return,
            }
        }
        while let Ok(job) = jobs.try_recv() {
            waiting.push_back(job);
        }
        let backend = match &backend {
            Ok(backend) => *backend,
            Err(e) => {
                for job in waiting.drain(..) {
                    let _ = job.reply.send(Err(LlmError::Other(format!(
                        "the embedded engine could not start: {e}"
                    ))));
                }
                continue;
            }
        };
        admit(backend, &mut loaded, &mut waiting, &mut active);
        if active.is_empty() {
            continue;
        }
        if let Some((_, ctx)) = loaded.context.as_mut() {
            let model = loaded
                .model
                .as_ref()
                .map(|(_, _, m)| *m)
                .expect("a context has its model");
            step(model, ctx, &mut active);
            retire(ctx, &mut active);
        }
    }
}

/// Starts waiting jobs while slots are free and they fit the loaded context; with nothing
/// running, loads what the next job needs.
fn admit(backend: &LlamaBackend, loaded: &mut Loaded, waiting: &mut VecDeque<Job>, active: &mut Vec<Sequence>) {
    while let Some(job) = waiting.front() {
        let fits = loaded.context.as_ref().is_some_and(|(key, _)| key.serves(&job.call));
        if !fits {
            if !active.is_empty() {
                return;
            }
            if let Err(e) = prepare(backend, loaded, &job.call) {
                let job = waiting.pop_front().expect("front exists");
                let _ = job.reply.send(Err(e));
                continue;
            }
        }
        let slots = loaded.context.as_ref().map_or(1, |(key, _)| key.slots) as usize;
        if active.len() >= slots {
            return;
        }
        let job = waiting.pop_front().expect("front exists");
        let seq = (0..slots as i32)
            .find(|s| active.iter().all(|a| a.seq != *s))
            .expect("a free slot");
        let (_, ctx) = loaded.context.as_mut().expect("prepared above");
        let model = loaded.model.as_ref().map(|(_, _, m)| *m).expect("prepared above");
        match start(model, ctx, job, seq) {
            Ok(sequence) => active.push(sequence),
            Err(failed) => {
                let (job, e) = *failed;
                let _ = ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
                let _ = job.reply.send(Err(e));
            }
        }
    }
}

/// Loads the model (if another) and makes a context for `call` with its slots.
fn prepare(backend: &LlamaBackend, loaded: &mut Loaded, call: &EmbeddedCall) -> Result<(), LlmError> {
    let key = ContextKey::of(call);
    let same_model = loaded
        .model
        .as_ref()
        .is_some_and(|(path, layers, _)| *path == key.path && *layers == key.gpu_layers);
    loaded.context = None;
    if !same_model {
        loaded.model = None;
        let started = Instant::now();
        let params = LlamaModelParams::default().with_n_gpu_layers(key.gpu_layers);
        let model = LlamaModel::load_from_file(backend, &key.path, &params).map_err(|_| load_error(&key.path))?;
        tracing::info!(
            "loaded {} in {:.0} ms",
            key.path.display(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        loaded.model = Some((key.path.clone(), key.gpu_layers, Box::leak(Box::new(model))));
    }
    let model = loaded.model.as_ref().map(|(_, _, m)| *m).expect("loaded above");
    let threads = key.threads as i32;
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(key.context.saturating_mul(key.slots)))
        .with_n_batch(batch_size(&key) as u32)
        .with_n_seq_max(key.slots)
        .with_kv_unified(true)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let ctx = model
        .new_context(backend, params)
        .map_err(|e| LlmError::Other(format!("llama.cpp context: {e}")))?;
    loaded.context = Some((key, ctx));
    Ok(())
}

fn batch_size(key: &ContextKey) -> usize {
    (key.context.min(2048) as usize).max(key.slots as usize)
}

/// Reads the prompt into the sequence's cache and samples its first token.
fn start(model: &LlamaModel, ctx: &mut LlamaContext, job: Job, seq: i32) -> Result<Sequence, Box<(Job, LlmError)>> {
    let started = Instant::now();
    let call = &job.call;
    let text = match prompt_text(model, &call.prompt) {
        Ok(text) => text,
        Err(e) => return Err(Box::new((job, e))),
    };
    let tokens = model.vocab().tokenize(text.as_bytes(), true, true);
    if tokens.len() as u32 + call.max_tokens > call.context {
        let message = format!(
            "the prompt has {} tokens and up to {} may be generated, more than the context of {}; raise `context` (or lower `max_tokens`) in the profile",
            tokens.len(),
            call.max_tokens,
            call.context
        );
        return Err(Box::new((job, LlmError::ContextTooLong { message })));
    }
    let chunk = (call.context.min(2048) as usize).max(1);
    let mut batch = LlamaBatch::new(chunk, 1);
    let last = tokens.len().saturating_sub(1);
    for (chunk_index, piece) in tokens.chunks(chunk).enumerate() {
        batch.clear();
        for (offset, token) in piece.iter().enumerate() {
            let i = chunk_index * chunk + offset;
            if let Err(e) = batch.add(*token, i as i32, &[seq], i == last) {
                return Err(Box::new((job, LlmError::Other(format!("batch: {e}")))));
            }
        }
        if let Err(e) = ctx.decode(&mut batch) {
            return Err(Box::new((job, LlmError::Other(format!("llama.cpp decode: {e}")))));
        }
    }
    let grammar = match &call.grammar {
        Some(g) => match LlamaSampler::grammar(model, g, "root") {
            Ok(sampler) => Some(sampler),
            Err(e) => return Err(Box::new((job, LlmError::Other(format!("the schema's grammar: {e}"))))),
        },
        None => None,
    };
    let sampler = (call.temperature > 0.0)
        .then(|| LlamaSampler::chain_simple([LlamaSampler::temp(call.temperature as f32), LlamaSampler::dist(1234)]));
    let reply = Reply {
        prompt_tokens: Some(tokens.len() as u64),
        attempts: 1,
        finish_reason: Some(FinishReason::Length),
        ..Reply::default()
    };
    let mut sequence = Sequence {
        job,
        seq,
        position: tokens.len(),
        next: None,
        batch_index: batch.n_tokens() - 1,
        generated: 0,
        pending: Vec::new(),
        grammar,
        sampler,
        reply,
        started,
        finished: None,
    };
    sample(model, ctx, &mut sequence);
    Ok(sequence)
}

/// One decode for every running sequence's last token, then each samples its next.
fn step(model: &LlamaModel, ctx: &mut LlamaContext, active: &mut [Sequence]) {
    let mut batch = LlamaBatch::new(active.len().max(1), 1);
    for sequence in active.iter_mut().filter(|s| s.finished.is_none()) {
        if sequence.job.cancel.is_cancelled() {
            sequence.finished = Some(Err(LlmError::Cancelled {
                partial: sequence.reply.text.clone(),
            }));
            continue;
        }
        let Some(token) = sequence.next.take() else { continue };
        if let Err(e) = batch.add(token, sequence.position as i32, &[sequence.seq], true) {
            sequence.finished = Some(Err(LlmError::Other(format!("batch: {e}"))));
            continue;
        }
        sequence.position += 1;
        sequence.batch_index = batch.n_tokens() - 1;
    }
    if batch.n_tokens() == 0 {
        return;
    }
    if let Err(e) = ctx.decode(&mut batch) {
        for sequence in active.iter_mut().filter(|s| s.finished.is_none()) {
            sequence.finished = Some(Err(LlmError::Other(format!("llama.cpp decode: {e}"))));
        }
        return;
    }
    for sequence in active.iter_mut().filter(|s| s.finished.is_none()) {
        sample(model, ctx, sequence);
    }
}

/// Samples the sequence's next token from its logits and takes it in: the end of generation, a
/// stop string, the token budget, or the token to feed next.
fn sample(model: &LlamaModel, ctx: &LlamaContext, sequence: &mut Sequence) {
    let vocab = model.vocab();
    let index = sequence.batch_index;
    let token = next_token(ctx, index, sequence.grammar.as_mut(), sequence.sampler.as_mut());
    let logprob = token_logprob(ctx.get_logits_ith(index), token);
    if let Some(g) = sequence.grammar.as_mut() {
        g.accept(token);
    }
    let reply = &mut sequence.reply;
    if vocab.is_eog(token) {
        reply.finish_reason = Some(FinishReason::Stop);
        sequence.finished = Some(Ok(()));
        return;
    }
    sequence.generated += 1;
    let bytes = vocab.token_to_piece(token, false, None);
    reply.tokens.push(TokenProb {
        bytes: bytes.clone(),
        logprob,
    });
    sequence.pending.extend(bytes);
    let piece = take_utf8(&mut sequence.pending);
    if !piece.is_empty() {
        reply
            .time_to_first_token
            .get_or_insert_with(|| sequence.started.elapsed());
        reply.text.push_str(&piece);
        reply.pieces += 1;
        if let Some(tx) = &sequence.job.pieces {
            let _ = tx.send(piece);
        }
    }
    let call = &sequence.job.call;
    if let Some(at) = call
        .stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| reply.text.find(s.as_str()))
        .min()
    {
        reply.text.truncate(at);
        reply.finish_reason = Some(FinishReason::Stop);
        sequence.finished = Some(Ok(()));
        return;
    }
    if sequence.generated >= call.max_tokens {
        sequence.finished = Some(Ok(()));
        return;
    }
    sequence.next = Some(token);
}

/// Replies for the sequences that finished and frees their slots.
fn retire(ctx: &mut LlamaContext, active: &mut Vec<Sequence>) {
    let mut index = 0;
    while index < active.len() {
        if active[index].finished.is_none() {
            index += 1;
            continue;
        }
        let mut sequence = active.swap_remove(index);
        let _ = ctx.clear_kv_cache_seq(Some(sequence.seq as u32), None, None);
        let outcome = sequence.finished.take().unwrap_or(Ok(()));
        sequence.reply.completion_tokens = Some(u64::from(sequence.generated));
        let result = outcome.map(|()| sequence.reply);
        let _ = sequence.job.reply.send(result);
    }
}
