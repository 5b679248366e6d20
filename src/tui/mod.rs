//! The terminal workbench: shows core state and sends the core commands; never blocks on the model.
