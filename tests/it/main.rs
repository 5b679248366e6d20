//! The integration tests, in one test binary (one link of mistral.rs instead of one per file):
//! the command line on bad input and on sessions built on disk, the real default model (loading,
//! generation, option probabilities, the whole pipeline, A/B runs, kill and resume), real
//! llama.cpp servers on loopback and failing fakes, the patched kernels, the export loaded by
//! Hugging Face `datasets`, the fuzzing corpus, and the workbench driven in tmux. Tests that run
//! a model or a server take turns ([`support::heavy`]).

mod support;

mod ab_real_model;
mod arena_real_model;
mod bad_inputs;
mod cli;
mod cli_real_model;
mod eval_real_model;
mod export_loads_in_datasets;
mod fuzz_corpus;
mod in_flight_real_model;
mod in_flight_scheduler;
mod kill_resume;
mod llama_server;
mod llama_server_runs;
mod option_logits;
mod patched_attention;
mod patched_kernels;
mod patched_row_workers;
mod patched_sampler;
mod quality_real_model;
mod real_model;
mod real_model_cache_capacity;
mod requantized_model;
mod server_faults;
mod shipped_data;
mod storage_faults;
mod tmux_arena;
mod tmux_e2e;
