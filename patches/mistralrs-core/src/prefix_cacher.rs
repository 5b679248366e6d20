use candle_core::{Device, Result, Tensor};
use indexmap::IndexMap;
use itertools::Itertools;
use tracing::info;

use crate::{
    kv_cache::{RecurrentStateSnapshot, RotatingCache, SingleCache},
    paged_attention::block_hash::BlockHash,
    pipeline::KvCache,
    sequence::Sequence,
};

#[derive(PartialEq, Eq, Debug, Hash)]
struct Tokens(Vec<u32>);

impl Tokens {
    /// Returns the length of the common prefix shared with `other`.
    fn shared_prefix_len(&self, other: &Self) -> usize {
        self.0
            .iter()
            .zip(other.0.iter())
            .take_while(|(a, b)| a == b)
            .count()
    }
}

impl From<Vec<u32>> for Tokens {
    fn from(value: Vec<u32>) -> Self {
        Self(value)
    }
}

#[derive(Clone)]
struct CacheElement {
    cache: Vec<Option<KvCache>>,
    /// Bytes of KV data the entry holds (its own buffers, see `owned_cache`).
    bytes: usize,
    /// Recurrent state snapshots for hybrid models (one per recurrent layer)
    recurrent_snapshots: Option<Vec<RecurrentStateSnapshot>>,
    audio_hashes: Option<Vec<u64>>,
    image_hashes: Option<Vec<u64>>,
    video_hashes: Option<Vec<u64>>,
}

impl CacheElement {
    /// Without recurrent state or media: its positions are tokens alone.
    fn plain(&self) -> bool {
        self.recurrent_snapshots.is_none()
            && self.image_hashes.is_none()
            && self.audio_hashes.is_none()
            && self.video_hashes.is_none()
    }

    fn can_rewind_to(&self, len: usize) -> bool {
        self.cache
            .iter()
            .flatten()
            .all(|layer| layer.try_set_len(len).is_ok())
    }
}

/// Bytes of KV data the prefix cache keeps on the CPU by default; the least recently used
/// entries go first past it. `MISTRALRS_PREFIX_CACHE_MB` sets another bound.
pub const DEFAULT_CPU_PREFIX_CACHE_BYTES: usize = 512 << 20;

fn cpu_budget() -> usize {
    std::env::var("MISTRALRS_PREFIX_CACHE_MB")
        .ok()
        .and_then(|mb| mb.trim().parse::<usize>().ok())
        .map_or(DEFAULT_CPU_PREFIX_CACHE_BYTES, |mb| mb << 20)
}

/// A copy of a sequence's KV cache that owns its data: each layer's current positions only,
/// in buffers of their own. A sequence's cache is a view into the batch buffer it was last
/// decoded in; an entry holding such views kept every sequence's buffer of that batch alive,
/// at its full capacity.
fn owned_cache(cache: &[Option<KvCache>]) -> Result<(Vec<Option<KvCache>>, usize)> {
    fn own(data: &Tensor, dim: usize, start: usize, len: usize) -> Result<Tensor> {
        let mut shape = data.dims().to_vec();
        shape[dim] = len;
        let owned = Tensor::zeros(shape, data.dtype(), data.device())?;
        owned.slice_set(&data.narrow(dim, start, len)?, dim, 0)?;
        Ok(owned)
    }
    let mut bytes = 0;
    let mut owned = Vec::with_capacity(cache.len());
    for layer in cache {
        owned.push(match layer {
            Some(KvCache::Normal { k, v }) => {
                let mut copy = |c: &SingleCache| -> Result<SingleCache> {
                    // The sequence's positions, without the padding of the batch it was
                    // decoded in (see `SingleCache::pad`).
                    let start = c.pad_of(0);
                    let len = c.current_seq_len - start;
                    let all_data = match &c.all_data {
                        Some(d) => {
                            let d = own(d, c.dim, start, len)?;
                            bytes += d.elem_count() * d.dtype().size_in_bytes();
                            Some(d)
                        }
                        None => None,
                    };
                    Ok(SingleCache {
                        all_data,
                        dim: c.dim,
                        current_seq_len: len,
                        max_seq_len: c.max_seq_len,
                        capacity_seq_len: len,
                        pad: Vec::new(),
                    })
                };
                let k = copy(k)?;
                let v = copy(v)?;
                Some(KvCache::Normal { k, v })
            }
            Some(KvCache::Rotating { k, v }) => {
                let mut copy = |c: &RotatingCache| -> Result<RotatingCache> {
                    let all_data = match &c.all_data {
                        Some(d) => {
                            let d = own(d, c.dim, 0, d.dims()[c.dim])?;
                            bytes += d.elem_count() * d.dtype().size_in_bytes();
                            Some(d)
                        }
                        None => None,
                    };
                    Ok(RotatingCache { all_data, ..c.clone() })
                };
                let k = copy(k)?;
                let v = copy(v)?;
                Some(KvCache::Rotating { k, v })
            }
            other => other.clone(),
        });
    }
    Ok((owned, bytes))
}

pub struct PrefixCacheManagerV2 {
    caches: IndexMap<Tokens, CacheElement>,
    /// Bytes of the entries that live on the CPU, and the bound on them.
    cpu_bytes: usize,
    cpu_budget: usize,
    paged_recurrent_caches: IndexMap<Vec<BlockHash>, Vec<RecurrentStateSnapshot>>,
    n_on_device: usize,
    no_prefix_cache: bool,
    has_paged_attention: bool,
}

#[derive(Clone)]
pub enum MatchingCache {
    Normal {
        normal: Vec<Option<KvCache>>,
        recurrent_snapshots: Option<Vec<RecurrentStateSnapshot>>,
        images_to_keep: usize,
        audios_to_keep: usize,
        videos_to_keep: usize,
        toks: Vec<u32>,
        offset: usize,
    },
}

impl PrefixCacheManagerV2 {
    pub fn new(n_on_device: usize, no_prefix_cache: bool, has_paged_attention: bool) -> Self {
        if !no_prefix_cache && !has_paged_attention {
            info!("Prefix caching enabled (sequence-level, non-paged attention). Expect higher multi-turn throughput for both text and multimodal.");
        }
        PrefixCacheManagerV2 {
            caches: IndexMap::new(),
            cpu_bytes: 0,
            cpu_budget: cpu_budget(),
            paged_recurrent_caches: IndexMap::new(),
            n_on_device,
            no_prefix_cache,
            has_paged_attention,
        }
    }

    fn paged_recurrent_capacity(&self) -> usize {
        self.n_on_device.max(1).saturating_mul(8)
    }

    /// This always keeps the cache on the device.
    pub fn add_sequence(
        &mut self,
        seq: &mut Sequence,
        recurrent_snapshots: Option<Vec<RecurrentStateSnapshot>>,
    ) {
        // Do not cache if prefix caching disabled
        if self.no_prefix_cache {
            return;
        }

        // For paged attention, prefix caching is handled by the KVCacheManager.
        // PrefixCacheManagerV2 only handles non-paged attention caching.
        if !self.has_paged_attention {
            let on_cpu = seq
                .normal_cache()
                .iter()
                .flatten()
                .find_map(|layer| match layer {
                    KvCache::Normal { k, .. } => k.all_data().map(|d| d.device().is_cpu()),
                    KvCache::Rotating { k, .. } => k.all_data().map(|d| d.device().is_cpu()),
                    KvCache::Shared { .. } => None,
                })
                .unwrap_or(false);
            // On the CPU the entry owns a copy of the current positions (see `owned_cache`)
            // and counts against the byte bound; elsewhere it keeps the sequence's cache as it
            // is and the number of entries is bounded (`evict_caches`).
            let (cache, bytes) = if on_cpu {
                match owned_cache(seq.normal_cache()) {
                    Ok(owned) => owned,
                    Err(e) => {
                        tracing::warn!("prefix cache: could not copy a sequence's cache: {e}");
                        return;
                    }
                }
            } else {
                (seq.normal_cache().to_vec(), 0)
            };
            if bytes > self.cpu_budget {
                return;
            }
            let element = CacheElement {
                cache,
                bytes,
                recurrent_snapshots,
                image_hashes: seq.image_hashes().map(|x| x.to_vec()),
                audio_hashes: seq.audio_hashes().map(|x| x.to_vec()),
                video_hashes: seq.video_hashes().map(|x| x.to_vec()),
            };
            // The tokens whose positions the cache holds: a finished sequence's last token was
            // sampled but never run through the model, and a key with it promised a next turn
            // that repeats it a position nobody wrote.
            let held = element
                .cache
                .iter()
                .flatten()
                .find_map(|layer| match layer {
                    KvCache::Normal { k, .. } => Some(k.current_seq_len - k.pad_of(0)),
                    KvCache::Rotating { k, .. } => Some(k.current_seq_len),
                    KvCache::Shared { .. } => None,
                })
                .unwrap_or(0);
            let toks = seq.get_toks();
            let toks: Tokens = toks[..held.min(toks.len())].to_vec().into();
            if toks.0.is_empty() {
                return;
            }
            // A plain entry whose tokens the new entry's begin with serves no prompt the new
            // one does not serve as well (the longest shared prefix is at least as long): drop
            // it. A conversation that goes on leaves one entry, not one per turn.
            if element.plain() {
                let before = self.caches.len();
                let mut freed = 0;
                self.caches.retain(|t, e| {
                    let redundant =
                        e.plain() && t.0.len() <= toks.0.len() && toks.0.starts_with(&t.0);
                    if redundant {
                        freed += e.bytes;
                    }
                    !redundant
                });
                if self.caches.len() != before {
                    self.cpu_bytes -= freed;
                }
            }
            self.cpu_bytes += element.bytes;
            if let Some(old) = self.caches.shift_remove(&toks) {
                self.cpu_bytes -= old.bytes;
            }
            self.caches.insert(toks, element);
        }
    }

    /// Evict the caches. This will evict the first k seqs such that the number of sequences on device after the copy is
    /// the maximum allowed. Returns the number of evicted sequences.
    pub fn evict_caches(&mut self) -> Result<usize> {
        if self.no_prefix_cache {
            return Ok(0);
        }
        let mut n_on_device = 0;
        for cache in self.caches.values() {
            let first_non_none = cache
                .cache
                .iter()
                .find_or_first(|x| x.as_ref().is_some_and(|kv| kv.k().ok().flatten().is_some()));
            let Some(Some(first_non_none)) = first_non_none else {
                continue;
            };

            let cache_device = match first_non_none {
                KvCache::Normal { k, .. } => {
                    k.all_data().as_ref().expect("No KV cache data").device()
                }
                KvCache::Rotating { k, .. } => {
                    k.all_data().as_ref().expect("No KV cache data").device()
                }
                KvCache::Shared { .. } => continue,
            };

            if !matches!(cache_device, Device::Cpu) {
                n_on_device += 1;
            }
        }
        let mut n_evicted = 0;
        // Intentionally evict the first ones first, as they are the oldest
        for cache in self.caches.values_mut() {
            if n_on_device - n_evicted <= self.n_on_device {
                break;
            }
            let first_non_none = cache
                .cache
                .iter()
                .find_or_first(|x| x.as_ref().is_some_and(|kv| kv.k().ok().flatten().is_some()));
            let Some(Some(first_non_none)) = first_non_none else {
                continue;
            };

            let cache_device = match first_non_none {
                KvCache::Normal { k, .. } => {
                    k.all_data().as_ref().expect("No KV cache data").device()
                }
                KvCache::Rotating { k, .. } => {
                    k.all_data().as_ref().expect("No KV cache data").device()
                }
                KvCache::Shared { .. } => continue,
            };

            if !matches!(cache_device, Device::Cpu) {
                cache.cache.clear();
                n_evicted += 1;
            }
        }

        self.caches.retain(|_tokens, cache| !cache.cache.is_empty());

        // On the CPU, where the count above never applies, the least recently used entries go
        // until the rest fit in the byte bound.
        while self.cpu_bytes > self.cpu_budget {
            let Some((_, oldest)) = self.caches.shift_remove_index(0) else {
                break;
            };
            self.cpu_bytes -= oldest.bytes;
            n_evicted += 1;
        }

        Ok(n_evicted)
    }

    /// Evict all the caches.
    pub fn evict_all_caches(&mut self) -> Result<usize> {
        let len = self.caches.len();
        self.caches.clear();
        self.cpu_bytes = 0;
        self.paged_recurrent_caches.clear();
        Ok(len)
    }

    /// Add a recurrent-state snapshot for a paged-attention block-hash prefix key.
    /// This is used by hybrid models to restore recurrent states alongside paged KV prefix hits.
    pub fn add_paged_recurrent_prefix(
        &mut self,
        key: Vec<BlockHash>,
        snapshots: Vec<RecurrentStateSnapshot>,
    ) {
        if self.no_prefix_cache
            || !self.has_paged_attention
            || key.is_empty()
            || snapshots.is_empty()
        {
            return;
        }

        // Maintain LRU order by reinserting on update.
        let _ = self.paged_recurrent_caches.shift_remove(&key);
        self.paged_recurrent_caches.insert(key, snapshots);

        while self.paged_recurrent_caches.len() > self.paged_recurrent_capacity() {
            let _ = self.paged_recurrent_caches.shift_remove_index(0);
        }
    }

    /// Lookup a recurrent-state snapshot for a paged-attention block-hash prefix key.
    /// Returns a cloned snapshot and updates LRU order.
    pub fn get_paged_recurrent_prefix(
        &mut self,
        key: &[BlockHash],
    ) -> Option<Vec<RecurrentStateSnapshot>> {
        if self.no_prefix_cache || !self.has_paged_attention || key.is_empty() {
            return None;
        }

        let key = key.to_vec();
        let snapshots = self.paged_recurrent_caches.shift_remove(&key)?;
        let out = snapshots.clone();
        self.paged_recurrent_caches.insert(key, snapshots);
        Some(out)
    }

    /// Search for a matching cache given some tokens. Image-containing sequences are now cached too.
    pub fn search_for_matching_cache(
        &mut self,
        toks: &[u32],
        image_hashes: Option<&[u64]>,
        audio_hashes: Option<&[u64]>,
        video_hashes: Option<&[u64]>,
    ) -> Result<Option<MatchingCache>> {
        // Do not search if prefix caching disabled or no tokens
        if self.no_prefix_cache || toks.is_empty() {
            return Ok(None);
        }

        if self.has_paged_attention {
            // For paged attention, prefix caching is handled by the KVCacheManager.
            // PrefixCacheManagerV2 only handles non-paged attention caching.
            return Ok(None);
        }

        let toks = Tokens(toks.to_vec());

        let mut best_match: Option<(usize, &CacheElement, usize, usize, usize)> = None;
        let mut best_index = 0;
        for (index, (k, v)) in self.caches.iter().enumerate() {
            let mut match_len = toks.shared_prefix_len(k);
            // A prompt cached whole (the same prompt again) still needs its last token run to
            // get the logits of the next one: reuse all but that token. Upstream took the whole
            // match and then found nothing left to run, so a repeated prompt reused nothing.
            // Only for plain caches: a recurrent-state snapshot or a media position cannot be
            // moved back a token.
            let plain = v.recurrent_snapshots.is_none()
                && v.image_hashes.is_none()
                && v.audio_hashes.is_none()
                && v.video_hashes.is_none();
            if match_len == toks.0.len() && plain {
                match_len -= 1;
            }
            if match_len == 0 {
                continue;
            }

            let images_match_until = match image_hashes {
                Some(input_hashes) => match &v.image_hashes {
                    Some(cached_hashes) => input_hashes
                        .iter()
                        .zip(cached_hashes)
                        .take_while(|(a, b)| a == b)
                        .count(),
                    None => 0,
                },
                None => 0,
            };

            let audios_match_until = match audio_hashes {
                Some(input_hashes) => match &v.audio_hashes {
                    Some(cached_hashes) => input_hashes
                        .iter()
                        .zip(cached_hashes)
                        .take_while(|(a, b)| a == b)
                        .count(),
                    None => 0,
                },
                None => 0,
            };

            // Vision/audio models can use repeated placeholder tokens (e.g. <image_soft_token>)
            // that are identical regardless of the actual image/audio content. This means
            // token-level matching can extend through image/audio regions even when the
            // underlying content differs, leaving stale vision/audio encoder outputs in the
            // KV cache. Skip entries where any overlapping images or audios diverge.
            let cached_image_count = v.image_hashes.as_ref().map_or(0, |h| h.len());
            let input_image_count = image_hashes.map_or(0, |h| h.len());
            if images_match_until < input_image_count.min(cached_image_count) {
                continue;
            }

            let cached_audio_count = v.audio_hashes.as_ref().map_or(0, |h| h.len());
            let input_audio_count = audio_hashes.map_or(0, |h| h.len());
            if audios_match_until < input_audio_count.min(cached_audio_count) {
                continue;
            }

            let videos_match_until = match video_hashes {
                Some(input_hashes) => match &v.video_hashes {
                    Some(cached_hashes) => input_hashes
                        .iter()
                        .zip(cached_hashes)
                        .take_while(|(a, b)| a == b)
                        .count(),
                    None => 0,
                },
                None => 0,
            };

            let cached_video_count = v.video_hashes.as_ref().map_or(0, |h| h.len());
            let input_video_count = video_hashes.map_or(0, |h| h.len());
            if videos_match_until < input_video_count.min(cached_video_count) {
                continue;
            }

            // Sliding/rotating caches only retain a fixed tail. If a cache has already
            // truncated older tokens, it can still safely serve an exact extension of the
            // cached prefix, but it cannot be rewound to an earlier logical length. Skip such
            // candidates here so a rolled-over cache does not block a shorter valid prefix hit.
            if !v.can_rewind_to(match_len) {
                continue;
            }

            if best_match
                .as_ref()
                .is_none_or(|(len, _, _, _, _)| match_len > *len)
            {
                best_index = index;
                best_match = Some((
                    match_len,
                    v,
                    images_match_until,
                    audios_match_until,
                    videos_match_until,
                ));
            }
        }

        if let Some((
            match_len,
            cache_element,
            images_match_until,
            audios_match_until,
            videos_match_until,
        )) = best_match
        {
            let new_toks = toks.0[match_len..].to_vec();
            if new_toks.is_empty() {
                return Ok(None);
            }

            let mut cache = cache_element.clone();
            // Count how many input images are not already cached
            let images_to_keep = if let Some(input_hashes) = image_hashes {
                input_hashes.len().saturating_sub(images_match_until)
            } else {
                0
            };
            let audios_to_keep = if let Some(input_hashes) = audio_hashes {
                input_hashes.len().saturating_sub(audios_match_until)
            } else {
                0
            };
            let videos_to_keep = if let Some(input_hashes) = video_hashes {
                input_hashes.len().saturating_sub(videos_match_until)
            } else {
                0
            };
            for layer in cache.cache.iter_mut().flatten() {
                if layer.try_set_len(match_len).is_err() {
                    return Ok(None);
                }
            }
            for layer in cache.cache.iter_mut().flatten() {
                layer.set_len(match_len)?;
            }
            // The entry used is now the most recently used (the byte bound evicts from the
            // other end).
            let last = self.caches.len() - 1;
            self.caches.move_index(best_index, last);
            return Ok(Some(MatchingCache::Normal {
                normal: cache.cache,
                recurrent_snapshots: cache.recurrent_snapshots,
                images_to_keep,
                audios_to_keep,
                videos_to_keep,
                toks: new_toks,
                offset: match_len,
            }));
        }

        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device, Tensor};

    use super::{CacheElement, MatchingCache, PrefixCacheManagerV2};
    use crate::kv_cache::{KvCache, RotatingCache, SingleCache};

    fn make_cache_tensor(len: usize) -> candle_core::Result<Tensor> {
        Tensor::zeros((1, 1, len, 1), DType::F32, &Device::Cpu)
    }

    fn make_rotating_kv_cache(
        logical_len: usize,
        sliding_window: usize,
    ) -> candle_core::Result<KvCache> {
        let src = make_cache_tensor(logical_len)?;
        let mut k = RotatingCache::new(2, sliding_window, sliding_window);
        let mut v = RotatingCache::new(2, sliding_window, sliding_window);
        let _ = k.append(&src)?;
        let _ = v.append(&src)?;
        Ok(KvCache::Rotating { k, v })
    }

    fn make_normal_kv_cache(logical_len: usize) -> candle_core::Result<KvCache> {
        let src = make_cache_tensor(logical_len)?;
        let mut k = SingleCache::new(2, logical_len, logical_len);
        let mut v = SingleCache::new(2, logical_len, logical_len);
        k.append(&src)?;
        v.append(&src)?;
        Ok(KvCache::Normal { k, v })
    }

    #[test]
    fn skips_rolled_over_rotating_candidate_that_cannot_rewind() -> candle_core::Result<()> {
        let mut prefix_cacher = PrefixCacheManagerV2::new(1, false, false);

        prefix_cacher.caches.insert(
            vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10].into(),
            CacheElement {
                bytes: 0,
                cache: vec![Some(make_rotating_kv_cache(10, 4)?)],
                recurrent_snapshots: None,
                audio_hashes: None,
                image_hashes: None,
                video_hashes: None,
            },
        );
        prefix_cacher.caches.insert(
            vec![1, 2, 3, 4, 5, 9].into(),
            CacheElement {
                bytes: 0,
                cache: vec![Some(make_normal_kv_cache(6)?)],
                recurrent_snapshots: None,
                audio_hashes: None,
                image_hashes: None,
                video_hashes: None,
            },
        );

        let hit = prefix_cacher.search_for_matching_cache(
            &[1, 2, 3, 4, 5, 6, 7, 99],
            None,
            None,
            None,
        )?;

        match hit {
            Some(MatchingCache::Normal { toks, offset, .. }) => {
                assert_eq!(offset, 5);
                assert_eq!(toks, vec![6, 7, 99]);
            }
            None => panic!("expected a shorter valid prefix-cache hit"),
        }

        Ok(())
    }

    #[test]
    fn a_prompt_cached_whole_reuses_all_but_its_last_token() -> candle_core::Result<()> {
        let mut prefix_cacher = PrefixCacheManagerV2::new(1, false, false);
        prefix_cacher.caches.insert(
            vec![1, 2, 3, 4, 5, 6].into(),
            CacheElement {
                bytes: 0,
                cache: vec![Some(make_normal_kv_cache(6)?)],
                recurrent_snapshots: None,
                audio_hashes: None,
                image_hashes: None,
                video_hashes: None,
            },
        );

        for prompt in [&[1, 2, 3, 4][..], &[1, 2, 3, 4, 5, 6]] {
            match prefix_cacher.search_for_matching_cache(prompt, None, None, None)? {
                Some(MatchingCache::Normal { toks, offset, .. }) => {
                    assert_eq!(offset, prompt.len() - 1);
                    assert_eq!(toks, vec![*prompt.last().unwrap()]);
                }
                None => panic!("expected a hit for {prompt:?}"),
            }
        }
        Ok(())
    }

    #[test]
    fn allows_exact_extension_from_rolled_over_rotating_cache() -> candle_core::Result<()> {
        let mut prefix_cacher = PrefixCacheManagerV2::new(1, false, false);

        prefix_cacher.caches.insert(
            vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10].into(),
            CacheElement {
                bytes: 0,
                cache: vec![Some(make_rotating_kv_cache(10, 4)?)],
                recurrent_snapshots: None,
                audio_hashes: None,
                image_hashes: None,
                video_hashes: None,
            },
        );

        let hit = prefix_cacher.search_for_matching_cache(
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            None,
            None,
            None,
        )?;

        match hit {
            Some(MatchingCache::Normal { toks, offset, .. }) => {
                assert_eq!(offset, 10);
                assert_eq!(toks, vec![11]);
            }
            None => panic!("expected exact-extension prefix-cache hit"),
        }

        Ok(())
    }
}
