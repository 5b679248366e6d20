//! Export of approved records as the files a TRL training run reads.
