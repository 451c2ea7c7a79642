//! The integration tests, one binary (one link of the crate and llama.cpp instead of one per
//! file). `fast`: suites that need no llama.cpp server, qemu, tmux or network (`cargo
//! test-fast` runs them with the library's own tests); `slow`: the rest, which `./test.sh` sets up
//! for. A new suite is a file in one of the two directories and a line here.

mod common;

mod fast {
    mod bad_rows;
    mod batch_requests;
    mod batch_service;
    mod batch_vllm;
    mod chemistry_checks;
    mod choosing_words;
    mod cli;
    mod compare_view;
    mod curve;
    mod docs_links;
    mod extract_truth;
    mod fidelity;
    mod fidelity_chemsci;
    mod field_editor;
    mod generic_measures;
    mod grounding;
    mod grounding_copy;
    mod keys_per_value;
    mod keys_reference;
    mod layers;
    mod llm_faults;
    mod mode_transitions;
    mod mouse;
    mod no_score;
    mod paper_ids;
    mod paper_tables;
    mod papers;
    mod papers_real;
    mod parsers_prop;
    mod review_queue;
    mod round_trip;
    mod secrets;
    mod setup_scripts;
    mod source_find;
    mod store_export;
    mod text_editor;
    mod train_command;
    mod train_openai;
    mod training_tui;
    mod tui_snapshots;
    mod tui_update;
    mod untrusted;
    mod vllm_adapters;
    mod word_motions;
    mod write_errors;
}

mod slow {
    mod adapter_vs_llama_cpp;
    mod adapters;
    mod adapters_server;
    mod batch_e2e;
    mod cpu_compat;
    mod embedded;
    mod export_styles;
    mod extract_corpus;
    mod llama_server;
    mod models_fetch;
    mod notebook_figures;
    mod readme_commands;
    mod review_e2e;
    mod shipped_adapter;
    mod terminal_e2e;
    mod tmux_correcting;
    mod tmux_e2e;
    mod tmux_mouse;
    mod tmux_training;
    mod train_curve;
    mod train_local;
    mod user_tasks;
}
