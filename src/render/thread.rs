//! Threaded comments as WordPress shows them: oldest first, replies nested
//! under their parent up to a maximum depth, deeper replies attached at the
//! deepest level. The result is a flat list a template can walk without recursion.

use std::collections::HashMap;

/// Where one comment goes in the nested list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSlot {
    /// Index into the comments given to `thread`.
    pub index: usize,
    /// 1 for top-level comments.
    pub depth: usize,
    /// Whether a `<ol class="children">` opens after this comment.
    pub has_children: bool,
    /// How many enclosing `</ol></li>` close after this comment.
    pub closes: usize,
}

/// Orders `(id, parent_id)` pairs, given oldest first, into display slots.
/// A parent that is not in the list (held, removed) makes a reply top-level.
pub fn thread(comments: &[(i64, Option<i64>)], max_depth: usize) -> Vec<ThreadSlot> {
    let max_depth = max_depth.max(1);
    let position: HashMap<i64, usize> = comments
        .iter()
        .enumerate()
        .map(|(index, (id, _))| (*id, index))
        .collect();
    let mut depth = vec![1usize; comments.len()];
    let mut display_parent: Vec<Option<usize>> = vec![None; comments.len()];
    for (index, (_, parent_id)) in comments.iter().enumerate() {
        let Some(mut parent) = parent_id
            .and_then(|id| position.get(&id).copied())
            .filter(|parent| *parent < index)
        else {
            continue;
        };
        // Too deep: hang it beside its parent instead, at the deepest level.
        while depth[parent] >= max_depth {
            match display_parent[parent] {
                Some(grandparent) => parent = grandparent,
                None => break,
            }
        }
        if depth[parent] >= max_depth {
            continue;
        }
        display_parent[index] = Some(parent);
        depth[index] = depth[parent] + 1;
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); comments.len()];
    let mut roots = Vec::new();
    for (index, parent) in display_parent.iter().enumerate() {
        match parent {
            Some(parent) => children[*parent].push(index),
            None => roots.push(index),
        }
    }
    let mut slots = Vec::with_capacity(comments.len());
    for root in roots {
        walk(root, &children, &depth, &mut slots);
    }
    slots
}

fn walk(index: usize, children: &[Vec<usize>], depth: &[usize], slots: &mut Vec<ThreadSlot>) {
    slots.push(ThreadSlot {
        index,
        depth: depth[index],
        has_children: !children[index].is_empty(),
        closes: 0,
    });
    if children[index].is_empty() {
        return;
    }
    for child in &children[index] {
        walk(*child, children, depth, slots);
    }
    // The last comment of this subtree closes this comment's list of replies.
    if let Some(last) = slots.last_mut() {
        last.closes += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(slots: &[ThreadSlot]) -> Vec<(usize, usize, bool, usize)> {
        slots
            .iter()
            .map(|slot| (slot.index, slot.depth, slot.has_children, slot.closes))
            .collect()
    }

    #[test]
    fn replies_nest_under_their_parents_oldest_first() {
        // 1; 2 replies to 1; 3 top; 4 replies to 2; 5 replies to 1
        let comments = [
            (1, None),
            (2, Some(1)),
            (3, None),
            (4, Some(2)),
            (5, Some(1)),
        ];
        let slots = thread(&comments, 5);
        assert_eq!(
            shape(&slots),
            vec![
                (0, 1, true, 0),
                (1, 2, true, 0),
                (3, 3, false, 1),
                (4, 2, false, 1),
                (2, 1, false, 0)
            ]
        );
    }

    #[test]
    fn replies_beyond_the_depth_attach_at_the_deepest_level() {
        let comments = [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(3))];
        let slots = thread(&comments, 2);
        // 3 and 4 hang under 1's reply level, as siblings of 2.
        assert_eq!(
            shape(&slots),
            vec![
                (0, 1, true, 0),
                (1, 2, false, 0),
                (2, 2, false, 0),
                (3, 2, false, 1)
            ]
        );
        let flat = thread(&comments, 1);
        assert!(flat
            .iter()
            .all(|slot| slot.depth == 1 && !slot.has_children && slot.closes == 0));
    }

    #[test]
    fn replies_to_hidden_comments_are_top_level() {
        let slots = thread(&[(7, Some(3)), (8, Some(7))], 5);
        assert_eq!(shape(&slots), vec![(0, 1, true, 0), (1, 2, false, 1)]);
    }

    #[test]
    fn every_opened_list_is_closed() {
        let comments = [
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, Some(3)),
            (5, None),
            (6, Some(5)),
        ];
        let slots = thread(&comments, 5);
        let opened = slots.iter().filter(|slot| slot.has_children).count();
        let closed: usize = slots.iter().map(|slot| slot.closes).sum();
        assert_eq!(opened, closed);
    }
}
