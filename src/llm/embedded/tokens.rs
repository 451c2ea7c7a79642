//! Training examples as the embedded engine would see them: the prompt through the model's chat
//! template and llama.cpp's tokenizer, exactly as a run tokenizes it (`scheduler::prompt_tokens`),
//! then the answer's tokens and the end-of-turn token the model is to stop with. A trainer fed
//! these ids learns the very sequence it is asked at extraction.

use super::TrainingTokens;
use crate::llm::error::LlmError;
use crate::llm::prompt::Prompt;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::token::LlamaToken;
use std::path::Path;

/// Each (prompt, answer) of `rows` as token ids, with the model at `path` (only its vocabulary
/// is loaded).
pub fn training_tokens(path: &Path, rows: &[(Prompt, String)]) -> Result<Vec<TrainingTokens>, LlmError> {
    let backend = super::engine::backend().map_err(|detail| LlmError::EngineStart { detail })?;
    let params = LlamaModelParams::default().with_vocab_only(true);
    let model = LlamaModel::load_from_file(backend, path, &params).map_err(|_| super::engine::load_error(path))?;
    let (chat_end, plain_end) = (end_of_turn(&model, true), end_of_turn(&model, false));
    rows.iter()
        .map(|(prompt, answer)| {
            let end = match prompt {
                Prompt::Chat { .. } => chat_end,
                Prompt::Completion { .. } => plain_end,
            };
            let text = super::engine::prompt_text(&model, prompt)?;
            let prompt = model.vocab().tokenize(text.as_bytes(), true, true);
            let mut completion = model.vocab().tokenize(answer.as_bytes(), false, false);
            completion.push(end);
            Ok(TrainingTokens {
                prompt: prompt.iter().map(|t| t.0).collect(),
                completion: completion.iter().map(|t| t.0).collect(),
            })
        })
        .collect()
}

/// The prompt's token ids alone, as a run sends them (for checking a training file against it).
pub fn prompt_tokens(path: &Path, prompt: &Prompt) -> Result<Vec<i32>, LlmError> {
    let rows = [(prompt.clone(), String::new())];
    Ok(training_tokens(path, &rows)?.remove(0).prompt)
}

/// The token an answer ends with: the one the chat template puts after an assistant's message
/// when it stops generation (`<|im_end|>`, `<end_of_turn>`, `<|eot_id|>`), else end-of-turn or
/// end-of-sequence, whichever the vocabulary has.
fn end_of_turn(model: &LlamaModel, chat: bool) -> LlamaToken {
    let vocab = model.vocab();
    let from_template = if chat { after_an_answer(model) } else { None };
    from_template.unwrap_or_else(|| {
        let eot = vocab.eot();
        if eot.0 >= 0 && vocab.is_eog(eot) {
            eot
        } else {
            vocab.eos()
        }
    })
}

/// The first token the chat template writes after an assistant's message, if it ends generation.
fn after_an_answer(model: &LlamaModel) -> Option<LlamaToken> {
    const MARK: &str = "RETORT-ANSWER-ENDS-HERE";
    let template = super::engine::chat_template(model)?;
    let chat = vec![
        LlamaChatMessage::new("user".into(), "Q".into()).ok()?,
        LlamaChatMessage::new("assistant".into(), MARK.into()).ok()?,
    ];
    let text = model.apply_chat_template(&template, &chat, false).ok()?;
    let after = &text[text.rfind(MARK)? + MARK.len()..];
    let first = *model.vocab().tokenize(after.as_bytes(), false, true).first()?;
    model.vocab().is_eog(first).then_some(first)
}
