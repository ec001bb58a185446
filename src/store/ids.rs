//! Assigned group IDs: `@TGS#` + the type's character + 8 base32 characters (`A-Z2-7`); the
//! `current` profile takes 9, and its Community IDs `@TGS#_@TGS#c` + 11 (spec §40.5).
//!
//! IDs come from a keyed hash of (seed, sdkappid, per-app counter): random-looking, lock-free,
//! and the same sequence on every run started with the same `--id-seed`.

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A 64-bit mix with good avalanche (splitmix64's finalizer).
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The ID number `n` of app `sdkappid` under `seed`: `prefix`, the type's ID character `c`,
/// then `len` base32 characters (at most 12: the hash has 64 bits).
pub fn assigned_id(prefix: &str, c: char, len: usize, seed: u64, sdkappid: u64, n: u64) -> String {
    let h = mix64(seed ^ mix64(sdkappid ^ mix64(n)));
    let len = len.min(12);
    let mut id = String::with_capacity(prefix.len() + 1 + len);
    id.push_str(prefix);
    id.push(c);
    for i in 0..len {
        id.push(BASE32[((h >> (i * 5)) & 31) as usize] as char);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigned_ids_have_the_vendor_shape() {
        let id = assigned_id("@TGS#", '2', 8, 1, 1400000000, 0);
        assert_eq!(id.len(), 14);
        assert!(id.starts_with("@TGS#2"));
        assert!(
            id[6..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
    }

    #[test]
    fn current_ids_are_longer_and_communities_have_their_prefix() {
        let id = assigned_id("@TGS#", '1', 9, 1, 1400000000, 0);
        assert_eq!((id.len(), &id[..6]), (15, "@TGS#1"));
        let c = assigned_id("@TGS#_@TGS#", 'c', 11, 1, 1400000000, 0);
        assert_eq!((c.len(), &c[..12]), (23, "@TGS#_@TGS#c"));
        assert!(
            c[12..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
    }

    #[test]
    fn same_seed_same_ids_and_other_seeds_differ() {
        let a: Vec<String> = (0..5)
            .map(|n| assigned_id("@TGS#", '1', 8, 7, 1, n))
            .collect();
        let b: Vec<String> = (0..5)
            .map(|n| assigned_id("@TGS#", '1', 8, 7, 1, n))
            .collect();
        let c: Vec<String> = (0..5)
            .map(|n| assigned_id("@TGS#", '1', 8, 8, 1, n))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn ids_of_one_app_rarely_collide() {
        let mut set = std::collections::HashSet::new();
        for n in 0..200_000 {
            set.insert(assigned_id("@TGS#", '2', 8, 3, 9, n));
        }
        assert!(set.len() >= 199_990, "{}", set.len());
    }
}
