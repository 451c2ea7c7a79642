//! Training examples as the embedded engine would see them: the prompt through the model's chat
//! template and llama.cpp's tokenizer, exactly as a run tokenizes it (`scheduler::prompt_tokens`),
//! then the answer's tokens and the end-of-turn token the model is to stop with. A trainer fed
//! these ids learns the very sequence it is asked at extraction.

use super::TrainingTokens;
use crate::llm::error::LlmError;
use crate::llm::prompt::Prompt;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use std::path::Path;

/// Each (prompt, answer) of `rows` as token ids, with the model at `path` (only its vocabulary
/// is loaded).
pub fn training_tokens(path: &Path, rows: &[(Prompt, String)]) -> Result<Vec<TrainingTokens>, LlmError> {
    let backend = super::engine::backend().map_err(LlmError::Other)?;
    let params = LlamaModelParams::default().with_vocab_only(true);
    let model = LlamaModel::load_from_file(backend, path, &params).map_err(|_| super::engine::load_error(path))?;
    let end = end_of_turn(&model);
    rows.iter()
        .map(|(prompt, answer)| {
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

/// The token a turn ends with: end-of-turn where the vocabulary has one (chat models:
/// `<|im_end|>`, `<end_of_turn>`), else end-of-sequence. Either stops generation (`is_eog`).
fn end_of_turn(model: &LlamaModel) -> llama_cpp_2::token::LlamaToken {
    let vocab = model.vocab();
    let eot = vocab.eot();
    if eot.0 >= 0 && vocab.is_eog(eot) {
        eot
    } else {
        vocab.eos()
    }
}
