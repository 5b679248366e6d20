//! A scripted backend for unit tests of the pipeline and the views. Never what the product runs.
