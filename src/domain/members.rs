//! A group's member list: join order kept, lookup by account in O(1), and additions and removals
//! that cost in proportion to the accounts they touch, not to the group's size.
//!
//! Members live in a vector of slots (a removed member leaves an empty slot, swept out once the
//! empty slots outnumber the members). Past sixteen slots a hash table maps an account to its
//! slot without storing the account a second time; below that a scan of the inline UserIDs is
//! as fast and most groups (a handful of members) never pay for the table (issue 11 C: a
//! 10-member group's table cost more than its members). While the store has tracking on (inside
//! `update_group`), every join and leave is recorded so the member → groups index can follow.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::hash::BuildHasher;

use super::group::Member;

/// A join or a leave, recorded while tracking is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// The account became a member.
    Joined(String),
    /// The account stopped being a member.
    Left(String),
}

/// Slots a group holds before its members get a hash index.
const SMALL: usize = 16;

/// The members of a group, in join order.
#[derive(Clone, Default)]
pub struct Members {
    slots: Vec<Option<Member>>,
    /// Account → slot, only past [`SMALL`] slots (boxed: 8 bytes in the many small groups).
    table: Option<Box<HashTable<usize>>>,
    live: usize,
    changes: Option<Vec<MemberChange>>,
}

fn hash(account: &str) -> u64 {
    FxBuildHasher.hash_one(account)
}

impl Members {
    /// How many members there are.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn indexed(&self) -> bool {
        self.slots.len() > SMALL
    }

    fn slot_of(&self, account: &str) -> Option<usize> {
        let slots = &self.slots;
        if !self.indexed() {
            return slots
                .iter()
                .position(|m| m.as_ref().is_some_and(|m| m.account() == account));
        }
        self.table
            .as_ref()?
            .find(hash(account), |&i| {
                slots[i].as_ref().is_some_and(|m| m.account() == account)
            })
            .copied()
    }

    /// Whether `account` is a member.
    pub fn contains(&self, account: &str) -> bool {
        self.slot_of(account).is_some()
    }

    /// The member `account`.
    pub fn get(&self, account: &str) -> Option<&Member> {
        self.slot_of(account).and_then(|i| self.slots[i].as_ref())
    }

    /// The member `account`, to change (its account cannot change: see [`Member::account`]).
    pub fn get_mut(&mut self, account: &str) -> Option<&mut Member> {
        let i = self.slot_of(account)?;
        self.slots[i].as_mut()
    }

    /// Adds `member` at the end; `false` (and nothing changes) when the account is already one.
    pub fn push(&mut self, member: Member) -> bool {
        if self.contains(member.account()) {
            return false;
        }
        if let Some(c) = &mut self.changes {
            c.push(MemberChange::Joined(member.account().to_string()));
        }
        self.slots.push(Some(member));
        self.live += 1;
        let i = self.slots.len() - 1;
        if i == SMALL {
            self.reindex(); // the first slot past SMALL: index them all
        } else if let Some(table) = self.table.as_mut() {
            let slots = &self.slots;
            let h = slots[i].as_ref().map_or(0, |m| hash(m.account()));
            table.insert_unique(h, i, |&j| {
                slots[j].as_ref().map_or(0, |m| hash(m.account()))
            });
        }
        true
    }

    /// Removes `account` and returns its member entry.
    pub fn remove(&mut self, account: &str) -> Option<Member> {
        let i = self.slot_of(account)?;
        if let Some(table) = self.table.as_mut()
            && let Ok(entry) = table.find_entry(hash(account), |&j| j == i)
        {
            entry.remove();
        }
        let member = self.slots[i].take()?;
        self.live -= 1;
        if let Some(c) = &mut self.changes {
            c.push(MemberChange::Left(account.to_string()));
        }
        if self.slots.len() - self.live > self.live.max(SMALL) {
            self.compact();
        }
        Some(member)
    }

    /// Sweeps out empty slots (amortized: runs after as many removals as there are members).
    fn compact(&mut self) {
        self.slots.retain(Option::is_some);
        self.reindex();
    }

    /// Rebuilds the hash index from the slots (none while the group is small).
    fn reindex(&mut self) {
        if !self.indexed() {
            self.table = None;
            return;
        }
        let slots = &self.slots;
        let table = self.table.get_or_insert_with(Box::default);
        table.clear();
        for (i, m) in slots.iter().enumerate() {
            let Some(m) = m else { continue };
            table.insert_unique(hash(m.account()), i, |&j| {
                slots[j].as_ref().map_or(0, |m| hash(m.account()))
            });
        }
    }

    /// The members in join order.
    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.slots.iter().flatten()
    }

    /// The members in join order, to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Member> {
        self.slots.iter_mut().flatten()
    }

    /// Starts recording joins and leaves (the store does, around a change of the group).
    pub(crate) fn track(&mut self) {
        self.changes = Some(Vec::new());
    }

    /// Stops recording and returns what was recorded.
    pub(crate) fn take_changes(&mut self) -> Vec<MemberChange> {
        self.changes.take().unwrap_or_default()
    }

    /// Builds the list from members in join order; the first repeated account is the error.
    pub fn from_vec(members: Vec<Member>) -> Result<Self, String> {
        Self::from_members(members)
    }

    /// Builds the list from `members` in join order into slots of exactly their number; the
    /// first repeated account is the error (found without an allocation per member).
    fn from_members(
        members: impl IntoIterator<Item = Member, IntoIter: ExactSizeIterator>,
    ) -> Result<Self, String> {
        let members = members.into_iter();
        let mut out = Self::default();
        out.slots.reserve_exact(members.len());
        for m in members {
            if out.contains(m.account()) {
                return Err(format!("Member_Account {:?} is listed twice", m.account()));
            }
            out.push(m);
        }
        Ok(out)
    }
}

impl std::fmt::Debug for Members {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Members {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Members {}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Members {
    /// `null` or a list of members. The list is read into a per-thread buffer and then copied
    /// into slots of exactly its length, so a large state import leaves no growth leftovers
    /// behind each group (issue 11 C).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        thread_local! {
            static BUFFER: std::cell::Cell<Vec<Member>> = const { std::cell::Cell::new(Vec::new()) };
        }
        struct List<'b>(&'b mut Vec<Member>);
        impl<'de> serde::de::Visitor<'de> for List<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of members")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
                Ok(())
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
                Ok(())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while let Some(m) = seq.next_element::<Member>()? {
                    self.0.push(m);
                }
                Ok(())
            }
        }
        // Taken out while in use, so a nested or failed read leaves nothing shared behind.
        let mut buffer = BUFFER.take();
        buffer.clear();
        let read = d.deserialize_option(List(&mut buffer));
        let built = read
            .and_then(|()| Self::from_members(buffer.drain(..)).map_err(serde::de::Error::custom));
        buffer.clear();
        if buffer.capacity() <= 1 << 16 {
            BUFFER.set(buffer);
        }
        built
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::group::Role;

    fn m(a: &str) -> Member {
        Member::new(a, Role::Member, 1)
    }

    fn accounts(ms: &Members) -> Vec<&str> {
        ms.iter().map(Member::account).collect()
    }

    #[test]
    fn join_order_survives_removals_and_compaction() {
        let mut ms = Members::default();
        for i in 0..100 {
            assert!(ms.push(m(&format!("u{i}"))));
        }
        for i in (0..100).filter(|i| i % 3 != 0) {
            assert!(ms.remove(&format!("u{i}")).is_some());
        }
        let want: Vec<String> = (0..100).step_by(3).map(|i| format!("u{i}")).collect();
        assert_eq!(accounts(&ms), want);
        assert_eq!(ms.len(), want.len());
        assert!(ms.contains("u99") && !ms.contains("u98"));
        assert!(ms.push(m("u1")), "a removed account may join again");
        assert_eq!(accounts(&ms).last(), Some(&"u1"));
    }

    #[test]
    fn small_and_indexed_lists_answer_alike_across_the_threshold() {
        let mut ms = Members::default();
        for i in 0..30 {
            assert!(ms.push(m(&format!("u{i}"))));
            for j in 0..=i {
                assert!(ms.contains(&format!("u{j}")), "{i} {j}");
            }
            assert!(!ms.push(m(&format!("u{i}"))), "no repeat at {i}");
        }
        for i in (0..30).rev() {
            assert!(ms.remove(&format!("u{i}")).is_some(), "{i}");
            assert!(!ms.contains(&format!("u{i}")));
            assert_eq!(ms.len(), i);
            for j in 0..i {
                assert!(ms.get(&format!("u{j}")).is_some(), "{i} {j}");
            }
        }
        assert!(ms.is_empty());
    }

    #[test]
    fn a_repeated_account_is_refused() {
        let mut ms = Members::default();
        assert!(ms.push(m("a")));
        assert!(!ms.push(m("a")));
        assert_eq!(ms.len(), 1);
        assert!(Members::from_vec(vec![m("a"), m("b"), m("a")]).is_err());
        assert!(ms.remove("nobody").is_none());
    }

    #[test]
    fn tracking_records_joins_and_leaves_only_while_on() {
        let mut ms = Members::default();
        ms.push(m("before"));
        ms.track();
        ms.push(m("a"));
        ms.remove("before");
        assert_eq!(
            ms.take_changes(),
            vec![
                MemberChange::Joined("a".into()),
                MemberChange::Left("before".into())
            ]
        );
        ms.push(m("after"));
        assert!(ms.take_changes().is_empty());
    }

    #[test]
    fn serializes_as_a_list_in_join_order() {
        let ms = Members::from_vec(vec![m("b"), m("a")]).expect("distinct");
        let v = serde_json::to_value(&ms).expect("serializes");
        assert_eq!(v[0]["Member_Account"], "b");
        let back: Members = serde_json::from_value(v).expect("deserializes");
        assert_eq!(back, ms);
    }
}
