//! Training recipes written beside the exported data: YAML configs for TRL's `trl sft` and
//! `trl dpo` commands, modelled on the alignment-handbook recipes of the open Constitutional AI
//! reproduction (SFT on the revisions, then DPO from the SFT model on the preference pairs),
//! with the keys TRL [`TRL_VERSION`] reads and the base model taken from the session's policy
//! model where it is known.

use crate::model::ModelInfo;

use super::manifest::ExportManifest;

/// The TRL release the recipes' keys are checked against (`tests/export_loads_in_datasets.rs`).
pub const TRL_VERSION: &str = "1.16.0";
/// The transformers release whose `TrainingArguments` TRL's configs extend, for that check.
pub const TRANSFORMERS_VERSION: &str = "5.24.0";

/// File name of the SFT recipe.
pub const SFT_RECIPE: &str = "sft.yaml";
/// File name of the DPO recipe.
pub const DPO_RECIPE: &str = "dpo.yaml";

/// Where the SFT recipe puts its model, which the DPO recipe starts from.
const SFT_OUTPUT: &str = "sft-model";

/// GGUF files of models whose transformers weights are published under a known name: the
/// file name's stem (before the quantization suffix) and the repository of the weights.
const KNOWN_MODELS: &[(&str, &str)] = &[
    (
        "SmolLM2-135M-Instruct",
        "HuggingFaceTB/SmolLM2-135M-Instruct",
    ),
    (
        "SmolLM2-360M-Instruct",
        "HuggingFaceTB/SmolLM2-360M-Instruct",
    ),
    (
        "SmolLM2-1.7B-Instruct",
        "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    ),
];

/// The transformers model a GGUF policy model was converted from, when it is one we know.
pub fn base_model(policy: &ModelInfo) -> Option<&'static str> {
    let file = policy.id.rsplit(['/', '\\']).next().unwrap_or(&policy.id);
    KNOWN_MODELS
        .iter()
        .find(|(stem, _)| {
            file.strip_prefix(stem)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-', '_']))
        })
        .map(|(_, repo)| *repo)
}

/// The `model_name_or_path` line: the known base model, or a placeholder that says what to put.
fn model_line(manifest: &ExportManifest) -> String {
    match base_model(&manifest.policy_model) {
        Some(repo) => format!(
            "# The policy model of the session ({}), as transformers weights.\n\
             model_name_or_path: {repo}\n",
            manifest.policy_model.id
        ),
        None => format!(
            "# The session's policy model ({}) is a GGUF file; TRL trains transformers weights:\n\
             # put the name or directory of the model it was converted from here.\n\
             model_name_or_path: REPLACE-WITH-THE-BASE-MODEL\n",
            manifest.policy_model.id
        ),
    }
}

/// The header both recipes share: what it trains and the command that runs it.
fn header(manifest: &ExportManifest, what: &str, command: &str, recipe: &str) -> String {
    format!(
        "# {what} with TRL {TRL_VERSION} on the `{config}` configuration of this directory's\n\
         # dataset (session `{session}`, constitution `{constitution}`). Run in this directory:\n\
         #   {command} --config {recipe}\n\
         # Modelled on the alignment-handbook recipes of the open Constitutional AI reproduction\n\
         # (recipes/constitutional-ai): SFT on the revisions, then DPO on the preference pairs.\n\
         # Sizes are for one GPU with bf16; lower per_device_train_batch_size if memory runs out.\n\n",
        config = if recipe == SFT_RECIPE { "sft" } else { "preferences" },
        session = manifest.session,
        constitution = manifest.constitution.name,
    )
}

/// `dataset_name` for the export directory `dir_name`, as TRL's scripts load it run in that
/// directory: `datasets` needs a path with a name (`"."` has none, and fails).
pub fn dataset_name(dir_name: &str) -> String {
    format!("../{dir_name}")
}

/// The recipe for `trl sft`, for the export directory named `dir_name`.
pub fn sft_recipe(manifest: &ExportManifest, dir_name: &str) -> String {
    let mut out = header(manifest, "Supervised fine-tuning", "trl sft", SFT_RECIPE);
    out.push_str("# Model\n");
    out.push_str(&model_line(manifest));
    let training = format!(
        "output_dir: {SFT_OUTPUT}\n\
         learning_rate: 2.0e-05\n\
         lr_scheduler_type: cosine\n\
         num_train_epochs: 1\n\
         per_device_train_batch_size: 8\n\
         gradient_accumulation_steps: 4\n\
         max_length: 2048\n\
         logging_steps: 5\n"
    );
    data_and_training(&mut out, "sft", dir_name, &training, manifest.seed);
    out
}

/// The recipe for `trl dpo`: from the model the SFT recipe trained, on the preference pairs.
pub fn dpo_recipe(manifest: &ExportManifest, dir_name: &str) -> String {
    let what = "Direct preference optimisation";
    let mut out = header(manifest, what, "trl dpo", DPO_RECIPE);
    out.push_str(&format!(
        "# Model: the one `trl sft --config {SFT_RECIPE}` trained (or the base model, to skip SFT)\n\
         model_name_or_path: {SFT_OUTPUT}\n"
    ));
    let training = "output_dir: dpo-model\n\
                    beta: 0.1\n\
                    learning_rate: 5.0e-07\n\
                    lr_scheduler_type: linear\n\
                    num_train_epochs: 3\n\
                    optim: rmsprop\n\
                    per_device_train_batch_size: 2\n\
                    gradient_accumulation_steps: 1\n\
                    max_length: 1024\n\
                    logging_steps: 10\n";
    data_and_training(&mut out, "preferences", dir_name, training, manifest.seed);
    out
}

/// What both recipes end with: the dtype, the data (configuration `config` of the export
/// directory's dataset card), and the recipe's own `training` keys among the shared ones.
fn data_and_training(out: &mut String, config: &str, dir_name: &str, training: &str, seed: u64) {
    out.push_str(&format!(
        "dtype: bfloat16\n\n\
         # Data: the `{config}` configuration of the dataset card (README.md) of this directory\n\
         dataset_name: {dataset}\n\
         dataset_config: {config}\n\
         dataset_train_split: train\n\n\
         # Training\n\
         {training}\
         bf16: true\n\
         warmup_steps: 0.1\n\
         gradient_checkpointing: true\n\
         eval_strategy: \"no\"\n\
         save_strategy: \"no\"\n\
         report_to: none\n\
         seed: {seed}\n",
        dataset = dataset_name(dir_name),
    ));
}
