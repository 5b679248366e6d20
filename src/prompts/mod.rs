//! Prompt sets: JSONL, plain text, CSV (AdvBench layout) and Anthropic HH-RLHF transcripts.
