//! `retort train curve`: the Chem. Sci. paper's learning curve on the user's own data. One
//! experiment directory holds the held-out split, a run per nested training subset (started
//! on the chosen backend: all at once on a service, one after another on a trainer that shares
//! a GPU), each registered and measured with `retort extract` on the held-out split, the
//! baseline profile measured the same way, and `retort curve`'s table and plot. Each step is
//! recorded as it ends, so running it again resumes where it stopped.

use super::train::{follow, job_failure};
use super::{config_error, excluded, setup};
use crate::cli::{CorpusArgs, CurveArgs, ExtractArgs, SummaryFormat, TrainBackend, TrainCurveArgs};
use crate::config::Paths;
use crate::dataset::export::parse_shares;
use crate::dataset::store::Store;
use crate::task::Task;
use crate::train::experiment::{self, Experiment};
use crate::train::run::{Run, Status};
use anyhow::Result;
use std::time::Duration;

const HELD_OUT: &str = "test";

pub fn curve(paths: &Paths, args: TrainCurveArgs) -> Result<()> {
    let registry = setup(paths).registry;
    let task = registry.require(&args.start.task).map_err(config_error)?;
    if args.start.size.is_some() {
        return Err(config_error("--size is one run's; the experiment's sizes are --sizes"));
    }
    if let Some(baseline) = &args.baseline {
        setup(paths).profiles.require(baseline).map_err(config_error)?;
    }
    let name = args.name.clone().unwrap_or_else(|| format!("{}-curve", task.name));
    let mut exp = opened(paths, task, &args, &name)?;
    let interval = Duration::from_secs_f64(args.interval.max(0.01));
    let sequential = matches!(args.start.backend, TrainBackend::Command | TrainBackend::Local);
    for size in args.sizes.iter().copied() {
        if needs_run(paths, &mut exp, size) {
            let run_args = crate::cli::TrainStartArgs {
                size: Some(size),
                ..args.start.clone()
            };
            crate::stdout::errln!("{name}: starting the run on {size} examples");
            let id = super::train_start::start_run(paths, task, &run_args)?;
            exp.point_mut(size).run = Some(id.clone());
            exp.save(&paths.data).map_err(job_failure)?;
            if sequential {
                trained(paths, &mut exp, size, interval)?;
            }
        }
    }
    for size in args.sizes.iter().copied() {
        trained(paths, &mut exp, size, interval)?;
        measured(paths, &mut exp, Some(size), &args)?;
    }
    if exp.baseline.is_some() {
        measured(paths, &mut exp, None, &args)?;
    }
    drawn(paths, &exp, &args)
}

/// The experiment as recorded, or a new one with its held-out split written.
fn opened(paths: &Paths, task: &Task, args: &TrainCurveArgs, name: &str) -> Result<Experiment> {
    let recorded = Experiment::load(&paths.data, name).map_err(job_failure)?;
    if let Some(mut exp) = recorded {
        if exp.task != task.name || exp.split != args.start.split || exp.seed != args.start.seed {
            return Err(config_error(format!(
                "the experiment {name} in {} was started for task {}, split {}, seed {}: give another --name, or the same options to resume it",
                exp.dir(&paths.data).display(),
                exp.task,
                exp.split,
                exp.seed
            )));
        }
        exp.baseline = args.baseline.clone().or(exp.baseline);
        crate::stdout::errln!("{name}: resuming ({})", exp.dir(&paths.data).display());
        return Ok(exp);
    }
    let shares = parse_shares(&args.start.split).map_err(|e| config_error(format!("--split: {e}")))?;
    let mut exp = Experiment {
        name: name.to_string(),
        task: task.name.clone(),
        backend: format!("{:?}", args.start.backend).to_lowercase(),
        split: args.start.split.clone(),
        seed: args.start.seed,
        test_examples: 0,
        baseline: args.baseline.clone(),
        baseline_predictions: None,
        points: Vec::new(),
        created_at: crate::clock::now(),
    };
    let store = Store::new(paths.examples_dir());
    let exclude = excluded(task, &args.start.exclude)?;
    exp.test_examples = experiment::write_held_out(
        &store,
        task,
        &shares,
        exp.seed,
        &exclude,
        HELD_OUT,
        &exp.test_file(&paths.data),
    )
    .map_err(config_error)?;
    if exp.test_examples == 0 {
        return Err(config_error(format!(
            "the {HELD_OUT} split of --split {} holds no example",
            exp.split
        )));
    }
    exp.save(&paths.data).map_err(job_failure)?;
    Ok(exp)
}

/// Whether the point of `size` has no run yet, or one that failed or was cancelled (it is
/// started anew; the old run's files stay).
fn needs_run(paths: &Paths, exp: &mut Experiment, size: usize) -> bool {
    let Some(id) = exp.point_mut(size).run.clone() else {
        return true;
    };
    match Run::load(&paths.data, &id) {
        Ok(run) if matches!(run.status, Status::Failed | Status::Cancelled) => {
            crate::stdout::errln!(
                "{}: the run on {size} examples ({id}) {}; starting it anew",
                exp.name,
                run.status
            );
            true
        }
        Ok(_) => false,
        Err(_) => true,
    }
}

/// Follows the run of `size` to its end and registers its model as `<experiment>-<size>`.
fn trained(paths: &Paths, exp: &mut Experiment, size: usize, interval: Duration) -> Result<()> {
    let point = exp.point_mut(size).clone();
    if point.profile.is_some() {
        return Ok(());
    }
    let id = point.run.expect("started before it is followed");
    let run = Run::load(&paths.data, &id).map_err(job_failure)?;
    let run = follow(paths, run, interval)?;
    if run.status != Status::Succeeded {
        return Err(anyhow::Error::from(super::Failure {
            code: super::exit::TRAINING_FAILED,
            message: format!(
                "the run on {size} examples ({id}) {}{}; run the experiment again to start it anew and carry on",
                run.status,
                run.error.as_ref().map_or(String::new(), |e| format!(": {e}")),
            ),
        }));
    }
    let profile = match run.profile.clone() {
        Some(profile) => profile,
        None => super::train_register::register(paths, &id, Some(format!("{}-{size}", exp.name)), None, None)?,
    };
    exp.point_mut(size).profile = Some(profile);
    exp.save(&paths.data).map_err(job_failure)?;
    Ok(())
}

/// Runs `retort extract` of the point's profile (the baseline's for `None`) over the held-out
/// split, resuming a file an interrupted measure left.
fn measured(paths: &Paths, exp: &mut Experiment, size: Option<usize>, args: &TrainCurveArgs) -> Result<()> {
    let (profile, done, file) = match size {
        Some(size) => {
            let point = exp.point_mut(size).clone();
            (point.profile, point.predictions, format!("pred-{size}.jsonl"))
        }
        None => (
            exp.baseline.clone(),
            exp.baseline_predictions.clone(),
            "baseline.jsonl".into(),
        ),
    };
    let (Some(profile), None) = (profile, done) else {
        return Ok(());
    };
    let output = exp.dir(&paths.data).join(&file);
    crate::stdout::errln!(
        "{}: measuring {profile} on {} held-out examples",
        exp.name,
        args.test_limit.map_or(exp.test_examples, |n| n.min(exp.test_examples))
    );
    let profile_name = profile.clone();
    let extract = ExtractArgs {
        corpus: CorpusArgs {
            task: exp.task.clone(),
            model: profile,
            input: exp.test_file(&paths.data),
            filter: crate::input::filter::FilterArgs::default(),
            limit: args.test_limit,
            skip: 0,
            grounding: None,
        },
        output: output.clone(),
        concurrency: args.concurrency,
        resume: output.exists(),
        summary: None,
    };
    // Failed or incomplete answers are predictions too (scored as what they are): said, not fatal.
    if let Err(e) = super::extract(paths, extract) {
        match e.downcast_ref::<super::Failure>() {
            Some(failure) if failure.code == super::exit::SOME_FAILED => {
                crate::stdout::errln!("{}: {profile_name}: {}", exp.name, failure.message)
            }
            _ => return Err(e),
        }
    }
    let written = output.display().to_string();
    match size {
        Some(size) => exp.point_mut(size).predictions = Some(written),
        None => exp.baseline_predictions = Some(written),
    }
    exp.save(&paths.data).map_err(job_failure)?;
    Ok(())
}

/// `retort curve` over the measured points: the table, and the plot in the experiment's
/// directory.
fn drawn(paths: &Paths, exp: &Experiment, args: &TrainCurveArgs) -> Result<()> {
    // The series: the base's own name (not its organisation or directory), fine-tuned; the
    // base profile's when the local backend took the base from it.
    let base = match args.start.base() {
        "" => args.start.base_profile.as_deref().unwrap_or("base"),
        given => given.trim_end_matches('/'),
    };
    let short = base.rsplit('/').next().unwrap_or(base);
    let model = format!("{}-ft", short.replace(['@', '='], "_"));
    let mut points: Vec<String> = exp
        .points
        .iter()
        .filter_map(|p| Some(format!("{model}@{}={}", p.size, p.predictions.as_ref()?)))
        .collect();
    if let (Some(name), Some(file)) = (&exp.baseline, &exp.baseline_predictions) {
        points.push(format!("{}={file}", name.replace(['@', '='], "_")));
    }
    super::curve(
        paths,
        CurveArgs {
            task: exp.task.clone(),
            gold: Some(exp.test_file(&paths.data)),
            measure: String::new(),
            out: exp.dir(&paths.data).join("curve"),
            format: SummaryFormat::Table,
            generic: false,
            points,
        },
    )
}
