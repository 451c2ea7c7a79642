//! Prompt-prefix reuse: which tokens each slot's sequence holds in the KV cache, and where a new
//! prompt starts so that it reads only what no slot holds yet. Few-shot prompts repeat the same
//! instruction and worked examples for every paragraph; reading them once is most of a corpus
//! run's prefill. Kept free of llama.cpp (token ids in, plans out) so that it is tested alone;
//! the scheduler carries out each plan on the context and reports back what it decoded.

/// Why reuse is rounded: a reply must be bit for bit the one a whole read gives, and
/// llama.cpp's CPU kernels treat a token by the batch it is read in. The repacked matrix
/// kernels multiply rows four at a time and the leftover rows one at a time; llamafile's sgemm
/// takes only batches of 2 tokens or more (4 on ARM); flash attention tiles batches of 64 or
/// more and takes smaller ones a row at a time; each rounds its sums its own way. So every read
/// is cut at multiples of `CHUNK` (the scheduler's batches), a read after the cache starts at a
/// multiple of `ALIGN`, and its first batch is either the whole read's own batch or at least
/// `MIN_BATCH` long: each token then meets the same kernels as in a whole read. Reading only
/// the last token, as llama.cpp's server does, changed greedy replies here (tested).
pub(super) const CHUNK: usize = 512;
const ALIGN: usize = 8;
const MIN_BATCH: usize = 64;

/// Where a read of a `len`-token prompt may start when the cache holds its first `reusable`.
fn start_of_read(reusable: usize, len: usize) -> usize {
    let most = reusable.min(len.saturating_sub(1));
    let start = most - most % ALIGN;
    let batch_start = start - start % CHUNK;
    let batch_end = (batch_start + CHUNK).min(len);
    if batch_end - start >= MIN_BATCH || start == batch_start {
        return start;
    }
    let lowered = batch_end.saturating_sub(MIN_BATCH);
    (lowered - lowered % ALIGN).max(batch_start)
}

/// The prompt tokens each slot's sequence read into the KV cache, at positions `0..`. What a
/// slot generated is never reused (it was decoded a token at a time, unlike a prompt read).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Held {
    slots: Vec<Vec<i32>>,
}

/// Where a prompt runs and how much of it comes from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    pub slot: usize,
    /// Another slot whose first `reuse` tokens are copied into `slot` (its own are dropped).
    pub copy_from: Option<usize>,
    /// Prompt tokens taken from the cache; the rest are read.
    pub reuse: usize,
}

impl Plan {
    /// Everything read anew, in `slot`.
    pub(super) fn fresh(slot: usize) -> Plan {
        Plan {
            slot,
            copy_from: None,
            reuse: 0,
        }
    }
}

impl Held {
    pub(super) fn new(slots: usize) -> Held {
        Held {
            slots: vec![Vec::new(); slots],
        }
    }

    /// The plan for `tokens` on one of the `free` slots (not empty): the free slot already
    /// holding the longest prefix, or, when a busy slot holds a longer one, the free slot with
    /// the least to lose, copying from it. What is reused ends where `start_of_read` allows.
    pub(super) fn plan(&self, tokens: &[i32], free: &[usize]) -> Plan {
        let shared = |slot: usize| start_of_read(common_prefix(&self.slots[slot], tokens), tokens.len());
        let own = free
            .iter()
            .copied()
            .max_by_key(|&slot| (shared(slot), std::cmp::Reverse(slot)))
            .expect("a free slot");
        let best = (0..self.slots.len())
            .max_by_key(|&slot| (shared(slot), std::cmp::Reverse(slot)))
            .unwrap_or(own);
        if shared(best) > shared(own) {
            let emptiest = free
                .iter()
                .copied()
                .min_by_key(|&slot| (self.slots[slot].len(), slot))
                .expect("a free slot");
            return Plan {
                slot: emptiest,
                copy_from: Some(best),
                reuse: shared(best),
            };
        }
        Plan {
            slot: own,
            copy_from: None,
            reuse: shared(own),
        }
    }

    /// The cache now holds `plan.reuse` tokens in `plan.slot` (what carrying out the plan did).
    pub(super) fn apply(&mut self, plan: &Plan) {
        let kept = match plan.copy_from {
            Some(from) => self.slots[from][..plan.reuse].to_vec(),
            None => self.slots[plan.slot][..plan.reuse].to_vec(),
        };
        self.slots[plan.slot] = kept;
    }

    /// Prompt tokens read into `slot` after those it holds.
    pub(super) fn extend(&mut self, slot: usize, tokens: &[i32]) {
        self.slots[slot].extend_from_slice(tokens);
    }

    /// The slot's sequence was removed from the cache (or is no longer trusted).
    pub(super) fn clear(&mut self, slot: usize) {
        self.slots[slot].clear();
    }

    pub(super) fn clear_all(&mut self) {
        self.slots.iter_mut().for_each(Vec::clear);
    }

    #[cfg(test)]
    fn holds(&self, slot: usize) -> &[i32] {
        &self.slots[slot]
    }
}

fn common_prefix(a: &[i32], b: &[i32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(slots: &[&[i32]]) -> Held {
        Held {
            slots: slots.iter().map(|s| s.to_vec()).collect(),
        }
    }

    #[test]
    fn an_empty_cache_reads_everything() {
        let plan = Held::new(2).plan(&[1, 2, 3], &[0, 1]);
        assert_eq!(
            plan,
            Plan {
                slot: 0,
                copy_from: None,
                reuse: 0
            }
        );
    }

    #[test]
    fn a_slot_reuses_its_own_prefix_and_reads_the_rest() {
        let long: Vec<i32> = (0..200).collect();
        let mut other = long.clone();
        other[101] = -1;
        let cache = held(&[&other, &long[..9]]);
        let plan = cache.plan(&long, &[0, 1]);
        assert_eq!(
            (plan.slot, plan.copy_from, plan.reuse),
            (0, None, 96),
            "101 shared, 96 aligned"
        );
    }

    #[test]
    fn a_read_after_the_cache_meets_the_kernels_of_a_whole_read() {
        assert_eq!(start_of_read(0, 10), 0);
        assert_eq!(start_of_read(403, 700), 400, "a long enough first batch");
        assert_eq!(start_of_read(100, 120), 56, "lowered to read 64");
        assert_eq!(start_of_read(40, 50), 0, "a short prompt is read whole");
        assert_eq!(
            start_of_read(510, 600),
            448,
            "512 - 64: the batch up to the cut is 64 long"
        );
        assert_eq!(start_of_read(1030, 1040), 1024, "the whole read's own last batch");
        assert_eq!(start_of_read(2000, 1030), 1024);
        for len in [1, 63, 64, 65, 511, 512, 513, 700, 1100] {
            for reusable in 0..=len {
                let start = start_of_read(reusable, len);
                assert!(start < len.max(1) && start <= reusable && start.is_multiple_of(ALIGN));
                let batch_start = start - start % CHUNK;
                let first = (batch_start + CHUNK).min(len) - start;
                assert!(first >= MIN_BATCH || start == batch_start, "{reusable} of {len}");
            }
        }
    }

    #[test]
    fn a_busy_slots_longer_prefix_is_copied_into_the_emptiest_free_slot() {
        let long: Vec<i32> = (0..300).collect();
        let mut prompt = long[..200].to_vec();
        prompt.extend([-1; 100]);
        let cache = held(&[&long, &[0, -7], &[]]);
        let plan = cache.plan(&prompt, &[1, 2]);
        assert_eq!((plan.slot, plan.copy_from, plan.reuse), (2, Some(0), 200));
        let mut cache = cache;
        cache.apply(&plan);
        assert_eq!(cache.holds(2), &long[..200]);
        assert_eq!(cache.holds(0), &long[..], "the source keeps its tokens");
        cache.extend(2, &prompt[200..]);
        assert_eq!(cache.holds(2), &prompt[..]);
    }

    #[test]
    fn another_prompt_drops_what_it_does_not_share() {
        let mut cache = held(&[&[1, 2, 3]]);
        let plan = cache.plan(&[5, 6], &[0]);
        assert_eq!(plan.reuse, 0);
        cache.apply(&plan);
        assert!(cache.holds(0).is_empty());
        cache.extend(0, &[5, 6]);
        cache.clear_all();
        assert!(cache.holds(0).is_empty());
    }
}
