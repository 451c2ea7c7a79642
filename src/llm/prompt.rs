//! Building the prompt for a paragraph in each prompting mode.
//!
//! - zero-shot: the task's instruction and the paragraph;
//! - few-shot: the instruction, up to k worked examples (saved corrections first, then the given
//!   pool) that fit the context, and the paragraph; the paragraph is never cut;
//! - fine-tuned: exactly the task's fine-tuned template (chat with a system message, or a raw
//!   completion prompt with the NERRE separators).

use super::profile::{Mode, ModelProfile, ShotChoice};
use crate::task::{ChatMessage, FineTunedStyle, Task};
use serde::{Deserialize, Serialize};

/// The worked examples few-shot prompts draw on, and where they came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pool {
    pub task: String,
    pub shots: Vec<Shot>,
    pub origin: PoolOrigin,
    /// The examples file as it was when read, to notice another process adding to it.
    stamp: Option<FileStamp>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum PoolOrigin {
    #[default]
    None,
    /// The user's saved examples (corrections, reviews, imports), newest first.
    Saved(std::path::PathBuf),
    /// No saved examples yet: the worked examples shipped with Retort for a built-in task.
    Shipped { collection: String },
}

/// Length and modification time of a file: an append changes the first, a rewrite the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp(u64, Option<std::time::SystemTime>);

fn stamp(path: &std::path::Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(FileStamp(meta.len(), meta.modified().ok()))
}

impl Pool {
    pub const EMPTY: Pool = Pool {
        task: String::new(),
        shots: Vec::new(),
        origin: PoolOrigin::None,
        stamp: None,
    };

    pub fn from_shots(shots: Vec<Shot>) -> Pool {
        Pool {
            shots,
            ..Pool::default()
        }
    }

    /// Where `used` of these examples came from, for the run record and the inspector.
    pub fn describe(&self, used: usize) -> String {
        let of = format!("{used} of {}", self.shots.len());
        match &self.origin {
            PoolOrigin::None if self.shots.is_empty() => "none".into(),
            _ if self.shots.is_empty() => {
                "none: no saved examples of this task yet, and Retort ships none for it".into()
            }
            PoolOrigin::None => format!("{of} worked examples given by the caller"),
            PoolOrigin::Saved(path) => format!("{of} saved examples, from {}", path.display()),
            PoolOrigin::Shipped { collection } => {
                format!("{of} worked examples shipped with Retort ({collection}); your saved examples replace them")
            }
        }
    }
}

/// Few-shot examples of `task`: the saved ones (corrections and imports), newest first, or, when
/// there are none, the worked examples Retort ships for a built-in task.
pub fn few_shot_pool(store: &crate::dataset::store::Store, task: &str) -> Pool {
    let path = store.path(task);
    let stamp = stamp(&path);
    let (examples, _) = store.read(task).unwrap_or_default();
    if examples.is_empty()
        && let Some(shipped) = crate::task::builtin::shipped_examples(task)
    {
        return Pool {
            task: task.to_string(),
            shots: shipped
                .shots
                .into_iter()
                .map(|(input, output)| Shot { input, output })
                .collect(),
            origin: PoolOrigin::Shipped {
                collection: shipped.collection,
            },
            stamp,
        };
    }
    let shots = examples
        .into_iter()
        .rev()
        .map(|e| Shot {
            input: e.paragraph,
            output: e.answer,
        })
        .collect();
    Pool {
        task: task.to_string(),
        shots,
        origin: PoolOrigin::Saved(path),
        stamp,
    }
}

/// The pool read again when `pool` is not `task`'s or its file changed since (another process
/// imported or reviewed); `None` when `pool` is current.
pub fn refreshed_pool(store: &crate::dataset::store::Store, task: &str, pool: &Pool) -> Option<Pool> {
    let current = pool.task == task && pool.origin != PoolOrigin::None && stamp(&store.path(task)) == pool.stamp;
    (!current).then(|| few_shot_pool(store, task))
}

/// What is sent to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Prompt {
    Chat { messages: Vec<ChatMessage> },
    Completion { text: String },
}

impl Prompt {
    /// All the text of the prompt, for hashing and token estimates.
    pub fn text(&self) -> String {
        match self {
            Prompt::Chat { messages } => messages
                .iter()
                .map(|m| format!("{}: {}", m.role, m.content))
                .collect::<Vec<_>>()
                .join("\n"),
            Prompt::Completion { text } => text.clone(),
        }
    }

    /// A short stable hash of the prompt (FNV-1a, hex), to tell runs with the same prompt apart.
    pub fn hash(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.text().bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{hash:016x}")
    }
}

/// A worked example for few-shot prompts: a paragraph and its answer in canonical text.
#[derive(Debug, Clone, PartialEq)]
pub struct Shot {
    pub input: String,
    pub output: String,
}

/// A prompt with what the model should stop at.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltPrompt {
    pub prompt: Prompt,
    pub stop: Vec<String>,
    pub shots_used: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    #[error(
        "the paragraph needs about {needed} tokens with the instruction and reply, but the model's context is {context}; use a model with a longer context or split the paragraph"
    )]
    TooLong { needed: usize, context: usize },
}

/// A rough token count (about four characters a token), enough to choose how many examples fit.
pub fn approx_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

pub fn build(task: &Task, profile: &ModelProfile, paragraph: &str, pool: &[Shot]) -> Result<BuiltPrompt, PromptError> {
    let budget = profile.context.saturating_sub(profile.max_tokens as usize);
    match profile.mode {
        Mode::FineTuned => {
            let template = &task.prompt.fine_tuned;
            let prompt = match template.style {
                FineTunedStyle::Chat => Prompt::Chat {
                    messages: template.messages(paragraph),
                },
                FineTunedStyle::Completion => Prompt::Completion {
                    text: template.prompt_text(paragraph),
                },
            };
            check_fits(&prompt, budget, profile.context)?;
            Ok(BuiltPrompt {
                prompt,
                stop: template.stop.clone(),
                shots_used: 0,
            })
        }
        Mode::ZeroShot | Mode::FewShot => {
            let instruction = task.prompt.instruction.trim_end();
            let query = task.prompt.query_text(paragraph);
            let fixed = approx_tokens(instruction) + approx_tokens(&query) + 8;
            if fixed > budget {
                return Err(PromptError::TooLong {
                    needed: fixed + profile.max_tokens as usize,
                    context: profile.context,
                });
            }
            let shots = if profile.mode == Mode::FewShot {
                choose_shots(task, pool, paragraph, profile, budget - fixed)
            } else {
                Vec::new()
            };
            Ok(BuiltPrompt {
                prompt: Prompt::Chat {
                    messages: conversation(instruction, shots.iter().copied(), &query, task),
                },
                stop: Vec::new(),
                shots_used: shots.len(),
            })
        }
    }
}

/// Up to `few_shot` examples that fit in `left` tokens (never the paragraph itself): the first
/// in the pool's order (`newest`), or the most like the paragraph, the likest nearest to it
/// (`similar`).
fn choose_shots<'a>(
    task: &Task,
    pool: &'a [Shot],
    paragraph: &str,
    profile: &ModelProfile,
    mut left: usize,
) -> Vec<&'a Shot> {
    let candidates: Vec<&Shot> = pool.iter().filter(|s| s.input.trim() != paragraph.trim()).collect();
    let order: Vec<usize> = match profile.few_shot_select {
        ShotChoice::Newest => (0..candidates.len()).collect(),
        ShotChoice::Similar => {
            let inputs: Vec<&str> = candidates.iter().map(|s| s.input.as_str()).collect();
            super::similar::rank(paragraph, &inputs)
        }
    };
    let mut chosen = Vec::new();
    for shot in order.into_iter().map(|i| candidates[i]) {
        if chosen.len() == profile.few_shot {
            break;
        }
        let cost = approx_tokens(&task.prompt.example_text(&shot.input, &shot.output));
        if cost <= left {
            left -= cost;
            chosen.push(shot);
        }
    }
    if profile.few_shot_select == ShotChoice::Similar {
        chosen.reverse();
    }
    chosen
}

/// The instruction in the first user turn, then each worked example as a user turn (its
/// paragraph) answered by an assistant turn (its answer), then the paragraph. Small chat models
/// follow examples given as turns far better than examples written inside one message.
fn conversation<'a>(
    instruction: &str,
    shots: impl Iterator<Item = &'a Shot>,
    query: &str,
    task: &Task,
) -> Vec<ChatMessage> {
    let mut messages = Vec::new();
    for shot in shots {
        messages.push(ChatMessage::new("user", task.prompt.query_text(&shot.input)));
        messages.push(ChatMessage::new("assistant", shot.output.clone()));
    }
    messages.push(ChatMessage::new("user", query.to_string()));
    let first = &mut messages[0].content;
    *first = format!("{instruction}\n{first}");
    messages
}

fn check_fits(prompt: &Prompt, budget: usize, context: usize) -> Result<(), PromptError> {
    let needed = approx_tokens(&prompt.text());
    if needed > budget {
        return Err(PromptError::TooLong {
            needed: needed + (context - budget),
            context,
        });
    }
    Ok(())
}

/// The answer inside a reply: the template's prefix and anything from a stop string on removed,
/// and for prompt-only modes a surrounding Markdown code fence dropped.
pub fn answer_from_reply(task: &Task, mode: Mode, raw: &str) -> String {
    let template = &task.prompt.fine_tuned;
    let mut text = raw;
    for stop in template
        .stop
        .iter()
        .chain(std::iter::once(&template.answer_suffix))
        .filter(|s| !s.is_empty())
    {
        if let Some(at) = text.find(stop.as_str()) {
            text = &text[..at];
        }
    }
    if mode == Mode::FineTuned {
        let text = text.strip_prefix(template.answer_prefix.as_str()).unwrap_or(text);
        return restore_final_newline(task, text);
    }
    let trimmed = text.trim();
    let unfenced = trimmed
        .strip_prefix("```")
        .map(|rest| rest.split_once('\n').map_or(rest, |(_, body)| body))
        .and_then(|body| body.trim_end().strip_suffix("```"))
        .unwrap_or(trimmed);
    restore_final_newline(task, unfenced.trim())
}

/// The doping sentences end every statement with a newline; models often drop the last one.
fn restore_final_newline(task: &Task, text: &str) -> String {
    if matches!(task.format, crate::format::Format::DopingEnglish) && !text.is_empty() && !text.ends_with('\n') {
        return format!("{}\n", text.trim_end());
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Registry;

    fn profile(mode: Mode, context: usize) -> ModelProfile {
        let mut p =
            super::super::profile::parse("[[model]]\nname = \"t\"\nengine = \"openai\"\nbase_url = \"http://x\"\n")
                .unwrap()
                .remove(0);
        p.mode = mode;
        p.context = context;
        p.max_tokens = 100;
        p
    }

    #[test]
    fn similar_few_shot_takes_the_likest_examples_likest_last() {
        let registry = Registry::builtin();
        let task = registry.get("compound").unwrap();
        let shot = |input: &str, output: &str| Shot {
            input: input.into(),
            output: output.into(),
        };
        let pool = vec![
            shot("Water was added to the flask.", "Water"),
            shot("Copper nitrate was dissolved in DMF.", "Copper nitrate | DMF"),
            shot("The filtrate was concentrated.", "none"),
            shot(
                "Zinc nitrate and DMF were heated in an autoclave.",
                "Zinc nitrate | DMF",
            ),
        ];
        let mut similar = profile(Mode::FewShot, 4000);
        similar.few_shot = 2;
        similar.few_shot_select = ShotChoice::Similar;
        let paragraph = "Cobalt nitrate in DMF was heated in an autoclave.";
        let built = build(task, &similar, paragraph, &pool).unwrap();
        let Prompt::Chat { messages } = &built.prompt else {
            panic!("chat")
        };
        let answers: Vec<&str> = messages
            .iter()
            .filter(|m| m.role == "assistant")
            .map(|m| m.content.as_str())
            .collect();
        assert_eq!(answers, ["Copper nitrate | DMF", "Zinc nitrate | DMF"]);
        similar.few_shot_select = ShotChoice::Newest;
        let built = build(task, &similar, paragraph, &pool).unwrap();
        let Prompt::Chat { messages } = &built.prompt else {
            panic!("chat")
        };
        assert_eq!(messages[1].content, "Water", "newest: the pool's order");
    }

    #[test]
    fn few_shot_takes_what_fits_and_skips_the_paragraph_itself() {
        let registry = Registry::builtin();
        let task = registry.get("compound").unwrap();
        let pool = vec![
            Shot {
                input: "Water was added.".into(),
                output: "Water".into(),
            },
            Shot {
                input: "The paragraph.".into(),
                output: "x".into(),
            },
            Shot {
                input: "long ".repeat(2000),
                output: "y".into(),
            },
            Shot {
                input: "THF was used.".into(),
                output: "THF".into(),
            },
        ];
        let built = build(task, &profile(Mode::FewShot, 1000), "The paragraph.", &pool).unwrap();
        assert_eq!(built.shots_used, 2);
        let Prompt::Chat { messages } = &built.prompt else {
            panic!("chat")
        };
        let turns: Vec<(&str, &str)> = messages.iter().map(|m| (m.role.as_str(), m.content.as_str())).collect();
        let instruction = task.prompt.instruction.trim_end();
        assert_eq!(
            turns,
            vec![
                (
                    "user",
                    format!("{instruction}\nInput:\nWater was added.\nOutput:\n").as_str()
                ),
                ("assistant", "Water"),
                ("user", "Input:\nTHF was used.\nOutput:\n"),
                ("assistant", "THF"),
                ("user", "Input:\nThe paragraph.\nOutput:\n"),
            ]
        );
        assert!(!built.prompt.text().contains("long long"));
    }

    fn saved(task: &str, paragraph: &str, answer: &str) -> crate::dataset::store::SavedExample {
        crate::dataset::store::SavedExample {
            id: crate::dataset::store::new_id(),
            task: task.into(),
            paragraph: paragraph.into(),
            answer: answer.into(),
            extraction: crate::extraction::Extraction::default(),
            runs: Vec::new(),
            saved_at: crate::clock::now(),
            provenance: "test".into(),
            source_id: None,
        }
    }

    #[test]
    fn a_fresh_install_draws_on_the_shipped_examples_until_the_user_saves_some() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::dataset::store::Store::new(dir.path());
        let pool = few_shot_pool(&store, "compound");
        assert!(pool.shots.len() >= 3, "shipped examples: {}", pool.shots.len());
        assert!(matches!(pool.origin, PoolOrigin::Shipped { .. }));
        assert!(pool.describe(3).contains("shipped with Retort"), "{}", pool.describe(3));
        assert!(
            pool.describe(3).contains("chemsci2024/compound/"),
            "{}",
            pool.describe(3)
        );
        // A user task has none shipped: the pool is empty and says so.
        assert!(few_shot_pool(&store, "my-task").shots.is_empty());

        // Another process (an import, a review in another terminal) saves an example.
        let other = crate::dataset::store::Store::new(dir.path());
        other.append(&saved("compound", "Water was added.", "Water")).unwrap();
        let fresh = refreshed_pool(&store, "compound", &pool).expect("the change is noticed");
        assert_eq!(fresh.origin, PoolOrigin::Saved(store.path("compound")));
        assert_eq!(
            fresh.shots,
            vec![Shot {
                input: "Water was added.".into(),
                output: "Water".into()
            }]
        );
        assert_eq!(
            refreshed_pool(&store, "compound", &fresh),
            None,
            "nothing changed since"
        );

        other.append(&saved("compound", "THF was used.", "THF")).unwrap();
        let newer = refreshed_pool(&store, "compound", &fresh).expect("a second append is noticed");
        assert_eq!(newer.shots[0].input, "THF was used.", "newest first");
        // A pool of another task is never current.
        assert!(refreshed_pool(&store, "nmr", &newer).is_some());
    }

    #[test]
    fn the_paragraph_is_never_cut() {
        let registry = Registry::builtin();
        let task = registry.get("compound").unwrap();
        let err = build(task, &profile(Mode::ZeroShot, 300), &"word ".repeat(1000), &[]).unwrap_err();
        assert!(matches!(err, PromptError::TooLong { .. }));
    }

    #[test]
    fn fine_tuned_completion_uses_the_nerre_template() {
        let registry = Registry::builtin();
        let task = registry.get("general-materials").unwrap();
        let built = build(task, &profile(Mode::FineTuned, 4096), "Abstract.", &[]).unwrap();
        assert_eq!(
            built.prompt,
            Prompt::Completion {
                text: "Abstract.\n\n###\n\n".into()
            }
        );
        assert_eq!(built.stop, vec!["\n\nEND\n\n".to_string()]);
        assert_eq!(answer_from_reply(task, Mode::FineTuned, " []\n\nEND\n\n"), "[]");
    }

    #[test]
    fn replies_lose_fences_and_stop_marks() {
        let registry = Registry::builtin();
        let nmr = registry.get("nmr").unwrap();
        assert_eq!(
            answer_from_reply(nmr, Mode::FewShot, "```json\n{\"IUPAC\":\"x\"}\n```\n"),
            "{\"IUPAC\":\"x\"}"
        );
        let compound = registry.get("compound").unwrap();
        assert_eq!(answer_from_reply(compound, Mode::FineTuned, "a | b!!! </s>"), "a | b");
        let doping = registry.get("doping-eng").unwrap();
        assert_eq!(
            answer_from_reply(doping, Mode::FineTuned, " The host 'A' was doped.\nEND"),
            "The host 'A' was doped.\n"
        );
    }
}
