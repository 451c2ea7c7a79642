//! Continuous batching on the inference thread: up to `slots` sequences decode together in one
//! llama.cpp context (one `decode` per step carries one token of each), each with its own
//! grammar, stop strings, token budget and cancellation; a finished sequence's slot takes the
//! next waiting job at once. A lone run is the same loop with one sequence. A slot keeps what it
//! read after its job ends; the next prompt reads only what no slot holds yet (`prefix`).

use super::EmbeddedCall;
use super::adapters;
use super::engine::{Allowed, Job, llama, next_token, prompt_text, take_utf8, token_logprob};
use super::prefix::{CHUNK, Held, Plan};
use crate::llm::client::Reply;
use crate::llm::error::LlmError;
use crate::llm::finish::FinishReason;
use crate::llm::grounding::Constraint;
use crate::llm::logprobs::TokenProb;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Instant;

/// What a context was made for: jobs that share it can decode together, and reuse each other's
/// prompt tokens. Whatever changes what a token's cache entry holds (the model file, the LoRA
/// adapter and its scale) must be part of it: another key is another context, or the same
/// context with its cache emptied.
#[derive(Debug, Clone, PartialEq)]
struct ContextKey {
    path: PathBuf,
    gpu_layers: u32,
    /// Tokens per sequence.
    context: u32,
    threads: u32,
    slots: u32,
    lora: Vec<(PathBuf, f32)>,
}

impl ContextKey {
    fn of(call: &EmbeddedCall) -> ContextKey {
        ContextKey {
            path: call.path.clone(),
            gpu_layers: call.gpu_layers,
            context: call.context,
            threads: call.threads.max(1),
            slots: call.slots.max(1),
            lora: call.lora.clone(),
        }
    }

    /// Whether a job can run in a context made for `self` (it may ask for fewer slots).
    fn serves(&self, call: &EmbeddedCall) -> bool {
        self.shape_serves(call) && self.lora == call.lora
    }

    /// Whether the context could run the job after its adapter is switched.
    fn shape_serves(&self, call: &EmbeddedCall) -> bool {
        let other = ContextKey::of(call);
        other.path == self.path
            && other.gpu_layers == self.gpu_layers
            && other.context == self.context
            && other.threads == self.threads
            && other.slots <= self.slots
    }
}

/// The loaded model and a context.
#[derive(Default)]
struct Loaded {
    model: Option<adapters::Model>,
    context: Option<Context>,
    /// Each token's bytes, for the copy rule (made when a job first needs them).
    pieces: Option<Vec<Vec<u8>>>,
}

impl Loaded {
    fn model(&self) -> Option<&'static LlamaModel> {
        self.model.as_ref().map(adapters::Model::shared)
    }
}

/// The bytes of every token of the model, as replies are written with them.
fn token_pieces(model: &LlamaModel) -> Vec<Vec<u8>> {
    let vocab = model.vocab();
    (0..vocab.n_tokens())
        .map(|id| vocab.token_to_piece(LlamaToken::new(id), false, None))
        .collect()
}

/// A context, what it was made for, and the tokens its slots hold (they go with it: a new
/// context, for another model or size, starts with nothing to reuse).
struct Context {
    key: ContextKey,
    ctx: LlamaContext<'static>,
    held: Held,
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
    /// Strict grounding: what the verbatim values may still become.
    copy: Option<Constraint>,
    reply: Reply,
    started: Instant,
    finished: Option<Result<(), LlmError>>,
}

/// The inference thread's loop: jobs in, replies out, until the channel closes.
pub(super) fn run(jobs: Receiver<Job>, backend: Result<&'static LlamaBackend, String>) {
    let mut loaded = Loaded::default();
    let mut waiting: VecDeque<Job> = VecDeque::new();
    let mut active: Vec<Sequence> = Vec::new();
    let mut passed = 0;
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
                    let _ = job.reply.send(Err(LlmError::EngineStart { detail: e.to_string() }));
                }
                continue;
            }
        };
        admit(backend, &mut loaded, &mut waiting, &mut active, &mut passed);
        if active.is_empty() {
            continue;
        }
        if let Some(model) = loaded.model()
            && let Some(context) = loaded.context.as_mut()
        {
            let pieces = loaded.pieces.as_deref().unwrap_or_default();
            step(model, context, pieces, &mut active);
            retire(&mut active);
        }
    }
}

/// How many jobs may start ahead of the oldest waiting one because they fit the context that is
/// there (the same model and adapter decode together) before it gets its turn.
const PASS_LIMIT: u32 = 32;

/// Starts waiting jobs while slots are free, those that fit the loaded context first; with
/// nothing running and nothing fitting, makes the context the oldest job needs.
fn admit(
    backend: &LlamaBackend,
    loaded: &mut Loaded,
    waiting: &mut VecDeque<Job>,
    active: &mut Vec<Sequence>,
    passed: &mut u32,
) {
    while !waiting.is_empty() {
        let Some(index) = next_fitting(loaded, waiting, *passed) else {
            if !active.is_empty() {
                return;
            }
            let front = waiting.front().expect("not empty");
            *passed = 0;
            if let Err(e) = prepare(backend, loaded, &front.call) {
                let job = waiting.pop_front().expect("not empty");
                let _ = job.reply.send(Err(e));
            }
            continue;
        };
        let slots = loaded.context.as_ref().map_or(1, |c| c.key.slots) as usize;
        if active.len() >= slots {
            return;
        }
        let job = waiting.remove(index).expect("found above");
        *passed = if index == 0 { 0 } else { *passed + 1 };
        let free: Vec<usize> = (0..slots)
            .filter(|s| active.iter().all(|a| a.seq != *s as i32))
            .collect();
        let model = loaded.model().expect("a context has its model");
        if job.call.copy.is_some() && loaded.pieces.is_none() {
            loaded.pieces = Some(token_pieces(model));
        }
        let pieces = loaded.pieces.as_deref().unwrap_or_default();
        let context = loaded.context.as_mut().expect("found a job it serves");
        match start(model, context, pieces, job, &free) {
            Ok(sequence) => active.push(sequence),
            Err(failed) => {
                let (job, e) = *failed;
                let _ = job.reply.send(Err(e));
            }
        }
    }
}

/// The first waiting job the loaded context serves; only the oldest once others have passed
/// it `PASS_LIMIT` times.
fn next_fitting(loaded: &Loaded, waiting: &VecDeque<Job>, passed: u32) -> Option<usize> {
    let context = loaded.context.as_ref()?;
    let looked_at = if passed >= PASS_LIMIT { 1 } else { waiting.len() };
    waiting
        .iter()
        .take(looked_at)
        .position(|job| context.key.serves(&job.call))
}

/// Loads the model (if another) and its adapter (if not yet), and makes the context ready for
/// `call`: the one there when it has the shape, with the adapter switched and its cache emptied
/// when the adapter differs; a new one otherwise.
fn prepare(backend: &LlamaBackend, loaded: &mut Loaded, call: &EmbeddedCall) -> Result<(), LlmError> {
    let key = ContextKey::of(call);
    let same_model = loaded
        .model
        .as_ref()
        .is_some_and(|m| m.path == key.path && m.gpu_layers == key.gpu_layers);
    if !same_model {
        loaded.context = None;
        loaded.model = None;
        loaded.pieces = None;
        loaded.model = Some(adapters::Model::load(backend, &key.path, key.gpu_layers)?);
    }
    let model = loaded.model.as_mut().expect("loaded above");
    let wanted = model.effective(&key.lora)?;
    if let Some((path, _)) = &wanted
        && !model.has_adapter(path)
    {
        // The model is changed only while no context borrows it.
        loaded.context = None;
        model.load_adapter(path)?;
    }
    let reuse = loaded.context.as_ref().is_some_and(|c| c.key.shape_serves(call));
    if !reuse {
        loaded.context = None;
        loaded.context = Some(new_context(backend, model.shared(), key.clone())?);
    }
    let context = loaded.context.as_mut().expect("made above");
    if !reuse || context.key.lora != key.lora {
        let started = Instant::now();
        model.apply(&mut context.ctx, &wanted)?;
        // What the cache holds was computed under the other adapter.
        context.ctx.clear_kv_cache();
        context.held.clear_all();
        context.key.lora = key.lora;
        tracing::debug!("adapter switched in {:.2} ms", started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(())
}

fn new_context(backend: &LlamaBackend, model: &'static LlamaModel, key: ContextKey) -> Result<Context, LlmError> {
    let threads = key.threads as i32;
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(key.context.saturating_mul(key.slots)))
        .with_n_batch(batch_size(&key) as u32)
        .with_n_ubatch(batch_size(&key) as u32)
        .with_n_seq_max(key.slots)
        .with_kv_unified(true)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let ctx = model.new_context(backend, params).map_err(|e| llama("context", e))?;
    let held = Held::new(key.slots as usize);
    Ok(Context { key, ctx, held })
}

fn batch_size(key: &ContextKey) -> usize {
    CHUNK.max(key.slots as usize)
}

/// The prompt's tokens, refused when they and the longest reply would not fit the context.
fn prompt_tokens(model: &LlamaModel, call: &EmbeddedCall) -> Result<Vec<LlamaToken>, LlmError> {
    let text = prompt_text(model, &call.prompt)?;
    let tokens = model.vocab().tokenize(text.as_bytes(), true, true);
    if tokens.len() as u32 + call.max_tokens > call.context {
        let message = format!(
            "the prompt has {} tokens and up to {} may be generated, more than the context of {}; raise `context` (or lower `max_tokens`) in the profile",
            tokens.len(),
            call.max_tokens,
            call.context
        );
        return Err(LlmError::ContextTooLong { message });
    }
    Ok(tokens)
}

/// Makes the slot's cache hold what the plan reuses (its own prefix, or a copy of another
/// slot's) and returns how many tokens that is; 0 when the cache would not cut the sequence.
fn carry_out(context: &mut Context, plan: &Plan) -> usize {
    let seq = plan.slot as u32;
    let ctx = &mut context.ctx;
    let kept = match plan.copy_from {
        Some(from) => {
            ctx.clear_kv_cache_seq(Some(seq), None, None).is_ok()
                && ctx
                    .copy_kv_cache_seq(from as i32, seq as i32, None, Some(plan.reuse as u32))
                    .is_ok()
        }
        None => matches!(
            ctx.clear_kv_cache_seq(Some(seq), Some(plan.reuse as u32), None),
            Ok(true)
        ),
    };
    if kept {
        context.held.apply(plan);
        return plan.reuse;
    }
    let _ = ctx.clear_kv_cache_seq(Some(seq), None, None);
    context.held.clear(plan.slot);
    0
}

/// Decodes the prompt's `tokens` from position `from` into sequence `seq`, in batches cut at
/// multiples of `CHUNK` whatever `from` is (see `prefix::ALIGN`); the index of the last
/// token's logits in the last batch.
fn read_prompt(ctx: &mut LlamaContext, tokens: &[LlamaToken], from: usize, seq: i32) -> Result<i32, LlmError> {
    let mut batch = LlamaBatch::new(CHUNK, 1);
    let mut position = from;
    while position < tokens.len() {
        let end = ((position / CHUNK + 1) * CHUNK).min(tokens.len());
        batch.clear();
        for (i, token) in tokens.iter().enumerate().take(end).skip(position) {
            batch
                .add(*token, i as i32, &[seq], i + 1 == tokens.len())
                .map_err(|e| llama("batch", e))?;
        }
        ctx.decode(&mut batch).map_err(|e| llama("decode", e))?;
        position = end;
    }
    Ok(batch.n_tokens() - 1)
}

/// Reads the prompt into a free slot's cache after what the cache already holds of it, and
/// samples its first token.
fn start(
    model: &LlamaModel,
    context: &mut Context,
    pieces: &[Vec<u8>],
    job: Job,
    free: &[usize],
) -> Result<Sequence, Box<(Job, LlmError)>> {
    let started = Instant::now();
    let tokens = match prompt_tokens(model, &job.call) {
        Ok(tokens) => tokens,
        Err(e) => return Err(Box::new((job, e))),
    };
    let ids: Vec<i32> = tokens.iter().map(|t| t.0).collect();
    let plan = if job.call.prompt_cache {
        context.held.plan(&ids, free)
    } else {
        Plan::fresh(free[0])
    };
    let reuse = carry_out(context, &plan);
    let seq = plan.slot as i32;
    let batch_index = match read_prompt(&mut context.ctx, &tokens, reuse, seq) {
        Ok(index) => index,
        Err(e) => {
            let _ = context.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
            context.held.clear(plan.slot);
            return Err(Box::new((job, e)));
        }
    };
    context.held.extend(plan.slot, &ids[reuse..]);
    let call = &job.call;
    let grammar = match &call.grammar {
        Some(g) => match LlamaSampler::grammar(model, g, "root") {
            Ok(sampler) => Some(sampler),
            Err(e) => return Err(Box::new((job, llama("the schema's grammar", e)))),
        },
        None => None,
    };
    let sampler = (call.temperature > 0.0)
        .then(|| LlamaSampler::chain_simple([LlamaSampler::temp(call.temperature as f32), LlamaSampler::dist(1234)]));
    let copy = call.copy.as_ref().map(Constraint::new);
    let reply = Reply {
        prompt_tokens: Some(tokens.len() as u64),
        cached_tokens: Some(reuse as u64),
        attempts: 1,
        finish_reason: Some(FinishReason::Length),
        ..Reply::default()
    };
    let mut sequence = Sequence {
        job,
        seq,
        position: tokens.len(),
        next: None,
        batch_index,
        generated: 0,
        pending: Vec::new(),
        grammar,
        sampler,
        copy,
        reply,
        started,
        finished: None,
    };
    sample(model, &context.ctx, pieces, &mut sequence);
    Ok(sequence)
}

/// One decode for every running sequence's last token, then each samples its next.
fn step(model: &LlamaModel, context: &mut Context, pieces: &[Vec<u8>], active: &mut [Sequence]) {
    let ctx = &mut context.ctx;
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
            sequence.finished = Some(Err(llama("batch", e)));
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
            sequence.finished = Some(Err(llama("decode", &e)));
        }
        // What a failed decode left in the cache is not known: nothing in it is reused.
        ctx.clear_kv_cache();
        context.held.clear_all();
        return;
    }
    for sequence in active.iter_mut().filter(|s| s.finished.is_none()) {
        sample(model, &context.ctx, pieces, sequence);
    }
}

/// Samples the sequence's next token from its logits and takes it in: the end of generation, a
/// stop string, the token budget, or the token to feed next.
fn sample(model: &LlamaModel, ctx: &LlamaContext, pieces: &[Vec<u8>], sequence: &mut Sequence) {
    let vocab = model.vocab();
    let index = sequence.batch_index;
    let copy = sequence.copy.as_ref();
    let permits = |t: LlamaToken| match copy {
        None => true,
        Some(_) if vocab.is_eog(t) => copy.is_some_and(Constraint::allows_end),
        Some(c) => c.allows(pieces.get(t.0 as usize).map_or(&[], Vec::as_slice)),
    };
    let allowed: Allowed<'_> = copy.map(|_| &permits as &dyn Fn(LlamaToken) -> bool);
    let Some(token) = next_token(
        ctx,
        index,
        sequence.grammar.as_mut(),
        sequence.sampler.as_mut(),
        allowed,
    ) else {
        sequence.reply.finish_reason = Some(FinishReason::NoAllowedToken);
        sequence.finished = Some(Ok(()));
        return;
    };
    let logprob = token_logprob(ctx.get_logits_ith(index), token);
    if let Some(g) = sequence.grammar.as_mut() {
        g.accept(token);
    }
    if let Some(c) = sequence.copy.as_mut() {
        c.accept(pieces.get(token.0 as usize).map_or(&[], Vec::as_slice));
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
    if let Some(cut) = crate::llm::repetition::runaway(&reply.text) {
        reply.text.truncate(cut);
        reply.finish_reason = Some(FinishReason::Repetition);
        sequence.finished = Some(Ok(()));
        return;
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

/// Replies for the sequences that finished and frees their slots; what a slot read stays in
/// the cache for the next prompt that starts the same way.
fn retire(active: &mut Vec<Sequence>) {
    let mut index = 0;
    while index < active.len() {
        if active[index].finished.is_none() {
            index += 1;
            continue;
        }
        let mut sequence = active.swap_remove(index);
        let outcome = sequence.finished.take().unwrap_or(Ok(()));
        sequence.reply.completion_tokens = Some(u64::from(sequence.generated));
        let result = outcome.map(|()| sequence.reply);
        let _ = sequence.job.reply.send(result);
    }
}
